"""Partially signed transactions (BIP 174, as Dash keeps it: no witness fields) made by the wallet."""

from __future__ import annotations

import base64
import struct

from ..primitives.serialize import compact_size
from ..primitives.transaction import Transaction, TxIn
from .ismine import script_keys, solve

MAGIC = b"psbt\xff"
PSBT_GLOBAL_UNSIGNED_TX = 0x00
PSBT_IN_NON_WITNESS_UTXO = 0x00
PSBT_IN_REDEEM_SCRIPT = 0x04
PSBT_IN_BIP32_DERIVATION = 0x06
PSBT_OUT_REDEEM_SCRIPT = 0x00
PSBT_OUT_BIP32_DERIVATION = 0x02


def _pair(key: bytes, value: bytes) -> bytes:
    return compact_size(len(key)) + key + compact_size(len(value)) + value


def _derivations(wallet, spk: bytes, key_type: int) -> list[bytes]:
    """BIP32 derivation records of the wallet's keys in ``spk``: a key without an HD origin has its own
    key id's first 4 bytes as fingerprint and an empty path (Bitcoin's legacy GetKeyOrigin)."""
    out = []
    for key_id in sorted(script_keys(wallet, spk)):
        pub = wallet.pubkey_of(key_id)
        if pub is None:
            continue
        fingerprint, path = wallet.key_origin(pub)
        out.append(_pair(bytes([key_type]) + pub, fingerprint + b"".join(struct.pack("<I", i) for i in path)))
    return out


def _redeem(wallet, spk: bytes) -> bytes | None:
    kind, sol = solve(spk)
    return wallet.redeem_script(sol[0]) if kind == "scripthash" else None


def fill(wallet, tx: Transaction, bip32derivs: bool = True) -> bytes:
    """Dash's FillPSBT without signing: the unsigned transaction, each input's previous transaction
    where the wallet has it, redeem scripts and key origins it knows."""
    unsigned = Transaction(tuple(TxIn(i.prevout, b"", i.sequence) for i in tx.vin), tx.vout, tx.version,
                           tx.tx_type, tx.locktime, tx.extra_payload)
    out = [MAGIC, _pair(bytes([PSBT_GLOBAL_UNSIGNED_TX]), unsigned.serialize()), b"\x00"]
    for txin in tx.vin:
        parent = wallet.txs.get(txin.prevout.txid)
        if parent is not None:
            out.append(_pair(bytes([PSBT_IN_NON_WITNESS_UTXO]), parent.tx.serialize()))
            spk = parent.tx.vout[txin.prevout.n].script_pubkey
            redeem = _redeem(wallet, spk)
            if redeem is not None:
                out.append(_pair(bytes([PSBT_IN_REDEEM_SCRIPT]), redeem))
            if bip32derivs:
                out.extend(_derivations(wallet, spk, PSBT_IN_BIP32_DERIVATION))
        out.append(b"\x00")
    for o in tx.vout:
        redeem = _redeem(wallet, o.script_pubkey)
        if redeem is not None:
            out.append(_pair(bytes([PSBT_OUT_REDEEM_SCRIPT]), redeem))
        if bip32derivs:
            out.extend(_derivations(wallet, o.script_pubkey, PSBT_OUT_BIP32_DERIVATION))
        out.append(b"\x00")
    return b"".join(out)


def to_base64(psbt: bytes) -> str:
    return base64.b64encode(psbt).decode()

