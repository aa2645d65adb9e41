"""Wallet RPCs, registered with the node through Chain.handle_rpc (the node never imports this)."""

from __future__ import annotations

import urllib.parse

from .. import address
from ..amount import from_value, to_decimal
from ..core_io import tx_to_json
from ..interfaces import InterfaceError, RpcCommand, RpcReply, RpcRequest
from ..rpc.util import (RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_TYPE_ERROR, RPC_WALLET_ERROR,
                        RPC_WALLET_NOT_FOUND, RPC_WALLET_NOT_SPECIFIED, Arg, MethodTable, RPCError, dumps, loads,
                        parse_hash)
from .context import WalletContext
from .wallet import CWallet, WalletTxEntry

table = MethodTable()
method = table.method


def commands(ctx: WalletContext) -> list[RpcCommand]:
    out = []
    for m in table.methods:
        def actor(request: RpcRequest, m=m) -> RpcReply:
            try:
                return RpcReply(dumps(m.fn(ctx, request, *m.parse(loads(request.params_json)))))
            except RPCError as e:
                return RpcReply("null", e.code, e.message)
            except InterfaceError as e:
                return RpcReply("null", e.code, e.message)
        out.append(RpcCommand(m.category, m.name, m.arg_names, m.help_text(), actor))
    return out


def wallet_name_from_uri(uri: str) -> str | None:
    prefix = "/wallet/"
    if uri.startswith(prefix):
        return urllib.parse.unquote(uri[len(prefix):])
    return None


def get_wallet(ctx: WalletContext, req: RpcRequest, sync: bool = True) -> CWallet:
    name = wallet_name_from_uri(req.uri)
    with ctx.lock:
        if name is not None:
            wallet = ctx.wallets.get(name)
            if wallet is None:
                raise RPCError(RPC_WALLET_NOT_FOUND, "Requested wallet does not exist or is not loaded")
        elif len(ctx.wallets) == 1:
            wallet = next(iter(ctx.wallets.values()))
        elif not ctx.wallets:
            raise RPCError(RPC_WALLET_NOT_FOUND, "No wallet is loaded. Load a wallet using loadwallet or create a new "
                           "one with createwallet. (Note: A default wallet is no longer automatically created)")
        else:
            raise RPCError(RPC_WALLET_NOT_SPECIFIED, "Wallet file not specified (must request wallet RPC through "
                           "/wallet/<filename> uri-path).")
    if sync:
        wallet.block_until_synced()
    return wallet


def _amount(value, name: str = "amount") -> int:
    try:
        duffs = from_value(value)
    except ValueError as e:
        raise RPCError(RPC_TYPE_ERROR, str(e) if str(e) != "Invalid amount" else "Invalid amount") from None
    return duffs


# -- addresses and balances ----------------------------------------------------------------------------


@method("getnewaddress", "wallet", [Arg("label", "str", False, "")],
        "Returns a new Dash address for receiving payments.")
def getnewaddress(ctx, req, label):
    if label == "*":
        raise RPCError(-11, "Invalid label name")
    return get_wallet(ctx, req, sync=False).get_new_address(label)


@method("getrawchangeaddress", "wallet", description="Returns a new Dash address, for receiving change.")
def getrawchangeaddress(ctx, req):
    return get_wallet(ctx, req, sync=False).get_new_address("", internal=True)


@method("getbalance", "wallet", [Arg("dummy", "str", False, hidden=False), Arg("minconf", "int", False, 0),
                                 Arg("addlocked", "bool", False, False), Arg("include_watchonly", "bool", False, True),
                                 Arg("avoid_reuse", "bool", False, True)],
        "Returns the total available balance.")
def getbalance(ctx, req, dummy, minconf, addlocked, include_watchonly, avoid_reuse):
    if dummy is not None and dummy != "*":
        raise RPCError(-32, 'dummy first argument must be excluded or set to "*".')
    trusted, _, _ = get_wallet(ctx, req).balances(min_depth=minconf)
    return to_decimal(trusted)


@method("getbalances", "wallet", description="Returns an object with all balances in DASH.")
def getbalances(ctx, req):
    w = get_wallet(ctx, req)
    trusted, pending, immature = w.balances()
    return {"mine": {"trusted": to_decimal(trusted), "untrusted_pending": to_decimal(pending),
                     "immature": to_decimal(immature), "coinjoin": to_decimal(0)}}


@method("getunconfirmedbalance", "wallet", description="DEPRECATED. Identical to getbalances().mine.untrusted_pending")
def getunconfirmedbalance(ctx, req):
    return to_decimal(get_wallet(ctx, req).balances()[1])


@method("getwalletinfo", "wallet", description="Returns an object containing various wallet state info.")
def getwalletinfo(ctx, req):
    w = get_wallet(ctx, req)
    trusted, pending, immature = w.balances()
    with w.lock:
        oldest = min((k.created for k in w.keys.values() if not k.used), default=0)
        return {"walletname": w.name, "walletversion": 120200, "format": "sqlite", "balance": to_decimal(trusted),
                "coinjoin_balance": to_decimal(0), "unconfirmed_balance": to_decimal(pending),
                "immature_balance": to_decimal(immature), "txcount": len(w.txs), "keypoololdest": oldest,
                "keypoolsize": w.keypool_size_left(False), "keypoolsize_hd_internal": w.keypool_size_left(True),
                "paytxfee": to_decimal(0), "private_keys_enabled": True, "avoid_reuse": False, "scanning": False,
                "descriptors": False}


@method("keypoolrefill", "wallet", [Arg("newsize", "int", False, 0)], "Fills the keypool.")
def keypoolrefill(ctx, req, newsize):
    w = get_wallet(ctx, req, sync=False)
    if newsize < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, expected valid size.")
    with w.lock:
        if newsize:
            w.keypool_size = newsize
        w.top_up_keypool()
    return None


@method("getaddressinfo", "wallet", [Arg("address", "str")], "Return information about the given Dash address.")
def getaddressinfo(ctx, req, addr):
    w = get_wallet(ctx, req, sync=False)
    try:
        spk = address.to_script(addr)
    except address.InvalidAddress:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address") from None
    with w.lock:
        pub = w.scripts.get(spk)
        out = {"address": addr, "scriptPubKey": spk.hex(), "ismine": pub is not None, "iswatchonly": False,
               "solvable": pub is not None, "isscript": spk[0] == 0xA9, "ischange": w.is_change(spk)}
        if pub is not None:
            out["pubkey"] = pub.hex()
            out["iscompressed"] = True
            out["timestamp"] = w.keys[pub].created
        label = w.label_of(spk)
        out["labels"] = [label] if label is not None else []
        return out


@method("dumpprivkey", "wallet", [Arg("address", "str")], "Reveals the private key corresponding to 'address'.")
def dumpprivkey(ctx, req, addr):
    w = get_wallet(ctx, req, sync=False)
    try:
        spk = address.to_script(addr)
    except address.InvalidAddress:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid Dash address") from None
    with w.lock:
        if spk not in w.scripts:
            raise RPCError(RPC_WALLET_ERROR, f"Private key for address {addr} is not known")
        return w.private_key_for(spk).to_wif()


# -- sending -----------------------------------------------------------------------------------------------


@method("sendtoaddress", "wallet",
        [Arg("address", "str"), Arg("amount", "amount"), Arg("comment", "str", False, ""),
         Arg("comment_to", "str", False, ""), Arg("subtractfeefromamount", "bool", False, False),
         Arg("use_is", "bool", False, False), Arg("use_cj", "bool", False, False), Arg("conf_target", "int", False),
         Arg("estimate_mode", "str", False, "unset"), Arg("avoid_reuse", "bool", False, True)],
        "Send an amount to a given address. The wallet pays the fixed regtest fee rate (0.00001 DASH/kB).")
def sendtoaddress(ctx, req, addr, amount, comment, comment_to, subtract, use_is, use_cj, conf_target, estimate_mode,
                  avoid_reuse):
    w = get_wallet(ctx, req)
    try:
        spk = address.to_script(addr)
    except address.InvalidAddress:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid Dash address") from None
    duffs = _amount(amount)
    if duffs <= 0:
        raise RPCError(RPC_TYPE_ERROR, "Invalid amount for send")
    with w.lock:
        tx, _fee = w.create_transaction([(spk, duffs, subtract)], ctx.chain.estimate_fee(6))
        w.commit_transaction(tx, comment, comment_to)
    w.sync_notifications()  # the receiving wallets show it when this returns
    return tx.txid_hex


@method("sendmany", "wallet",
        [Arg("dummy", "str"), Arg("amounts", "obj"), Arg("minconf", "int", False, 1), Arg("addlocked", "bool", False),
         Arg("comment", "str", False, ""), Arg("subtractfeefrom", "arr", False)],
        "Send multiple times. Amounts are double-precision floating point numbers.")
def sendmany(ctx, req, dummy, amounts, minconf, addlocked, comment, subtractfeefrom):
    if dummy != "":
        raise RPCError(RPC_INVALID_PARAMETER, 'Dummy value must be set to ""')
    w = get_wallet(ctx, req)
    recipients = []
    for addr, value in amounts.items():
        try:
            spk = address.to_script(addr)
        except address.InvalidAddress:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, f"Invalid Dash address: {addr}") from None
        duffs = _amount(value)
        if duffs <= 0:
            raise RPCError(RPC_TYPE_ERROR, "Invalid amount for send")
        recipients.append((spk, duffs, addr in (subtractfeefrom or [])))
    with w.lock:
        tx, _fee = w.create_transaction(recipients, ctx.chain.estimate_fee(6))
        w.commit_transaction(tx, comment)
    w.sync_notifications()  # the receiving wallets show it when this returns
    return tx.txid_hex


@method("abandontransaction", "wallet", [Arg("txid", "str")], "Mark in-wallet transaction <txid> as abandoned.")
def abandontransaction(ctx, req, txid):
    w = get_wallet(ctx, req)
    h = parse_hash(txid, "txid")
    with w.lock:
        e = w.txs.get(h)
        if e is None:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id")
        if w.depth(e) != 0 or e.in_mempool:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Transaction not eligible for abandonment")
        e.record.abandoned = True
        w.db.write_tx(e.record)
    return None


# -- listing -------------------------------------------------------------------------------------------------


def _wallet_tx_fields(w: CWallet, e: WalletTxEntry) -> dict:
    d = w.depth(e)
    r = e.record
    out: dict = {"confirmations": d, "instantlock": False, "instantlock_internal": False, "chainlock": False}
    if e.tx.is_coinbase():
        out["generated"] = True
    if d > 0:
        out["blockhash"] = r.block_hash[::-1].hex()
        out["blockheight"] = r.block_height
        out["blockindex"] = r.block_index
        found = w.chain.find_block(r.block_hash)
        out["blocktime"] = found.time
    else:
        out["trusted"] = w.is_trusted(e)
    out["txid"] = e.txid[::-1].hex()
    conflicts = sorted({t[::-1].hex() for i in e.tx.vin for t in w.spends.get(i.prevout, ()) if t != e.txid})
    out["walletconflicts"] = conflicts
    out["time"] = r.time_received
    out["timereceived"] = r.time_received
    if r.comment:
        out["comment"] = r.comment
    if r.comment_to:
        out["to"] = r.comment_to
    return out


def _entries(w: CWallet, e: WalletTxEntry) -> list[dict]:
    """Bitcoin's ListTransactions for one wallet transaction: its send and receive entries."""
    tx = e.tx
    fee = w.fee_of(tx)
    entries = []
    if w.is_from_me(tx):
        for n, o in enumerate(tx.vout):
            if w.is_change(o.script_pubkey):
                continue
            item = {}
            addr = address.from_script(o.script_pubkey)
            if addr:
                item["address"] = addr
            item["category"] = "send"
            item["amount"] = -to_decimal(o.value)
            label = w.label_of(o.script_pubkey)
            if label is not None:
                item["label"] = label
            item["vout"] = n
            item["fee"] = -to_decimal(fee or 0)
            item.update(_wallet_tx_fields(w, e))
            item["abandoned"] = e.record.abandoned
            entries.append(item)
    for n, o in enumerate(tx.vout):
        if not w.is_mine(o.script_pubkey) or (w.is_from_me(tx) and w.is_change(o.script_pubkey)):
            continue
        item = {"address": address.from_script(o.script_pubkey)}
        if tx.is_coinbase():
            if w.depth(e) < 1:
                category = "orphan"
            elif w.blocks_to_maturity(e) > 0:
                category = "immature"
            else:
                category = "generate"
        else:
            category = "receive"
        item["category"] = category
        item["amount"] = to_decimal(o.value)
        label = w.label_of(o.script_pubkey)
        if label is not None:
            item["label"] = label
        item["vout"] = n
        item.update(_wallet_tx_fields(w, e))
        entries.append(item)
    return entries


@method("listtransactions", "wallet",
        [Arg("label", "str", False, "*"), Arg("count", "int", False, 10), Arg("skip", "int", False, 0),
         Arg("include_watchonly", "bool", False, True)],
        "If a label name is provided, this will return only incoming transactions paying to addresses with the "
        "specified label.\nReturns up to 'count' most recent transactions skipping the first 'from' transactions.")
def listtransactions(ctx, req, label, count, skip, include_watchonly):
    if count < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Negative count")
    if skip < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Negative from")
    w = get_wallet(ctx, req)
    with w.lock:
        items = []
        for e in sorted(w.txs.values(), key=lambda e: e.record.order):
            for item in _entries(w, e):
                if label == "*" or item.get("label") == label:
                    items.append(item)
    end = len(items) - skip
    start = max(end - count, 0)
    return items[start:max(end, 0)]


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
    out = []
    with w.lock:
        for c in w.available_coins(include_unsafe=include_unsafe, min_depth=minconf, max_depth=maxconf):
            addr = address.from_script(c.txout.script_pubkey)
            if wanted is not None and addr not in wanted:
                continue
            item = {"txid": c.outpoint.txid[::-1].hex(), "vout": c.outpoint.n, "address": addr}
            label = w.label_of(c.txout.script_pubkey)
            if label is not None:
                item["label"] = label
            item.update({"scriptPubKey": c.txout.script_pubkey.hex(), "amount": to_decimal(c.txout.value),
                         "confirmations": c.depth, "spendable": True, "solvable": True,
                         "safe": c.depth > 0 or w.is_trusted(w.txs[c.outpoint.txid]), "coinjoin_rounds": -2})
            out.append(item)
    return out


@method("gettransaction", "wallet",
        [Arg("txid", "str"), Arg("include_watchonly", "bool", False, True), Arg("verbose", "bool", False, False)],
        "Get detailed information about in-wallet transaction <txid>")
def gettransaction(ctx, req, txid, include_watchonly, verbose):
    w = get_wallet(ctx, req)
    h = parse_hash(txid, "txid")
    with w.lock:
        e = w.txs.get(h)
        if e is None:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id")
        fee = w.fee_of(e.tx)
        net = w.credit(e.tx) - w.debit(e.tx)
        out = {"amount": to_decimal(net + (fee or 0) if fee is not None else net)}
        if fee is not None:
            out["fee"] = -to_decimal(fee)
        out.update(_wallet_tx_fields(w, e))
        details = []
        for item in _entries(w, e):
            d = {k: item[k] for k in ("address", "category", "amount", "label", "vout", "fee", "abandoned") if k in item}
            details.append(d)
        out["details"] = details
        out["hex"] = e.tx.serialize().hex()
        if verbose:
            out["decoded"] = tx_to_json(e.tx)
        return out


# -- wallets -----------------------------------------------------------------------------------------------------


def _optional_bool(value) -> bool | None:
    return None if value is None else bool(value)


@method("createwallet", "wallet",
        [Arg("wallet_name", "str"), Arg("disable_private_keys", "bool", False, False), Arg("blank", "bool", False, False),
         Arg("passphrase", "str", False, ""), Arg("avoid_reuse", "bool", False, False),
         Arg("descriptors", "bool", False, False), Arg("load_on_startup", "bool", False),
         Arg("external_signer", "bool", False, False)],
        "Creates and loads a new wallet.")
def createwallet(ctx, req, name, disable_private_keys, blank, passphrase, avoid_reuse, descriptors, load_on_startup,
                 external_signer):
    if disable_private_keys:
        raise RPCError(RPC_WALLET_ERROR, "Wallets without private keys are not supported yet")
    if passphrase:
        raise RPCError(RPC_WALLET_ERROR, "Wallet encryption is not supported yet")
    ctx.open_wallet(name, create=True, load_on_startup=load_on_startup, blank=blank)
    return {"name": name, "warning": ""}


@method("loadwallet", "wallet", [Arg("filename", "str"), Arg("load_on_startup", "bool", False)],
        "Loads a wallet from a wallet file or directory.")
def loadwallet(ctx, req, filename, load_on_startup):
    ctx.open_wallet(filename, create=False, load_on_startup=load_on_startup)
    return {"name": filename, "warning": ""}


@method("unloadwallet", "wallet", [Arg("wallet_name", "str", False), Arg("load_on_startup", "bool", False)],
        "Unloads the wallet referenced by the request endpoint otherwise unloads the wallet specified in the argument.")
def unloadwallet(ctx, req, wallet_name, load_on_startup):
    from_uri = wallet_name_from_uri(req.uri)
    if from_uri is not None:
        if wallet_name is not None and wallet_name != from_uri:
            raise RPCError(RPC_INVALID_PARAMETER, "RPC endpoint wallet and wallet_name parameter specify different wallets")
        wallet_name = from_uri
    if wallet_name is None:
        raise RPCError(RPC_INVALID_PARAMETER, "Either the RPC endpoint wallet or the wallet name parameter must be provided")
    ctx.unload(wallet_name, load_on_startup)
    return {"warning": ""}


@method("listwallets", "wallet", description="Returns a list of currently loaded wallets.")
def listwallets(ctx, req):
    with ctx.lock:
        return list(ctx.wallets)


@method("listwalletdir", "wallet", description="Returns a list of wallets in the wallet directory.")
def listwalletdir(ctx, req):
    return {"wallets": [{"name": n} for n in ctx.list_wallet_dir()]}


@method("importprivkey", "wallet", [Arg("privkey", "str"), Arg("label", "str", False, ""),
                                    Arg("rescan", "bool", False, True)],
        "Adds a private key (as returned by dumpprivkey) to your wallet; rescans the chain when asked.")
def importprivkey(ctx, req, privkey, label, rescan):
    from ..crypto.keys import PrivateKey
    from ..util import time as clock
    from .db import KeyRecord
    w = get_wallet(ctx, req)
    try:
        key = PrivateKey.from_wif(privkey)
    except ValueError:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid private key encoding") from None
    with w.lock:
        if key.pubkey not in w.keys:
            rec = KeyRecord(key.pubkey, key.secret, 1, False, True, label)
            w.db.add_keys([rec], w._next_key_seq)
            w._next_key_seq += 1
            w._add_key(rec)
        else:
            w.keys[key.pubkey].label = label
            w.db.mark_key_used(key.pubkey, label)
        if rescan:
            w.rescan(0)
    return None

