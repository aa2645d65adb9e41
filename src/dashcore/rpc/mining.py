"""Mining RPCs for regtest: generatetoaddress, generatetodescriptor, generateblock, submitblock."""

from __future__ import annotations

import re

from .. import address
from ..node import miner
from ..node.validation import ValidationError
from ..primitives.block import Block
from ..primitives.serialize import DeserializationError
from .rawtransaction import decode_tx
from .util import (RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_MISC_ERROR, RPC_VERIFY_ERROR, Arg,
                   MethodTable, RPCError, parse_hex)

table = MethodTable()
method = table.method

DEFAULT_MAX_TRIES = 1_000_000


def _script_for(output: str) -> bytes:
    """An address, or a descriptor ``addr(...)`` / ``raw(...)`` with an optional checksum."""
    m = re.fullmatch(r"(addr|raw)\(([^)]*)\)(#[0-9a-z]{8})?", output)
    if m:
        if m.group(1) == "raw":
            return parse_hex(m.group(2), "descriptor")
        output = m.group(2)
    try:
        return address.to_script(output)
    except address.InvalidAddress:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address") from None


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


@method("generatetodescriptor", "generating",
        [Arg("num_blocks", "int"), Arg("descriptor", "str"), Arg("maxtries", "int", False, DEFAULT_MAX_TRIES)],
        "Mine blocks immediately to a specified descriptor (addr(...) or raw(...)).")
def generatetodescriptor(ctx, req, num_blocks, descriptor, maxtries):
    return _generate(ctx, _script_for(descriptor), num_blocks, maxtries)


@method("generateblock", "generating", [Arg("output", "str"), Arg("transactions", "arr")],
        "Mine a block with a set of ordered transactions immediately to a specified address or descriptor.")
def generateblock(ctx, req, output, transactions):
    script_pubkey = _script_for(output)
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


@method("getmininginfo", "mining", description="Returns a json object containing mining-related information.")
def getmininginfo(ctx, req):
    cs = ctx.chainstate
    with cs.cs_main:
        return {"blocks": cs.height(), "difficulty": 4.656542373906925e-10, "networkhashps": 0,
                "pooledtx": len(cs.mempool), "chain": "regtest", "warnings": ""}
