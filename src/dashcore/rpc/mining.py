"""Mining RPCs for regtest: generatetoaddress, generatetodescriptor, generateblock, submitblock."""

from __future__ import annotations

from .. import address, descriptor
from ..node import miner
from ..node.validation import ValidationError
from ..primitives.block import Block
from ..primitives.serialize import DeserializationError
from .rawtransaction import decode_tx
from .util import (RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_METHOD_NOT_FOUND,
                   RPC_MISC_ERROR, RPC_VERIFY_ERROR, Arg, MethodTable, RPCError, parse_hash, parse_hex)

table = MethodTable()
method = table.method

DEFAULT_MAX_TRIES = 1_000_000


def _script_from_descriptor(text: str) -> bytes:
    """The output script a descriptor gives, as Dash's getScriptFromDescriptor picks it (P2PKH of a combo);
    DescriptorError when ``text`` is no descriptor."""
    desc = descriptor.parse(text)
    if desc.is_range:
        raise RPCError(RPC_INVALID_PARAMETER, "Ranged descriptor not accepted. Maybe pass through deriveaddresses "
                       "first?")
    try:
        scripts = desc.scripts(0)
    except descriptor.DescriptorError:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Cannot derive script without private keys") from None
    return scripts[0] if len(scripts) == 1 else scripts[1]


def _generate(ctx, script_pubkey: bytes, nblocks: int, maxtries: int, txs=None) -> list[str]:
    try:
        hashes = miner.generate(ctx.chainstate, script_pubkey, nblocks, maxtries, txs)
    except ValidationError as e:
        raise RPCError(RPC_VERIFY_ERROR, f"TestBlockValidity failed: {e.reason}") from None
    ctx.signals.sync()
    return [h[::-1].hex() for h in hashes]


@method("generatetoaddress", "generating",
        [Arg("nblocks", "int"), Arg("address", "str"), Arg("maxtries", "int", False, DEFAULT_MAX_TRIES)],
        "Mine blocks immediately to a specified address (before the RPC call returns)")
def generatetoaddress(ctx, req, nblocks, address_, maxtries):
    return _generate(ctx, _script_for_address(address_), nblocks, maxtries)


def _script_for_address(addr: str) -> bytes:
    try:
        return address.to_script(addr)
    except address.InvalidAddress:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address") from None


_GENERATE_MOVED = "has been replaced by the -generate cli option. Refer to -help for more information."


@method("generate", "hidden", description=_GENERATE_MOVED)
def generate(ctx, req):
    raise RPCError(RPC_METHOD_NOT_FOUND, f"generate\n\n{_GENERATE_MOVED}\n")


@method("generatetodescriptor", "generating",
        [Arg("num_blocks", "int"), Arg("descriptor", "str"), Arg("maxtries", "int", False, DEFAULT_MAX_TRIES)],
        "Mine blocks immediately to a specified descriptor (addr(...) or raw(...)).")
def generatetodescriptor(ctx, req, num_blocks, text, maxtries):
    try:
        script_pubkey = _script_from_descriptor(text)
    except descriptor.DescriptorError as e:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, str(e)) from None
    return _generate(ctx, script_pubkey, num_blocks, maxtries)


@method("generateblock", "generating", [Arg("output", "str"), Arg("transactions", "arr")],
        "Mine a block with a set of ordered transactions immediately to a specified address or descriptor.")
def generateblock(ctx, req, output, transactions):
    try:
        script_pubkey = _script_from_descriptor(output)
    except descriptor.DescriptorError:
        try:
            script_pubkey = address.to_script(output)
        except address.InvalidAddress:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address or descriptor") from None
    cs = ctx.chainstate
    txs = []
    with cs.cs_main:
        for item in transactions:
            if not isinstance(item, str):
                raise RPCError(-3, "JSON value is not a string as expected")
            if len(item) == 64:
                try:
                    h = bytes.fromhex(item)[::-1]
                except ValueError:
                    h = b""
                entry = cs.mempool.entries.get(h)
                if entry is None:
                    raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, f"Transaction {item} not in mempool.")
                txs.append(entry.tx)
            else:
                try:
                    txs.append(decode_tx(item))
                except RPCError:
                    raise RPCError(RPC_DESERIALIZATION_ERROR, f"Transaction decode failed for {item}. "
                                   "Make sure the tx has at least one input.") from None
    hashes = _generate(ctx, script_pubkey, 1, DEFAULT_MAX_TRIES, txs)
    if not hashes:
        raise RPCError(RPC_MISC_ERROR, "Failed to make block.")
    return {"hash": hashes[0]}


@method("submitblock", "mining", [Arg("hexdata", "hex"), Arg("dummy", "str", False, hidden=True)],
        "Attempts to submit new block to network.")
def submitblock(ctx, req, hexdata, dummy):
    try:
        block = Block.from_bytes(parse_hex(hexdata, "hexdata"))
    except (DeserializationError, RPCError):
        raise RPCError(RPC_DESERIALIZATION_ERROR, "Block decode failed") from None
    try:
        is_new = ctx.chainstate.process_new_block(block)
    except ValidationError as e:
        return e.reason
    ctx.signals.sync()
    return None if is_new else "duplicate"


@method("prioritisetransaction", "mining",
        [Arg("txid", "str", help="The transaction id."),
         Arg("fee_delta", "int", help="The fee value (in duffs) to add (or subtract, if negative). Not a fee rate: "
             "only the selection of transactions for blocks sees it, as if the transaction paid that much more.")],
        "Accepts the transaction into mined blocks at a higher (or lower) priority")
def prioritisetransaction(ctx, req, txid, fee_delta):
    cs = ctx.chainstate
    h = parse_hash(txid, "txid")
    with cs.cs_main:
        cs.mempool.prioritise(h, fee_delta)
    return True


@method("getmininginfo", "mining", description="Returns a json object containing mining-related information.")
def getmininginfo(ctx, req):
    cs = ctx.chainstate
    with cs.cs_main:
        return {"blocks": cs.height(), "difficulty": 4.656542373906925e-10, "networkhashps": 0,
                "pooledtx": len(cs.mempool), "chain": "regtest", "warnings": ""}
