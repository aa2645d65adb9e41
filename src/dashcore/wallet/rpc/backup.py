"""Import and backup RPCs: private keys, watch-only addresses and scripts, public keys, rescans, backups."""

from __future__ import annotations

import os

from ... import address, script
from ...crypto import keys
from ...crypto.hashes import hash160
from ...rpc.util import RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_WALLET_ERROR, Arg, RPCError
from ..ismine import valid_pubkey
from .common import check_unlocked, get_wallet, method


def _rescan(w, start: int = 0) -> None:
    w.rescan(start)
    w.resubmit()


@method("importprivkey", "wallet", [Arg("privkey", "str"), Arg("label", "str", False),
                                    Arg("rescan", "bool", False, True)],
        "Adds a private key (as returned by dumpprivkey) to your wallet. Requires a new wallet backup.")
def importprivkey(ctx, req, privkey, label, rescan):
    w = get_wallet(ctx, req)
    if not w.private_keys_enabled:
        raise RPCError(RPC_WALLET_ERROR, "Cannot import private keys to a wallet with private keys disabled")
    check_unlocked(w)
    try:
        key = keys.PrivateKey.from_wif(privkey)
    except ValueError:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid private key encoding") from None
    with w.lock:
        addr = address.from_pubkey_hash(hash160(key.pubkey))
        if label is not None or addr not in w.address_book:
            w.set_address_book(addr, label or "", "receive")
        w.import_private_key(key, 1)
        if rescan:
            _rescan(w)
    return None


@method("importaddress", "wallet", [Arg("address", "str"), Arg("label", "str", False, ""),
                                    Arg("rescan", "bool", False, True), Arg("p2sh", "bool", False, False)],
        "Adds an address or script (in hex) that can be watched as if it were in your wallet but cannot be used to "
        "spend. Requires a new wallet backup.")
def importaddress(ctx, req, addr, label, rescan, p2sh):
    w = get_wallet(ctx, req)
    with w.lock:
        if address.is_valid(addr):
            if p2sh:
                raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Cannot use the p2sh flag with an address - use a script instead")
            scripts = [address.to_script(addr)]
        else:
            try:
                redeem = bytes.fromhex(addr)
            except ValueError:
                raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid Dash address or script") from None
            if not addr:
                raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid Dash address or script")
            w.add_redeem_script(redeem)
            scripts = [redeem]
            if p2sh:
                scripts.append(script.p2sh(hash160(redeem)))
        for spk in scripts:
            w.add_watch_only(spk, 1)
            a = address.from_script(spk)
            if a is not None:
                w.set_address_book(a, label, "receive")
        if rescan:
            _rescan(w)
    return None


@method("importpubkey", "wallet", [Arg("pubkey", "str"), Arg("label", "str", False, ""),
                                   Arg("rescan", "bool", False, True)],
        "Adds a public key (in hex) that can be watched as if it were in your wallet but cannot be used to spend. "
        "Requires a new wallet backup.")
def importpubkey(ctx, req, pubkey, label, rescan):
    w = get_wallet(ctx, req)
    try:
        pub = bytes.fromhex(pubkey)
    except ValueError:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Pubkey must be a hex string") from None
    if not valid_pubkey(pub):
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Pubkey is not a valid public key")
    with w.lock:
        spk = script.p2pkh(hash160(pub))
        if not w.is_mine(spk):
            w.add_watch_only(spk, 1)
        w.set_address_book(address.from_script(spk), label, "receive")
        w.add_watch_only(script.push_data(pub) + bytes([script.OP_CHECKSIG]), 1)
        if rescan:
            _rescan(w)
    return None


@method("rescanblockchain", "wallet", [Arg("start_height", "int", False, 0), Arg("stop_height", "int", False)],
        "Rescan the local blockchain for wallet related transactions.")
def rescanblockchain(ctx, req, start_height, stop_height):
    w = get_wallet(ctx, req)
    tip = w.chain.get_height() or 0
    if start_height < 0 or start_height > tip:
        raise RPCError(RPC_INVALID_PARAMETER, "Invalid start_height")
    if stop_height is not None and (stop_height < 0 or stop_height > tip):
        raise RPCError(RPC_INVALID_PARAMETER, "Invalid stop_height")
    if stop_height is not None and stop_height < start_height:
        raise RPCError(RPC_INVALID_PARAMETER, "stop_height must be greater than start_height")
    with w.lock:
        w.rescan(start_height, stop_height)
    return {"start_height": start_height, "stop_height": stop_height if stop_height is not None else tip}


@method("abortrescan", "wallet", description="Stops current wallet rescan triggered by an RPC call.")
def abortrescan(ctx, req):
    get_wallet(ctx, req, sync=False)
    return False


@method("backupwallet", "wallet", [Arg("destination", "str")],
        "Safely copies current wallet file to destination, which can be a directory or a path with filename.")
def backupwallet(ctx, req, destination):
    w = get_wallet(ctx, req)
    dest = destination
    if os.path.isdir(dest):
        dest = os.path.join(dest, w.name or "wallet.dat")
    with w.lock:
        try:
            w.db.backup(dest)
        except OSError as e:
            raise RPCError(RPC_WALLET_ERROR, f"Error: Wallet backup failed! {e}") from None
    return None
