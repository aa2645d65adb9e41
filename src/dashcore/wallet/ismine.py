"""What the legacy wallet owns: output script templates (Bitcoin's Solver) and IsMine over a key store."""

from __future__ import annotations

from typing import Protocol

import coincurve

from .. import script
from ..script import solve
from ..crypto.hashes import hash160

ISMINE_NO = 0
ISMINE_WATCH_ONLY = 1
ISMINE_SPENDABLE = 2
ISMINE_ALL = ISMINE_WATCH_ONLY | ISMINE_SPENDABLE

OP_CHECKMULTISIG = 0xAE
MAX_PUBKEYS_PER_MULTISIG = 20


class KeyStore(Protocol):
    def have_key(self, key_id: bytes) -> bool: ...

    def redeem_script(self, script_id: bytes) -> bytes | None: ...

    def have_watch_only(self, spk: bytes) -> bool: ...


def multisig_script(required: int, pubkeys: list[bytes]) -> bytes:
    return (script.push_int(required) + b"".join(script.push_data(p) for p in pubkeys)
            + script.push_int(len(pubkeys)) + bytes([OP_CHECKMULTISIG]))


def is_mine(store: KeyStore, spk: bytes, top: bool = True) -> int:
    """Bitcoin's legacy IsMine: spendable when the wallet holds every key the script needs
    (bare multisig never at the top level), else watch-only when the script is watched."""
    kind, sol = solve(spk)
    ret = ISMINE_NO
    if kind == "pubkey":
        if store.have_key(hash160(sol[0])):
            ret = ISMINE_SPENDABLE
    elif kind == "pubkeyhash":
        if store.have_key(sol[0]):
            ret = ISMINE_SPENDABLE
    elif kind == "scripthash":
        if top:
            redeem = store.redeem_script(sol[0])
            if redeem is not None and is_mine(store, redeem, top=False) == ISMINE_SPENDABLE:
                ret = ISMINE_SPENDABLE
    elif kind == "multisig":
        if not top and all(store.have_key(hash160(k)) for k in sol[1:-1]):
            ret = ISMINE_SPENDABLE
    if ret == ISMINE_NO and top and store.have_watch_only(spk):
        ret = ISMINE_WATCH_ONLY
    return ret


def script_keys(store: KeyStore, spk: bytes) -> list[bytes]:
    """The key ids a script pays to (through a known redeem script): Bitcoin's GetAffectedKeys."""
    kind, sol = solve(spk)
    if kind == "pubkey":
        return [hash160(sol[0])]
    if kind == "pubkeyhash":
        return [sol[0]]
    if kind == "multisig":
        return [hash160(k) for k in sol[1:-1]]
    if kind == "scripthash":
        redeem = store.redeem_script(sol[0])
        return script_keys(store, redeem) if redeem is not None else []
    return []


def valid_pubkey(data: bytes) -> bool:
    """A public key on the curve, compressed or not (Bitcoin's CPubKey::IsFullyValid)."""
    if not script.is_pubkey(data):
        return False
    try:
        coincurve.PublicKey(data)
    except ValueError:
        return False
    return True
