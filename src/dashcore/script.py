"""Scripts: building and recognising P2PKH/P2SH/multisig, the legacy signature hash (evaluation is in interpreter)."""

from __future__ import annotations

import struct

from .crypto import keys
from .crypto.hashes import hash160, sha256d
from .primitives.transaction import Transaction, TxIn

OP_0 = 0x00
OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4 = 0x4C, 0x4D, 0x4E
OP_1NEGATE, OP_1, OP_16 = 0x4F, 0x51, 0x60
OP_TRUE = OP_1
OP_RETURN = 0x6A
OP_DUP, OP_EQUAL, OP_EQUALVERIFY = 0x76, 0x87, 0x88
OP_HASH160, OP_CHECKSIG = 0xA9, 0xAC

SIGHASH_ALL = 1


class ScriptError(ValueError):
    """A script that cannot be parsed or does not verify; the message is Bitcoin's reason."""


def push_data(data: bytes) -> bytes:
    n = len(data)
    if n < OP_PUSHDATA1:
        return bytes([n]) + data
    if n <= 0xFF:
        return bytes([OP_PUSHDATA1, n]) + data
    if n <= 0xFFFF:
        return bytes([OP_PUSHDATA2]) + struct.pack("<H", n) + data
    return bytes([OP_PUSHDATA4]) + struct.pack("<I", n) + data


def script_num(n: int) -> bytes:
    """CScriptNum serialization (minimal, sign bit in the last byte)."""
    if n == 0:
        return b""
    neg, a, out = n < 0, abs(n), bytearray()
    while a:
        out.append(a & 0xFF)
        a >>= 8
    if out[-1] & 0x80:
        out.append(0x80 if neg else 0)
    elif neg:
        out[-1] |= 0x80
    return bytes(out)


def push_int(n: int) -> bytes:
    """The script push of ``n`` as CScript's ``<< int64`` writes it (small ints as opcodes)."""
    if n == -1 or 1 <= n <= 16:
        return bytes([n + (OP_1 - 1)])
    if n == 0:
        return bytes([OP_0])
    return push_data(script_num(n))


def parse(script: bytes) -> list[tuple[int, bytes | None]]:
    """(opcode, pushed data or None) pairs; raises ScriptError on a truncated push."""
    ops, i, n = [], 0, len(script)
    while i < n:
        op = script[i]
        i += 1
        if op <= OP_PUSHDATA4:
            if op < OP_PUSHDATA1:
                size = op
            else:
                width = {OP_PUSHDATA1: 1, OP_PUSHDATA2: 2, OP_PUSHDATA4: 4}[op]
                if i + width > n:
                    raise ScriptError("bad push")
                size = int.from_bytes(script[i:i + width], "little")
                i += width
            if i + size > n:
                raise ScriptError("bad push")
            ops.append((op, script[i:i + size]))
            i += size
        else:
            ops.append((op, None))
    return ops


def p2pkh(pubkey_hash: bytes) -> bytes:
    return bytes([OP_DUP, OP_HASH160, 20]) + pubkey_hash + bytes([OP_EQUALVERIFY, OP_CHECKSIG])


def p2sh(script_hash: bytes) -> bytes:
    return bytes([OP_HASH160, 20]) + script_hash + bytes([OP_EQUAL])


def p2pkh_hash(script: bytes) -> bytes | None:
    """The key hash of a P2PKH script, else None."""
    if (len(script) == 25 and script[:3] == bytes([OP_DUP, OP_HASH160, 20])
            and script[23:] == bytes([OP_EQUALVERIFY, OP_CHECKSIG])):
        return script[3:23]
    return None


def p2sh_hash(script: bytes) -> bytes | None:
    if len(script) == 23 and script[:2] == bytes([OP_HASH160, 20]) and script[22] == OP_EQUAL:
        return script[2:22]
    return None


def script_type(script: bytes) -> str:
    """Bitcoin's names for the kinds of output script."""
    if p2pkh_hash(script) is not None:
        return "pubkeyhash"
    if p2sh_hash(script) is not None:
        return "scripthash"
    if script[:1] == bytes([OP_RETURN]):
        return "nulldata"
    if len(script) in (35, 67) and script[-1] == OP_CHECKSIG and script[0] in (33, 65):
        return "pubkey"
    return "nonstandard"


def signature_hash(tx: Transaction, index: int, script_code: bytes, hash_type: int = SIGHASH_ALL) -> bytes:
    """Legacy (pre-segwit) SignatureHash for SIGHASH_ALL, the only type Dash's wallet makes."""
    vin = tuple(TxIn(txin.prevout, script_code if i == index else b"", txin.sequence)
                for i, txin in enumerate(tx.vin))
    copy = Transaction(vin, tx.vout, tx.version, tx.tx_type, tx.locktime, tx.extra_payload)
    return sha256d(copy.serialize() + struct.pack("<I", hash_type))


def sign_p2pkh(tx: Transaction, index: int, key: keys.PrivateKey, script_pubkey: bytes) -> bytes:
    """The scriptSig spending a P2PKH output of ``key`` at input ``index``."""
    digest = signature_hash(tx, index, script_pubkey)
    return push_data(key.sign(digest) + bytes([SIGHASH_ALL])) + push_data(key.pubkey)


def verify_input(tx: Transaction, index: int, script_pubkey: bytes) -> None:
    """Check that input ``index`` may spend an output locked by ``script_pubkey`` (consensus rules only)."""
    from .interpreter import verify_input as verify
    verify(tx, index, script_pubkey)


_OP_NAMES = {0x00: "0", 0x4F: "-1", 0x61: "OP_NOP", 0x63: "OP_IF", 0x64: "OP_NOTIF", 0x67: "OP_ELSE",
             0x68: "OP_ENDIF", 0x69: "OP_VERIFY", 0x6A: "OP_RETURN", 0x75: "OP_DROP", 0x76: "OP_DUP",
             0x87: "OP_EQUAL", 0x88: "OP_EQUALVERIFY", 0xA9: "OP_HASH160", 0xAA: "OP_HASH256",
             0xAC: "OP_CHECKSIG", 0xAD: "OP_CHECKSIGVERIFY", 0xAE: "OP_CHECKMULTISIG", 0xB1: "OP_CHECKLOCKTIMEVERIFY",
             0xB2: "OP_CHECKSEQUENCEVERIFY"}


def to_asm(script_bytes: bytes) -> str:
    """Bitcoin's ScriptToAsmStr, for the opcodes it meets here; unknown ones as OP_UNKNOWN."""
    try:
        ops = parse(script_bytes)
    except ScriptError:
        return "[error]"
    out = []
    for op, data in ops:
        if data is not None:
            if len(data) <= 4 and op < OP_PUSHDATA1:
                n = int.from_bytes(data, "little")
                if data and data[-1] & 0x80:
                    n = -(n & ~(0x80 << (8 * (len(data) - 1))))
                out.append(str(n) if data else "0")
            else:
                out.append(data.hex())
        elif OP_1 <= op <= OP_16:
            out.append(str(op - OP_1 + 1))
        else:
            out.append(_OP_NAMES.get(op, "OP_UNKNOWN"))
    return " ".join(out)
