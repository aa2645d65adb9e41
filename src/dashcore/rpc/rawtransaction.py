"""Raw transaction RPCs: create, decode, fetch (mempool or tx index), send."""

from __future__ import annotations

from .. import address
from ..amount import from_value
from ..core_io import script_to_json, tx_to_json
from ..crypto.hashes import hash160
from ..node.validation import ValidationError
from ..primitives.serialize import DeserializationError
from ..primitives.transaction import Transaction
from .blockchain import _index
from .rawtx import construct_transaction
from .util import (RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, Arg, MethodTable,
                   RPCError, parse_hash, parse_hex)

table = MethodTable()
method = table.method

DEFAULT_MAX_RAW_TX_FEE_RATE = 10_000_000  # 0.1 DASH/kB


def decode_tx(hexstring: str) -> Transaction:
    try:
        return Transaction.from_bytes(parse_hex(hexstring, "hexstring"))
    except (DeserializationError, RPCError):
        raise RPCError(RPC_DESERIALIZATION_ERROR, "TX decode failed") from None


@method("createrawtransaction", "rawtransactions",
        [Arg("inputs", "arr", help="The inputs: [{\"txid\": hex, \"vout\": n, \"sequence\": n}, ...]"),
         Arg("outputs", "any", help="The outputs: [{\"address\": amount}, {\"data\": \"hex\"}, ...] or one "
             "object of them"),
         Arg("locktime", "int", False, 0, "Raw locktime. Non-0 value also locktime-activates inputs")],
        "Create a transaction spending the given inputs and creating new outputs.\n"
        "Returns hex-encoded raw transaction.\n"
        "Note that the transaction's inputs are not signed, and\n"
        "it is not stored in the wallet or transmitted to the network.")
def createrawtransaction(ctx, req, inputs, outputs, locktime):
    return construct_transaction(inputs, outputs, locktime).serialize().hex()


@method("decodescript", "rawtransactions", [Arg("hexstring", "hex", help="the hex-encoded script")],
        "Decode a hex-encoded script.")
def decodescript(ctx, req, hexstring):
    spk = parse_hex(hexstring, "argument")
    out = script_to_json(spk, include_hex=False)
    if out["type"] != "scripthash":  # a P2SH cannot be wrapped in another
        out["p2sh"] = address.from_script_hash(hash160(spk))
    return out


@method("decoderawtransaction", "rawtransactions", [Arg("hexstring", "hex")],
        "Return a JSON object representing the serialized, hex-encoded transaction.")
def decoderawtransaction(ctx, req, hexstring):
    return tx_to_json(decode_tx(hexstring), include_hex=False)


@method("getrawtransaction", "rawtransactions",
        [Arg("txid", "str"), Arg("verbose", "any", False, False), Arg("blockhash", "str", False)],
        "Return the raw transaction data: from the mempool, or from the transaction index.")
def getrawtransaction(ctx, req, txid, verbose, blockhash):
    if isinstance(verbose, int) and not isinstance(verbose, bool):
        verbose = verbose != 0
    elif verbose is not None and not isinstance(verbose, bool):
        raise RPCError(-3, "JSON value of type string is not of expected type bool")
    cs = ctx.chainstate
    h = parse_hash(txid, "parameter 1")
    with cs.cs_main:
        tx, idx = None, None
        if blockhash is not None:
            idx = _index(ctx, blockhash)
            tx = next((t for t in cs.read_block(idx).txs if t.txid == h), None)
            if tx is None:
                raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "No such transaction found in the provided block. "
                               "Use gettransaction for wallet transactions.")
        elif h in cs.mempool:
            tx = cs.mempool.entries[h].tx
        else:
            block_hash = cs.db.find_tx_block(h)
            if block_hash is not None:
                idx = cs.index[block_hash]
                tx = next(t for t in cs.read_block(idx).txs if t.txid == h)
        if tx is None:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY,
                           "No such mempool or blockchain transaction. Use gettransaction for wallet transactions.")
        if not verbose:
            return tx.serialize().hex()
        out = tx_to_json(tx)
        if idx is not None:
            out["blockhash"] = idx.header.hash_hex
            if cs.in_active_chain(idx):
                out["height"] = idx.height
                out["confirmations"] = cs.height() - idx.height + 1
                out["time"] = out["blocktime"] = idx.time
            else:
                out["confirmations"] = 0
        out["instantlock"] = False
        out["instantlock_internal"] = False
        out["chainlock"] = False
        return out


@method("sendrawtransaction", "rawtransactions",
        [Arg("hexstring", "hex"), Arg("maxfeerate", "amount", False, "0.10"), Arg("instantsend", "bool", False, False),
         Arg("bypasslimits", "bool", False, False)],
        "Submit a raw transaction (serialized, hex-encoded) to the node's mempool.")
def sendrawtransaction(ctx, req, hexstring, maxfeerate, instantsend, bypasslimits):
    tx = decode_tx(hexstring)
    try:
        rate = from_value(maxfeerate)
    except ValueError as e:
        raise RPCError(RPC_INVALID_PARAMETER, str(e)) from None
    try:
        ctx.chainstate.accept_to_mempool(tx, max_fee_rate=rate)
    except ValidationError as e:
        raise RPCError(e.code, e.reason) from None
    ctx.signals.sync()
    return tx.txid_hex
