"""Transaction listing RPCs: listtransactions, gettransaction, what was received, abandoning."""

from __future__ import annotations

from ... import address
from ...amount import to_decimal
from ...core_io import tx_to_json
from ...primitives.block import Block
from ...rpc.util import (RPC_INTERNAL_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_WALLET_ERROR, Arg,
                         RPCError, parse_hash)
from ..ismine import ISMINE_WATCH_ONLY
from ..wallet import CWallet, WalletTxEntry
from .common import get_wallet, is_mine_filter, last_processed_block, method, script_of


def tx_fields(w: CWallet, e: WalletTxEntry) -> dict:
    """Bitcoin's WalletTxToJSON (Dash's lock fields are always false here)."""
    d = w.depth(e)
    r = e.record
    out: dict = {"confirmations": d, "instantlock": False, "instantlock_internal": False, "chainlock": False}
    if e.tx.is_coinbase():
        out["generated"] = True
    if d > 0:
        out["blockhash"] = r.block_hash[::-1].hex()
        out["blockheight"] = r.block_height
        out["blockindex"] = r.block_index
        out["blocktime"] = w.chain.find_block(r.block_hash).time
    else:
        out["trusted"] = w.is_trusted(e)
    out["txid"] = e.txid[::-1].hex()
    out["walletconflicts"] = sorted({t[::-1].hex() for i in e.tx.vin for t in w.spends.get(i.prevout, ())
                                     if t != e.txid})
    out["time"] = r.time_received
    out["timereceived"] = r.time_received
    if r.comment:
        out["comment"] = r.comment
    if r.comment_to:
        out["to"] = r.comment_to
    return out


def list_entries(w: CWallet, e: WalletTxEntry, flt: int, long: bool = True, filter_label: str | None = None,
                 min_depth: int = 0) -> list[dict]:
    """Bitcoin's ListTransactions for one wallet transaction: its send entries, then its receive entries."""
    tx = e.tx
    fee, sent, received = w.get_amounts(e, flt)
    involves_watch = w.is_from_me(tx, ISMINE_WATCH_ONLY)
    entries = []
    if filter_label is None:
        for n, o in sent:
            item = {}
            if involves_watch or w.is_mine(o.script_pubkey) & ISMINE_WATCH_ONLY:
                item["involvesWatchonly"] = True
            addr = address.from_script(o.script_pubkey)
            if addr:
                item["address"] = addr
            item["category"] = "send"
            item["amount"] = -to_decimal(o.value)
            label = w.label_of(o.script_pubkey)
            if label is not None:
                item["label"] = label
            item["vout"] = n
            item["fee"] = -to_decimal(fee)
            if long:
                item.update(tx_fields(w, e))
            item["abandoned"] = e.record.abandoned
            entries.append(item)
    if received and w.depth(e) >= min_depth:
        for n, o in received:
            label = w.label_of(o.script_pubkey)
            if filter_label is not None and (label or "") != filter_label:
                continue
            item = {}
            if involves_watch or w.is_mine(o.script_pubkey) & ISMINE_WATCH_ONLY:
                item["involvesWatchonly"] = True
            addr = address.from_script(o.script_pubkey)
            if addr:
                item["address"] = addr
            if tx.is_coinbase():
                if w.depth(e) < 1:
                    item["category"] = "orphan"
                elif w.is_immature_coinbase(e):
                    item["category"] = "immature"
                else:
                    item["category"] = "generate"
            else:
                item["category"] = "receive"
            item["amount"] = to_decimal(o.value)
            if label is not None:
                item["label"] = label
            item["vout"] = n
            if long:
                item.update(tx_fields(w, e))
            entries.append(item)
    return entries


@method("listtransactions", "wallet",
        [Arg("label|dummy", "str", False), Arg("count", "int", False, 10), Arg("skip", "int", False, 0),
         Arg("include_watchonly", "bool", False)],
        "If a label name is provided, this will return only incoming transactions paying to addresses with the "
        "specified label.\nReturns up to 'count' most recent transactions skipping the first 'from' transactions.")
def listtransactions(ctx, req, label, count, skip, include_watchonly):
    w = get_wallet(ctx, req)
    filter_label = None
    if label is not None and label != "*":
        if label == "":
            raise RPCError(RPC_INVALID_PARAMETER, 'Label argument must be a valid label name or "*".')
        filter_label = label
    flt = is_mine_filter(w, include_watchonly)
    if count < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Negative count")
    if skip < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Negative from")
    ret: list[dict] = []  # newest first, each transaction's entries in their own order
    with w.lock:
        for e in sorted(w.txs.values(), key=lambda e: e.record.order, reverse=True):
            ret.extend(list_entries(w, e, flt, True, filter_label))
            if len(ret) >= count + skip:
                break
    skip = min(skip, len(ret))
    count = min(count, len(ret) - skip)
    return list(reversed(ret[skip:skip + count]))


@method("listsinceblock", "wallet",
        [Arg("blockhash", "str", False), Arg("target_confirmations", "int", False, 1),
         Arg("include_watchonly", "bool", False), Arg("include_removed", "bool", False, True)],
        "Get all transactions in blocks since block [blockhash], or all transactions if omitted.\n"
        "If \"blockhash\" is no longer a part of the main chain, transactions from the fork point onward are "
        "included.\nAdditionally, if include_removed is set, transactions affecting the wallet which were removed are "
        "returned in the \"removed\" array.")
def listsinceblock(ctx, req, blockhash, target_confirmations, include_watchonly, include_removed):
    w = get_wallet(ctx, req)
    with w.lock:
        fork = None  # (height of the common ancestor with the wallet's chain, height of the block itself)
        block_id = b""
        if blockhash:
            block_id = parse_hash(blockhash, "blockhash")
            fork = w.find_fork(block_id)
            if fork is None:
                raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
        if target_confirmations < 1:
            raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter")
        flt = is_mine_filter(w, include_watchonly)
        depth = w.last_block_height + 1 - fork[0] if fork is not None else -1
        transactions = []
        for e in sorted(w.txs.values(), key=lambda e: e.record.order):
            if depth == -1 or abs(w.depth(e)) < depth:
                transactions.extend(list_entries(w, e, flt))
        removed = []
        if include_removed and fork is not None:
            # the blocks of the detached branch, from the given block back to the fork point
            height = fork[1]
            while height > fork[0]:
                found = w.chain.find_block(block_id, want_data=True)
                if not found.found or not found.data:
                    raise RPCError(RPC_INTERNAL_ERROR, "Can't read block from disk")
                for tx in Block.from_bytes(found.data).txs:
                    e = w.txs.get(tx.txid)
                    if e is not None:
                        removed.extend(list_entries(w, e, flt, min_depth=-100000000))
                block_id = found.prev_hash
                height -= 1
        target = min(target_confirmations, w.last_block_height + 1)
        lastblock = w.chain.get_block_hash(w.last_block_height + 1 - target)
    out = {"transactions": transactions}
    if include_removed:
        out["removed"] = removed
    out["lastblock"] = lastblock[::-1].hex()
    return out


@method("gettransaction", "wallet",
        [Arg("txid", "str"), Arg("include_watchonly", "bool", False), Arg("verbose", "bool", False, False)],
        "Get detailed information about in-wallet transaction <txid>")
def gettransaction(ctx, req, txid, include_watchonly, verbose):
    w = get_wallet(ctx, req)
    h = parse_hash(txid, "txid")
    with w.lock:
        e = w.txs.get(h)
        if e is None:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id")
        flt = is_mine_filter(w, include_watchonly)
        credit = 0 if w.is_immature_coinbase(e) else w.credit(e.tx, flt)
        debit = w.debit(e.tx, flt)
        from_me = debit > 0
        fee = e.tx.total_out() - debit if from_me else 0
        out = {"amount": to_decimal(credit - debit - fee)}
        if from_me:
            out["fee"] = to_decimal(fee)
        out.update(tx_fields(w, e))
        out["details"] = list_entries(w, e, flt, long=False)
        out["hex"] = e.tx.serialize().hex()
        if verbose:
            out["decoded"] = tx_to_json(e.tx, include_hex=False)
        out["lastprocessedblock"] = last_processed_block(w)
        return out


@method("abandontransaction", "wallet", [Arg("txid", "str")], "Mark in-wallet transaction <txid> as abandoned.")
def abandontransaction(ctx, req, txid):
    w = get_wallet(ctx, req)
    h = parse_hash(txid, "txid")
    with w.lock:
        e = w.txs.get(h)
        if e is None:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id")
        if w.depth(e) != 0 or e.in_mempool or e.record.abandoned:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Transaction not eligible for abandonment")
        w.abandon(h)
    return None


def _include_coinbase(ctx, include_immature: bool) -> bool:
    """Whether coinbase outputs count as received: not with -deprecatedrpc=exclude_coinbase."""
    include = "exclude_coinbase" not in ctx.args.get_list("deprecatedrpc")
    if include_immature and not include:
        raise RPCError(RPC_INVALID_PARAMETER, "include_immature_coinbase is incompatible with deprecated "
                       "exclude_coinbase")
    return include


def _skip_coinbase(w: CWallet, e: WalletTxEntry, include_coinbase: bool, include_immature: bool) -> bool:
    """A coinbase out of the main chain, any coinbase when excluded, an immature one unless included."""
    if e.tx.is_coinbase() and (w.depth(e) < 1 or not include_coinbase):
        return True
    return w.is_immature_coinbase(e) and not include_immature


def _list_received(w: CWallet, min_depth: int, include_empty: bool, include_watchonly, address_filter,
                   by_label: bool, include_immature: bool, include_coinbase: bool) -> list[dict]:
    flt = is_mine_filter(w, include_watchonly)
    filtered = None
    if not by_label and address_filter:
        if not address.is_valid(address_filter):
            raise RPCError(-4, "address_filter parameter was invalid")
        filtered = address_filter
    tally: dict[str, dict] = {}
    for e in w.txs.values():
        d = w.depth(e)
        if d < min_depth:
            continue
        if _skip_coinbase(w, e, include_coinbase, include_immature):
            continue
        for o in e.tx.vout:
            addr = address.from_script(o.script_pubkey)
            if addr is None or (filtered is not None and addr != filtered):
                continue
            mine = w.is_mine(o.script_pubkey)
            if not mine & flt:
                continue
            t = tally.setdefault(addr, {"amount": 0, "conf": None, "txids": [], "watch": False})
            t["amount"] += o.value
            t["conf"] = d if t["conf"] is None else min(t["conf"], d)
            t["txids"].append(e.txid[::-1].hex())
            if mine & ISMINE_WATCH_ONLY:
                t["watch"] = True
    ret, labels = [], {}
    book = sorted(w.address_book.items())
    if filtered is not None:
        book = [(a, en) for a, en in book if a == filtered]
    for addr, entry in book:
        t = tally.get(addr)
        if t is None and not include_empty:
            continue
        t = t or {"amount": 0, "conf": None, "txids": [], "watch": False}
        if by_label:
            lt = labels.setdefault(entry.label, {"amount": 0, "conf": None, "watch": False})
            lt["amount"] += t["amount"]
            if t["conf"] is not None:
                lt["conf"] = t["conf"] if lt["conf"] is None else min(lt["conf"], t["conf"])
            lt["watch"] = t["watch"]
        else:
            obj = {}
            if t["watch"]:
                obj["involvesWatchonly"] = True
            obj.update({"address": addr, "amount": to_decimal(t["amount"]), "confirmations": t["conf"] or 0,
                        "label": entry.label, "txids": t["txids"]})
            ret.append(obj)
    for label in sorted(labels):
        lt = labels[label]
        obj = {}
        if lt["watch"]:
            obj["involvesWatchonly"] = True
        obj.update({"amount": to_decimal(lt["amount"]), "confirmations": lt["conf"] or 0, "label": label})
        ret.append(obj)
    return ret


@method("listreceivedbyaddress", "wallet",
        [Arg("minconf", "int", False, 1), Arg("addlocked", "bool", False, False), Arg("include_empty", "bool", False, False),
         Arg("include_watchonly", "bool", False), Arg("address_filter", "str", False),
         Arg("include_immature_coinbase", "bool", False, False)],
        "List balances by receiving address.")
def listreceivedbyaddress(ctx, req, minconf, addlocked, include_empty, include_watchonly, address_filter, immature):
    w = get_wallet(ctx, req)
    with w.lock:
        return _list_received(w, minconf, include_empty, include_watchonly, address_filter, False, immature,
                              _include_coinbase(ctx, immature))


@method("listreceivedbylabel", "wallet",
        [Arg("minconf", "int", False, 1), Arg("addlocked", "bool", False, False), Arg("include_empty", "bool", False, False),
         Arg("include_watchonly", "bool", False), Arg("include_immature_coinbase", "bool", False, False)],
        "List received transactions by label.")
def listreceivedbylabel(ctx, req, minconf, addlocked, include_empty, include_watchonly, immature):
    w = get_wallet(ctx, req)
    with w.lock:
        return _list_received(w, minconf, include_empty, include_watchonly, None, True, immature,
                              _include_coinbase(ctx, immature))


def _received(w: CWallet, scripts: set[bytes], min_depth: int, include_immature: bool, include_coinbase: bool) -> int:
    total = 0
    for e in w.txs.values():
        if _skip_coinbase(w, e, include_coinbase, include_immature) or w.depth(e) < min_depth:
            continue
        total += sum(o.value for o in e.tx.vout if o.script_pubkey in scripts)
    return total


@method("getreceivedbyaddress", "wallet",
        [Arg("address", "str"), Arg("minconf", "int", False, 1), Arg("addlocked", "bool", False, False),
         Arg("include_immature_coinbase", "bool", False, False)],
        "Returns the total amount received by the given address in transactions with at least minconf confirmations.")
def getreceivedbyaddress(ctx, req, addr, minconf, addlocked, immature):
    w = get_wallet(ctx, req)
    spk = script_of(addr)
    with w.lock:
        if not w.is_mine(spk):
            raise RPCError(RPC_WALLET_ERROR, "Address not found in wallet")
        return to_decimal(_received(w, {spk}, minconf, immature, _include_coinbase(ctx, immature)))


@method("getreceivedbylabel", "wallet",
        [Arg("label", "str"), Arg("minconf", "int", False, 1), Arg("addlocked", "bool", False, False),
         Arg("include_immature_coinbase", "bool", False, False)],
        "Returns the total amount received by addresses with <label> in transactions with at least [minconf] "
        "confirmations.")
def getreceivedbylabel(ctx, req, label, minconf, addlocked, immature):
    w = get_wallet(ctx, req)
    with w.lock:
        scripts = {address.to_script(a) for a, e in w.address_book.items() if e.label == label}
        scripts = {s for s in scripts if w.is_mine(s)}
        return to_decimal(_received(w, scripts, minconf, immature, _include_coinbase(ctx, immature)))
