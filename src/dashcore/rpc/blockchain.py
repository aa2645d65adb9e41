"""Blockchain RPCs: blocks, headers, chain info, tips, mempool, UTXOs, invalidate/reconsider."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .. import chainparams
from ..amount import to_decimal
from ..core_io import script_to_json, tx_to_json
from ..primitives.block import difficulty
from ..primitives.transaction import OutPoint
from ..node import mempool_file
from ..node.validation import ValidationError
from .util import (RPC_DATABASE_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_MISC_ERROR, Arg,
                   MethodTable, RPCError, check_object, json_type_name, parse_hash)

if TYPE_CHECKING:
    from ..node.context import NodeContext
    from ..node.validation import BlockIndex

table = MethodTable()
method = table.method


def _index(ctx: "NodeContext", block_hash: str) -> "BlockIndex":
    idx = ctx.chainstate.index.get(parse_hash(block_hash, "blockhash"))
    if idx is None:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
    return idx


def header_json(ctx: "NodeContext", idx: "BlockIndex") -> dict:
    cs = ctx.chainstate
    h = idx.header
    active = cs.in_active_chain(idx)
    out = {"hash": h.hash_hex, "confirmations": cs.height() - idx.height + 1 if active else -1,
           "height": idx.height, "version": h.version, "versionHex": f"{h.version & 0xFFFFFFFF:08x}",
           "merkleroot": h.merkle_root[::-1].hex(), "time": h.time, "mediantime": idx.median_time_past(),
           "nonce": h.nonce, "bits": f"{h.bits:08x}", "difficulty": difficulty(h.bits),
           "chainwork": f"{idx.chain_work:064x}", "nTx": idx.tx_count}
    if idx.prev is not None:
        out["previousblockhash"] = idx.prev.header.hash_hex
    if active and idx.height < cs.height():
        out["nextblockhash"] = cs.active[idx.height + 1].header.hash_hex
    return out


@method("getblockcount", "blockchain", description="Returns the height of the most-work fully-validated chain.")
def getblockcount(ctx, req):
    with ctx.chainstate.cs_main:
        return ctx.chainstate.height()


@method("getbestblockhash", "blockchain", description="Returns the hash of the best (tip) block in the most-work fully-validated chain.")
def getbestblockhash(ctx, req):
    with ctx.chainstate.cs_main:
        return ctx.chainstate.tip.header.hash_hex


@method("getblockhash", "blockchain", [Arg("height", "int", help="The height index")],
        "Returns hash of block in best-block-chain at height provided.")
def getblockhash(ctx, req, height):
    cs = ctx.chainstate
    with cs.cs_main:
        if height < 0 or height > cs.height():
            raise RPCError(RPC_INVALID_PARAMETER, "Block height out of range")
        return cs.active[height].header.hash_hex


@method("getdifficulty", "blockchain", description="Returns the proof-of-work difficulty as a multiple of the minimum difficulty.")
def getdifficulty(ctx, req):
    with ctx.chainstate.cs_main:
        return difficulty(ctx.chainstate.tip.header.bits)


@method("getblockheader", "blockchain", [Arg("blockhash", "str"), Arg("verbose", "bool", False, True)],
        "If verbose is false, returns a string that is serialized, hex-encoded data for blockheader 'hash'.\n"
        "If verbose is true, returns an Object with information about blockheader <hash>.")
def getblockheader(ctx, req, blockhash, verbose):
    with ctx.chainstate.cs_main:
        idx = _index(ctx, blockhash)
        if not verbose:
            return idx.header.serialize().hex()
        return header_json(ctx, idx)


@method("getblock", "blockchain", [Arg("blockhash", "str"), Arg("verbosity|verbose", "any", False, 1)],
        "If verbosity is 0, returns a string that is serialized, hex-encoded data for block 'hash'.\n"
        "If verbosity is 1, returns an Object with information about block <hash>.\n"
        "If verbosity is 2, returns an Object with information about block <hash> and information about each transaction.")
def getblock(ctx, req, blockhash, verbosity):
    if isinstance(verbosity, bool):
        verbosity = int(verbosity)
    elif not isinstance(verbosity, int):
        raise RPCError(-3, "JSON value of type " + type(verbosity).__name__ + " is not of expected type number")
    cs = ctx.chainstate
    with cs.cs_main:
        idx = _index(ctx, blockhash)
        data = cs.store.get(idx.hash)
        if data is None:
            raise RPCError(RPC_DATABASE_ERROR, "Block not available (pruned data)")
        if verbosity <= 0:
            return data.hex()
        block = cs.read_block(idx)
        out = header_json(ctx, idx)
        out["size"] = len(data)
        out["tx"] = [t.txid_hex if verbosity == 1 else tx_to_json(t) for t in block.txs]
        return out


@method("getblockchaininfo", "blockchain", description="Returns an object containing various state info regarding blockchain processing.")
def getblockchaininfo(ctx, req):
    cs = ctx.chainstate
    with cs.cs_main:
        tip = cs.tip
        headers = max((i.height for i in cs.index.values() if not (i.failed or i.failed_child)), default=0)
        return {"chain": chainparams.NETWORK, "blocks": cs.height(), "headers": headers,
                "bestblockhash": tip.header.hash_hex, "difficulty": difficulty(tip.header.bits), "time": tip.time,
                "mediantime": tip.median_time_past(), "verificationprogress": 1,
                "initialblockdownload": cs.is_initial_block_download(), "chainwork": f"{tip.chain_work:064x}",
                "size_on_disk": 0, "pruned": False, "warnings": ""}


@method("getchaintips", "blockchain", description="Return information about all known tips in the block tree, including the main chain as well as orphaned branches.")
def getchaintips(ctx, req):
    cs = ctx.chainstate
    with cs.cs_main:
        tips = [i for i in cs.index.values() if not i.children or i is cs.tip]
        out = []
        for idx in sorted(tips, key=lambda i: -i.height):
            fork = idx
            while not cs.in_active_chain(fork):
                fork = fork.prev
            if cs.in_active_chain(idx):
                status = "active"
            elif idx.failed or idx.failed_child:
                status = "invalid"
            elif idx.validated:
                status = "valid-fork"
            else:
                status = "valid-headers"
            out.append({"height": idx.height, "hash": idx.header.hash_hex, "difficulty": difficulty(idx.header.bits),
                        "chainwork": f"{idx.chain_work:064x}", "branchlen": idx.height - fork.height,
                        "forkpoint": fork.header.hash_hex, "status": status})
        return out


def _entry_json(cs, txid: bytes) -> dict:
    e = cs.mempool.entries[txid]
    ancestors = cs.mempool.ancestors(txid)
    descendants = cs.mempool.descendants(txid)
    fee, modified = to_decimal(e.fee), to_decimal(cs.mempool.modified_fee(txid))
    ancestor_fees = sum(cs.mempool.modified_fee(a) for a in ancestors)
    descendant_fees = sum(cs.mempool.modified_fee(d) for d in descendants)
    spent_by = sorted({cs.mempool.spenders[o][::-1].hex() for o in cs.mempool.spenders if o.txid == txid})
    return {"fees": {"base": fee, "modified": modified, "ancestor": to_decimal(ancestor_fees),
                     "descendant": to_decimal(descendant_fees)},
            "size": e.size, "fee": fee, "modifiedfee": modified, "time": e.time, "height": e.height,
            "descendantcount": len(descendants), "descendantsize": sum(cs.mempool.entries[d].size for d in descendants),
            "descendantfees": descendant_fees,
            "ancestorcount": len(ancestors), "ancestorsize": sum(cs.mempool.entries[a].size for a in ancestors),
            "ancestorfees": ancestor_fees,
            "depends": sorted({i.prevout.txid[::-1].hex() for i in e.tx.vin if i.prevout.txid in cs.mempool}),
            "spentby": spent_by, "instantlock": False, "unbroadcast": False}


@method("getrawmempool", "blockchain", [Arg("verbose", "bool", False, False), Arg("mempool_sequence", "bool", False, False)],
        "Returns all transaction ids in memory pool as a json array of string transaction ids.")
def getrawmempool(ctx, req, verbose, mempool_sequence):
    cs = ctx.chainstate
    with cs.cs_main:
        if verbose:
            return {t[::-1].hex(): _entry_json(cs, t) for t in cs.mempool.entries}
        txids = [t[::-1].hex() for t in cs.mempool.entries]
        if mempool_sequence:
            return {"txids": txids, "mempool_sequence": cs.mempool.sequence}
        return txids


@method("getmempoolentry", "blockchain", [Arg("txid", "str")], "Returns mempool data for given transaction")
def getmempoolentry(ctx, req, txid):
    cs = ctx.chainstate
    with cs.cs_main:
        h = parse_hash(txid, "txid")
        if h not in cs.mempool:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool")
        return _entry_json(cs, h)


@method("gettxspendingprevout", "blockchain",
        [Arg("outputs", "arr", help='The transaction outputs that we want to check: [{"txid": hex, "vout": n}, ...]')],
        "Scans the mempool to find transactions spending any of the given outputs")
def gettxspendingprevout(ctx, req, outputs):
    if not outputs:
        raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, outputs are missing")
    prevouts = []
    for o in outputs:
        if not isinstance(o, dict):
            raise RPCError(-3, f"JSON value of type {json_type_name(o)} is not of expected type object")
        check_object(o, {"txid": "string", "vout": "number"})
        txid = parse_hash(o["txid"], "txid")
        if o["vout"] < 0:
            raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, vout cannot be negative")
        prevouts.append((o["txid"], int(o["vout"]), OutPoint(txid, int(o["vout"]))))
    cs = ctx.chainstate
    result = []
    with cs.cs_main:
        for txid_hex, n, prevout in prevouts:
            entry = {"txid": txid_hex, "vout": n}
            spender = cs.mempool.spenders.get(prevout)
            if spender is not None:
                entry["spendingtxid"] = spender[::-1].hex()
            result.append(entry)
    return result


@method("getmempoolinfo", "blockchain", description="Returns details on the active state of the TX memory pool.")
def getmempoolinfo(ctx, req):
    cs = ctx.chainstate
    with cs.cs_main:
        size = cs.mempool.total_size()
        return {"loaded": cs.mempool.loaded, "size": len(cs.mempool), "bytes": size, "usage": size,
                "total_fee": to_decimal(cs.mempool.total_fee()), "maxmempool": 300_000_000,
                "mempoolminfee": to_decimal(1000), "minrelaytxfee": to_decimal(1000), "instantsendlocks": 0,
                "unbroadcastcount": 0}


@method("savemempool", "blockchain", description="Dumps the mempool to disk. It will fail until the previous dump is "
        "fully loaded.")
def savemempool(ctx, req):
    cs = ctx.chainstate
    if not cs.mempool.loaded:
        raise RPCError(RPC_MISC_ERROR, "The mempool was not loaded yet")
    path = os.path.join(ctx.datadir, mempool_file.FILENAME)
    try:
        mempool_file.dump(cs, path)
    except mempool_file.MempoolFileError:
        raise RPCError(RPC_MISC_ERROR, "Unable to dump mempool to disk") from None
    return {"filename": path}


@method("gettxout", "blockchain", [Arg("txid", "str"), Arg("n", "int"), Arg("include_mempool", "bool", False, True)],
        "Returns details about an unspent transaction output.")
def gettxout(ctx, req, txid, n, include_mempool):
    cs = ctx.chainstate
    with cs.cs_main:
        coin = cs.get_coin(parse_hash(txid, "txid"), n, include_mempool)
        if coin is None:
            return None
        confirmations = 0 if coin.height < 0 else cs.height() - coin.height + 1
        return {"bestblock": cs.tip.header.hash_hex, "confirmations": confirmations, "value": to_decimal(coin.value),
                "scriptPubKey": script_to_json(coin.script_pubkey), "coinbase": coin.coinbase}


@method("gettxoutsetinfo", "blockchain", description="Returns statistics about the unspent transaction output set.")
def gettxoutsetinfo(ctx, req):
    cs = ctx.chainstate
    with cs.cs_main:
        count, total = cs.db.utxo_stats()
        return {"height": cs.height(), "bestblock": cs.tip.header.hash_hex, "txouts": count,
                "total_amount": to_decimal(total)}


def _scan_objects(objects: list) -> list[bytes]:
    """The output scripts a scantxoutset request names (descriptors, with ranges for ranged ones)."""
    from .. import descriptor
    from .output_script import parse_range
    found: list[bytes] = []
    for obj in objects:
        rng = None
        if isinstance(obj, str):
            text = obj
        elif isinstance(obj, dict) and isinstance(obj.get("desc"), str):
            text, rng = obj["desc"], obj.get("range")
        else:
            raise RPCError(RPC_INVALID_PARAMETER, "Scan object needs to be either a string or an object")
        try:
            desc = descriptor.parse(text)
        except descriptor.DescriptorError as e:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, str(e)) from None
        begin, end = (0, 0)
        if desc.is_range:
            begin, end = parse_range(rng if rng is not None else 1000)
        for pos in range(begin, end + 1):
            try:
                found.extend(desc.scripts(pos))
            except descriptor.DescriptorError as e:
                raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, str(e)) from None
    return found


def _inferred_descriptor(spk: bytes) -> str:
    from .. import address, descriptor
    addr = address.from_script(spk)
    body = f"addr({addr})" if addr is not None else f"raw({spk.hex()})"
    return body + "#" + descriptor.checksum(body)


@method("scantxoutset", "blockchain",
        [Arg("action", "str", help="The action to execute (start, abort, status)"),
         Arg("scanobjects", "arr", False, help="Array of scan objects (descriptors, or {desc, range})")],
        "Scans the unspent transaction output set for entries that match certain output descriptors.")
def scantxoutset(ctx, req, action, scanobjects):
    if action in ("abort", "status"):
        # a scan runs to completion inside its call: there is never one to abort or report on
        return False if action == "abort" else None
    if action != "start":
        raise RPCError(RPC_INVALID_PARAMETER, "Invalid action '" + action + "'")
    if scanobjects is None:
        raise RPCError(RPC_MISC_ERROR, "scanobjects argument is required for the start action")
    wanted = set(_scan_objects(scanobjects))
    cs = ctx.chainstate
    with cs.cs_main:
        unspents, total, count = [], 0, 0
        for txid, n, coin in cs.db.iter_utxos():
            count += 1
            if coin.script_pubkey in wanted:
                total += coin.value
                unspents.append({"txid": txid[::-1].hex(), "vout": n, "scriptPubKey": coin.script_pubkey.hex(),
                                 "desc": _inferred_descriptor(coin.script_pubkey), "amount": to_decimal(coin.value),
                                 "coinbase": coin.coinbase, "height": coin.height})
        return {"success": True, "txouts": count, "height": cs.height(), "bestblock": cs.tip.header.hash_hex,
                "unspents": unspents, "total_amount": to_decimal(total)}


@method("invalidateblock", "blockchain", [Arg("blockhash", "str", help="the hash of the block to mark as invalid")],
        "Permanently marks a block as invalid, as if it violated a consensus rule.")
def invalidateblock(ctx, req, blockhash):
    h = parse_hash(blockhash, "blockhash")
    try:
        ctx.chainstate.invalidate_block(h)
    except KeyError:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Block not found") from None
    except ValidationError as e:
        raise RPCError(RPC_DATABASE_ERROR, e.reason) from None
    ctx.signals.sync()
    return None


@method("reconsiderblock", "blockchain", [Arg("blockhash", "str", help="the hash of the block to reconsider")],
        "Removes invalidity status of a block, its ancestors and its descendants, reconsider them for activation.\n"
        "This can be used to undo the effects of invalidateblock.")
def reconsiderblock(ctx, req, blockhash):
    h = parse_hash(blockhash, "blockhash")
    try:
        ctx.chainstate.reconsider_block(h)
    except KeyError:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Block not found") from None
    ctx.signals.sync()
    return None


@method("preciousblock", "blockchain", [Arg("blockhash", "str", help="the hash of the block to mark as precious")],
        "Treats a block as if it were received before others with the same work.\n"
        "A later preciousblock call can override the effect of an earlier one.\n"
        "The effects of preciousblock are not retained across restarts.")
def preciousblock(ctx, req, blockhash):
    h = parse_hash(blockhash, "blockhash")
    try:
        ctx.chainstate.precious_block(h)
    except KeyError:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Block not found") from None
    except ValidationError as e:
        raise RPCError(RPC_DATABASE_ERROR, e.reason) from None
    ctx.signals.sync()
    return None


@method("syncwithvalidationinterfacequeue", "hidden", description="Waits for the validation interface queue to catch up on everything that was there when we entered this function.")
def syncwithvalidationinterfacequeue(ctx, req):
    ctx.signals.sync()
    return None
