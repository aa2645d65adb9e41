"""Raw transaction RPCs: create, decode, fetch (mempool or tx index), send."""

from __future__ import annotations

from decimal import Decimal

from .. import address
from ..amount import from_value
from ..core_io import script_to_json, tx_to_json
from ..crypto.hashes import hash160
from ..node.validation import ValidationError
from ..primitives.serialize import DeserializationError
from ..primitives.transaction import OutPoint, Transaction, TxIn, TxOut
from ..script import OP_RETURN, push_data
from .blockchain import _index
from .util import (RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_TYPE_ERROR, Arg,
                   MethodTable, RPCError, amount_arg, json_type_name, parse_hash, parse_hex)

table = MethodTable()
method = table.method

DEFAULT_MAX_RAW_TX_FEE_RATE = 10_000_000  # 0.1 DASH/kB
LOCKTIME_MAX = 0xFFFFFFFF
SEQUENCE_FINAL = 0xFFFFFFFF


def decode_tx(hexstring: str) -> Transaction:
    try:
        return Transaction.from_bytes(parse_hex(hexstring, "hexstring"))
    except (DeserializationError, RPCError):
        raise RPCError(RPC_DESERIALIZATION_ERROR, "TX decode failed") from None


def _invalid(what: str) -> RPCError:
    return RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, " + what)


def _inputs(inputs: list, locktime: int) -> list[TxIn]:
    vin = []
    for entry in inputs:
        if not isinstance(entry, dict):
            raise RPCError(RPC_TYPE_ERROR, f"JSON value of type {json_type_name(entry)} is not of expected type object")
        txid = entry.get("txid")
        if not isinstance(txid, str):
            raise RPCError(RPC_TYPE_ERROR, f"JSON value of type {json_type_name(txid)} is not of expected type string")
        prev = parse_hash(txid, "txid")
        vout = entry.get("vout")
        if isinstance(vout, bool) or not isinstance(vout, (int, Decimal)):
            raise _invalid("missing vout key")
        if vout < 0:
            raise _invalid("vout cannot be negative")
        sequence = SEQUENCE_FINAL - 1 if locktime else SEQUENCE_FINAL
        given = entry.get("sequence")
        if isinstance(given, (int, Decimal)) and not isinstance(given, bool):
            if not 0 <= given <= SEQUENCE_FINAL:
                raise _invalid("sequence number is out of range")
            sequence = int(given)
        vin.append(TxIn(OutPoint(prev, int(vout)), b"", sequence))
    return vin


def _outputs(outputs: list | dict) -> list[TxOut]:
    if isinstance(outputs, list):
        pairs = []
        for entry in outputs:
            if not isinstance(entry, dict):
                raise _invalid("key-value pair not an object as expected")
            if len(entry) != 1:
                raise _invalid("key-value pair must contain exactly one key")
            pairs.extend(entry.items())
    else:
        pairs = list(outputs.items())
    vout, scripts, has_data = [], set(), False
    for key, value in pairs:
        if key == "data":
            if has_data:
                raise _invalid("duplicate key: data")
            has_data = True
            data = parse_hex(value if isinstance(value, str) else str(value), "Data")
            vout.append(TxOut(0, bytes([OP_RETURN]) + push_data(data)))
            continue
        try:
            script_pubkey = address.to_script(key)
        except address.InvalidAddress:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, f"Invalid Dash address: {key}") from None
        if script_pubkey in scripts:
            raise _invalid(f"duplicated address: {key}")
        scripts.add(script_pubkey)
        vout.append(TxOut(amount_arg(value), script_pubkey))
    return vout


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
    if not isinstance(outputs, (list, dict)):
        raise RPCError(RPC_TYPE_ERROR, f"JSON value of type {json_type_name(outputs)} is not of expected type array")
    if not 0 <= locktime <= LOCKTIME_MAX:
        raise _invalid("locktime out of range")
    tx = Transaction(tuple(_inputs(inputs, locktime)), tuple(_outputs(outputs)), locktime=locktime)
    return tx.serialize().hex()


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
