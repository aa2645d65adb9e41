"""Balance and coin RPCs: balances, wallet info, unspent outputs, locked coins, the fee rate."""

from __future__ import annotations

from ... import address
from ...amount import to_decimal
from ...primitives.transaction import OutPoint
from ...rpc.util import (RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_TYPE_ERROR, Arg, RPCError, json_type_name,
                         parse_hash)
from ..spend import ALL_COINS, ONLY_COINJOIN_COLLATERAL, coin_type_matches
from ..ismine import ISMINE_WATCH_ONLY
from .common import amount_arg, get_wallet, is_mine_filter, last_processed_block, method


@method("getbalance", "wallet", [Arg("dummy", "str", False), Arg("minconf", "int", False, 0),
                                 Arg("addlocked", "bool", False, False), Arg("include_watchonly", "bool", False),
                                 Arg("avoid_reuse", "bool", False, True)],
        "Returns the total available balance.")
def getbalance(ctx, req, dummy, minconf, addlocked, include_watchonly, avoid_reuse):
    if dummy is not None and dummy != "*":
        raise RPCError(-32, 'dummy first argument must be excluded or set to "*".')
    w = get_wallet(ctx, req)
    flt = is_mine_filter(w, include_watchonly)
    total = w.balances(min_depth=minconf)[0]
    if flt & ISMINE_WATCH_ONLY:
        total += w.balances(min_depth=minconf, watch_only=True)[0]
    return to_decimal(total)


@method("getbalances", "wallet", description="Returns an object with all balances in DASH.")
def getbalances(ctx, req):
    w = get_wallet(ctx, req)
    trusted, pending, immature = w.balances()
    out = {"mine": {"trusted": to_decimal(trusted), "untrusted_pending": to_decimal(pending),
                    "immature": to_decimal(immature), "coinjoin": to_decimal(0)}}
    if w.have_watch_only_any():
        trusted, pending, immature = w.balances(watch_only=True)
        out["watchonly"] = {"trusted": to_decimal(trusted), "untrusted_pending": to_decimal(pending),
                            "immature": to_decimal(immature)}
    out["lastprocessedblock"] = last_processed_block(w)
    return out


@method("getunconfirmedbalance", "wallet", description="DEPRECATED. Identical to getbalances().mine.untrusted_pending")
def getunconfirmedbalance(ctx, req):
    return to_decimal(get_wallet(ctx, req).balances()[1])


@method("getwalletinfo", "wallet", description="Returns an object containing various wallet state info.")
def getwalletinfo(ctx, req):
    w = get_wallet(ctx, req)
    trusted, pending, immature = w.balances()
    with w.lock:
        out = {"walletname": w.name, "walletversion": 120200, "format": "sqlite", "balance": to_decimal(trusted),
               "coinjoin_balance": to_decimal(0), "unconfirmed_balance": to_decimal(pending),
               "immature_balance": to_decimal(immature), "txcount": len(w.txs), "timefirstkey": w.first_key_time(),
               "keypoololdest": w.keypool_oldest(), "keypoolsize": w.keypool_size_left(False),
               "keypoolsize_hd_internal": w.keypool_size_left(True)}
        if w.is_crypted():
            out["unlocked_until"] = w.unlocked_until
        out["paytxfee"] = to_decimal(w.fee_policy.pay_tx_fee)
        if w.hd_chain is not None:
            external, internal = w.hd_chain.counters
            out.update({"hdchainid": w.hd_chain.chain_id[::-1].hex(), "hdaccountcount": 1,
                        "hdaccounts": [{"hdaccountindex": 0, "hdexternalkeyindex": external,
                                        "hdinternalkeyindex": internal}]})
        out.update({"private_keys_enabled": w.private_keys_enabled,
                    "avoid_reuse": False, "scanning": False, "descriptors": False, "external_signer": False,
                    "lastprocessedblock": last_processed_block(w)})
        return out


@method("settxfee", "wallet", [Arg("amount", "amount")], "Set the transaction fee rate in DASH/kB for this wallet.")
def settxfee(ctx, req, amount):
    w = get_wallet(ctx, req, sync=False)
    rate = amount_arg(amount)
    if rate and rate < w.fee_policy.relay_fee:
        raise RPCError(-8, f"txfee cannot be less than min relay tx fee ({to_decimal(w.fee_policy.relay_fee)} DASH/kB)")
    if rate and rate < w.fee_policy.min_tx_fee:
        raise RPCError(-8, f"txfee cannot be less than wallet min fee ({to_decimal(w.fee_policy.min_tx_fee)} DASH/kB)")
    if rate > w.fee_policy.max_tx_fee:
        raise RPCError(-8, f"txfee cannot be more than wallet max tx fee ({to_decimal(w.fee_policy.max_tx_fee)} DASH/kB)")
    w.fee_policy.pay_tx_fee = rate
    return True


@method("listunspent", "wallet",
        [Arg("minconf", "int", False, 1), Arg("maxconf", "int", False, 9999999), Arg("addresses", "arr", False),
         Arg("include_unsafe", "bool", False, True), Arg("query_options", "obj", False)],
        "Returns array of unspent transaction outputs with between minconf and maxconf (inclusive) confirmations.")
def listunspent(ctx, req, minconf, maxconf, addresses, include_unsafe, query_options):
    w = get_wallet(ctx, req)
    wanted = None
    if addresses is not None:
        wanted = set()
        for a in addresses:
            if not address.is_valid(a):
                raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, f"Invalid Dash address: {a}")
            if a in wanted:
                raise RPCError(RPC_INVALID_PARAMETER, f"Invalid parameter, duplicated address: {a}")
            wanted.add(a)
    opts = query_options or {}
    for key in opts:
        if key not in ("minimumAmount", "maximumAmount", "minimumSumAmount", "maximumCount", "coinType"):
            raise RPCError(RPC_INVALID_PARAMETER, f"Invalid key used in query_options JSON object: {key}")
    coin_type = opts.get("coinType", ALL_COINS)
    if isinstance(coin_type, bool) or not isinstance(coin_type, int):
        raise RPCError(RPC_TYPE_ERROR, f"JSON value of type {json_type_name(coin_type)} is not of expected type number")
    if not ALL_COINS <= coin_type <= ONLY_COINJOIN_COLLATERAL:
        raise RPCError(RPC_INVALID_PARAMETER, f"Invalid coinType selected. Available range: {ALL_COINS} - "
                       f"{ONLY_COINJOIN_COLLATERAL}")
    min_amount = amount_arg(opts.get("minimumAmount", 0))
    max_amount = amount_arg(opts["maximumAmount"]) if "maximumAmount" in opts else None
    min_sum = amount_arg(opts["minimumSumAmount"]) if "minimumSumAmount" in opts else None
    max_count = opts.get("maximumCount")
    out, total = [], 0
    with w.lock:
        coins = w.available_coins(include_unsafe=include_unsafe, min_depth=minconf, max_depth=maxconf,
                                  only_spendable=False)
        for c in sorted(coins, key=lambda c: (-c.depth, c.outpoint.txid, c.outpoint.n)):
            addr = address.from_script(c.txout.script_pubkey)
            if wanted is not None and addr not in wanted:
                continue
            v = c.txout.value
            if v < min_amount or (max_amount is not None and v > max_amount) or not coin_type_matches(v, coin_type):
                continue
            item = {"txid": c.outpoint.txid[::-1].hex(), "vout": c.outpoint.n}
            if addr:
                item["address"] = addr
                label = w.label_of(c.txout.script_pubkey)
                if label is not None:
                    item["label"] = label
            kind = w.redeem_for_output(c.txout.script_pubkey)
            if kind is not None:
                item["redeemScript"] = kind.hex()
            item.update({"scriptPubKey": c.txout.script_pubkey.hex(), "amount": to_decimal(v),
                         "confirmations": c.depth, "spendable": c.spendable, "solvable": c.solvable,
                         "safe": c.safe, "coinjoin_rounds": -2})
            out.append(item)
            total += v
            if max_count and len(out) >= max_count:
                break
            if min_sum is not None and total >= min_sum:
                break
    return out


def _outpoints(items) -> list[OutPoint]:
    ops = []
    for o in items:
        if not isinstance(o, dict):
            raise RPCError(-3, "Expected type object")
        txid, vout = o.get("txid"), o.get("vout")
        if not isinstance(txid, str):
            raise RPCError(-3, "Missing txid")
        if not isinstance(vout, int) or isinstance(vout, bool):
            raise RPCError(-3, "Missing vout")
        if vout < 0:
            raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, vout cannot be negative")
        ops.append(OutPoint(parse_hash(txid, "txid"), vout))
    return ops


@method("lockunspent", "wallet", [Arg("unlock", "bool"), Arg("transactions", "arr", False),
                                  Arg("persistent", "bool", False, False)],
        "Updates list of temporarily unspendable outputs.\n"
        "Temporarily lock (unlock=false) or unlock (unlock=true) specified transaction outputs.\n"
        "If no transaction outputs are specified when unlocking then all current locked transaction outputs are "
        "unlocked.\nLocks are stored in memory only, unless persistent=true, in which case they will be written to "
        "the\nwallet database and loaded on node start. Unlocking will clear both persistent and not.")
def lockunspent(ctx, req, unlock, transactions, persistent):
    w = get_wallet(ctx, req)
    with w.lock:
        if transactions is None:
            if unlock:
                w.unlock_all_coins()
            return True
        ops = _outpoints(transactions)
        for op in ops:
            e = w.txs.get(op.txid)
            if e is None:
                raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, unknown transaction")
            if op.n >= len(e.tx.vout):
                raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, vout index out of bounds")
            if w.is_spent(op):
                raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, expected unspent output")
            locked = op in w.locked_coins
            if unlock and not locked:
                raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, expected locked output")
            if not unlock and locked and not persistent:
                raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, output already locked")
        for op in ops:
            if unlock:
                w.unlock_coin(op)
            else:
                w.lock_coin(op, persistent)
    return True


@method("listlockunspent", "wallet", description="Returns list of temporarily unspendable outputs.")
def listlockunspent(ctx, req):
    w = get_wallet(ctx, req, sync=False)
    with w.lock:
        return [{"txid": op.txid[::-1].hex(), "vout": op.n} for op in sorted(w.locked_coins, key=lambda o: (o.txid, o.n))]
