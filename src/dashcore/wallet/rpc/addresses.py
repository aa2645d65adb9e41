"""Address RPCs: new addresses, labels, the keypool, what the wallet knows of an address."""

from __future__ import annotations

from ... import address, descriptor
from ...amount import to_decimal
from ...crypto import message
from ...crypto.hashes import hash160
from ...rpc.output_script import multisig_redeem_script, parse_pubkey
from ...rpc.util import RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_TYPE_ERROR, Arg, RPCError
from ..wallet import destination_address
from ..ismine import ISMINE_SPENDABLE, ISMINE_WATCH_ONLY, solve
from .common import check_unlocked, get_wallet, label_arg, method, script_of

RPC_WALLET_INVALID_LABEL_NAME = -11


@method("getnewaddress", "wallet", [Arg("label", "str", False, "")],
        "Returns a new Dash address for receiving payments.")
def getnewaddress(ctx, req, label):
    w = get_wallet(ctx, req, sync=False)
    return w.get_new_address(label_arg(label))


@method("getrawchangeaddress", "wallet", description="Returns a new Dash address, for receiving change.")
def getrawchangeaddress(ctx, req):
    return get_wallet(ctx, req, sync=False).get_new_address("", internal=True)


@method("keypoolrefill", "wallet", [Arg("newsize", "int", False, 0)], "Fills the keypool.")
def keypoolrefill(ctx, req, newsize):
    w = get_wallet(ctx, req, sync=False)
    if newsize < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, expected valid size.")
    check_unlocked(w)
    with w.lock:
        w.top_up_keypool(newsize or None)
    return None


@method("setlabel", "wallet", [Arg("address", "str"), Arg("label", "str")],
        "Sets the label associated with the given address.")
def setlabel(ctx, req, addr, label):
    w = get_wallet(ctx, req, sync=False)
    spk = script_of(addr)
    label = label_arg(label)
    with w.lock:
        w.set_address_book(addr, label, "receive" if w.is_mine(spk) else "send")
    return None


@method("getaddressesbylabel", "wallet", [Arg("label", "str")], "Returns the list of addresses assigned the specified label.")
def getaddressesbylabel(ctx, req, label):
    w = get_wallet(ctx, req, sync=False)
    label = label_arg(label)
    with w.lock:
        out = {a: {"purpose": e.purpose} for a, e in sorted(w.address_book.items()) if e.label == label}
    if not out:
        raise RPCError(RPC_WALLET_INVALID_LABEL_NAME, f"No addresses with label {label}")
    return out


@method("listlabels", "wallet", [Arg("purpose", "str", False)], "Returns the list of all labels, or labels that are "
        "assigned to addresses with a specific purpose.")
def listlabels(ctx, req, purpose):
    w = get_wallet(ctx, req, sync=False)
    with w.lock:
        return sorted({e.label for e in w.address_book.values() if purpose is None or e.purpose == purpose})


@method("listaddressgroupings", "wallet", description="Lists groups of addresses which have had their common "
        "ownership\nmade public by common use as inputs or as the resulting change\nin past transactions")
def listaddressgroupings(ctx, req):
    w = get_wallet(ctx, req)
    out = []
    with w.lock:
        balances = w.address_balances()
        for group in w.address_groupings():
            items = []
            for dest in group:
                addr = destination_address(dest)
                item = [addr, to_decimal(balances.get(dest, 0))]
                entry = w.address_book.get(addr)
                if entry is not None:
                    item.append(entry.label)
                items.append(item)
            out.append(items)
    return out


def _multisig_key(w, text: str) -> bytes:
    """Bitcoin's HexToPubKey for a hex public key, else AddrToPubKey (a key the wallet knows)."""
    if len(text) in (66, 130) and all(c in "0123456789abcdefABCDEF" for c in text):
        return parse_pubkey(text)
    try:
        spk = address.to_script(text)
    except address.InvalidAddress:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, f"Invalid address: {text}") from None
    kind, sol = solve(spk)
    if kind != "pubkeyhash":
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, f"'{text}' does not refer to a key")
    pub = w.pubkey_of(sol[0])
    if pub is None:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, f"no full public key for address {text}")
    return pub


@method("addmultisigaddress", "wallet",
        [Arg("nrequired", "int", help="The number of required signatures out of the n keys or addresses."),
         Arg("keys", "arr", help="The Dash addresses or hex-encoded public keys"),
         Arg("label", "str", False, help="A label to assign the addresses to.")],
        "Add an nrequired-to-sign multisignature address to the wallet. Requires a new wallet backup.\n"
        "Each key is a Dash address or hex-encoded public key.\n"
        "This functionality is only intended for use with non-watchonly addresses.\n"
        "See `importaddress` for watchonly p2sh address support.\n"
        "If 'label' is specified, assign address to that label.\n"
        "Note: This command is only compatible with legacy wallets.")
def addmultisigaddress(ctx, req, nrequired, keys, label):
    w = get_wallet(ctx, req, sync=False)
    label = label_arg(label) if label is not None else ""
    with w.lock:
        pubkeys = []
        for k in keys:
            if not isinstance(k, str):
                raise RPCError(RPC_TYPE_ERROR, "JSON value is not a string as expected")
            pubkeys.append(_multisig_key(w, k))
        redeem = multisig_redeem_script(nrequired, pubkeys)
        w.add_redeem_script(redeem)
        addr = address.from_script_hash(hash160(redeem))
        w.set_address_book(addr, label, "send")
    desc = f"sh(multi({nrequired}," + ",".join(p.hex() for p in pubkeys) + "))"
    return {"address": addr, "redeemScript": redeem.hex(), "descriptor": desc + "#" + descriptor.checksum(desc)}


def _describe_script(w, spk: bytes, out: dict) -> None:
    """Bitcoin's DescribeWalletAddress for a P2SH whose redeem script the wallet knows."""
    kind, sol = solve(spk)
    if kind != "scripthash":
        return
    redeem = w.redeem_script(sol[0])
    if redeem is None:
        return
    inner, isol = solve(redeem)
    out["script"] = inner
    out["hex"] = redeem.hex()
    if inner == "multisig":
        out["pubkeys"] = [k.hex() for k in isol[1:-1]]
        out["sigsrequired"] = isol[0][0]
    elif inner == "pubkeyhash":
        sub = {}
        pub = w.pubkey_of(isol[0])
        if pub is not None:
            sub["pubkey"] = pub.hex()
        out["embedded"] = {"isscript": False, "address": address.from_pubkey_hash(isol[0]),
                           "scriptPubKey": redeem.hex(), **sub}


@method("getaddressinfo", "wallet", [Arg("address", "str")], "Return information about the given Dash address.")
def getaddressinfo(ctx, req, addr):
    w = get_wallet(ctx, req, sync=False)
    try:
        spk = address.to_script(addr)
    except address.InvalidAddress as e:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, e.reason) from None
    with w.lock:
        mine = w.is_mine(spk)
        kind, sol = solve(spk)
        out = {"address": addr, "scriptPubKey": spk.hex(), "ismine": bool(mine & ISMINE_SPENDABLE),
               "solvable": w.is_solvable(spk), "iswatchonly": bool(mine & ISMINE_WATCH_ONLY),
               "isscript": kind == "scripthash"}
        _describe_script(w, spk, out)
        pub = w.pubkey_of(sol[0]) if kind == "pubkeyhash" else None
        if pub is not None:
            out["pubkey"] = pub.hex()
            out["iscompressed"] = len(pub) == 33
        out["ischange"] = w.is_change(spk)
        if pub is not None:
            k = w.keys[pub]
            out["timestamp"] = k.created
            hd = w.hd_info(pub)
            if hd:
                out.update(hd)
        elif spk in w.watch:
            out["timestamp"] = w.watch[spk]
        entry = w.address_book.get(addr)
        out["labels"] = [entry.label] if entry is not None else []
        return out


@method("dumpprivkey", "wallet", [Arg("address", "str")], "Reveals the private key corresponding to 'address'.")
def dumpprivkey(ctx, req, addr):
    w = get_wallet(ctx, req, sync=False)
    key = _private_key(w, script_of(addr), "Address does not refer to a key")
    if key is None:
        raise RPCError(-4, f"Private key for address {addr} is not known")
    return key.to_wif()


def _private_key(w, spk: bytes, not_a_key: str):
    """The wallet's key of a P2PKH output script, or None; -3 ``not_a_key`` (each RPC has its own text) for
    any other script, -13 while the wallet is locked."""
    check_unlocked(w)
    with w.lock:
        kind, sol = solve(spk)
        if kind != "pubkeyhash":
            raise RPCError(-3, not_a_key)
        return w.private_key(sol[0])


@method("signmessage", "wallet", [Arg("address", "str", help="The Dash address to use for the private key"),
                                  Arg("message", "str", help="The message to create a signature of")],
        "Sign a message with the private key of an address.")
def signmessage(ctx, req, addr, text):
    w = get_wallet(ctx, req, sync=False)
    try:
        spk = address.to_script(addr)
    except address.InvalidAddress:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address") from None
    key = _private_key(w, spk, "Address does not refer to key")
    if key is None:
        raise RPCError(-4, "Private key not available")
    return message.sign(key.secret, True, text)

