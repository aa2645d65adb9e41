"""Scripts: building and recognising P2PKH/P2SH/multisig, the legacy signature hash (evaluation is in interpreter)."""

from __future__ import annotations

import struct
from typing import Iterator

from .crypto import keys
from .crypto.hashes import hash160, sha256d
from .primitives.transaction import Transaction, TxIn

OP_0 = 0x00
OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4 = 0x4C, 0x4D, 0x4E
OP_1NEGATE, OP_1, OP_16 = 0x4F, 0x51, 0x60
OP_TRUE = OP_1
OP_RETURN = 0x6A
OP_DUP, OP_EQUAL, OP_EQUALVERIFY = 0x76, 0x87, 0x88
OP_HASH160, OP_CHECKSIG, OP_CHECKMULTISIG = 0xA9, 0xAC, 0xAE

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


def iter_ops(script: bytes) -> Iterator[tuple[int, bytes | None]]:
    """(opcode, pushed data or None) pairs in order; raises ScriptError where a push is truncated."""
    i, n = 0, len(script)
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
            yield op, script[i:i + size]
            i += size
        else:
            yield op, None


def parse(script: bytes) -> list[tuple[int, bytes | None]]:
    """(opcode, pushed data or None) pairs; raises ScriptError on a truncated push."""
    return list(iter_ops(script))


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


def is_pubkey(data: bytes | None) -> bool:
    """The size and first byte of a compressed or uncompressed public key."""
    if data is None:
        return False
    return (len(data) == 33 and data[0] in (2, 3)) or (len(data) == 65 and data[0] == 4)


def solve(spk: bytes) -> tuple[str, list[bytes]]:
    """Bitcoin's Solver: the template an output script matches and its solutions (key hash, script hash, keys...).

    Types as Bitcoin names them: pubkey, pubkeyhash, scripthash, multisig (solutions
    [m, key..., n] with m and n as one byte each), nulldata, nonstandard.
    """
    h = p2pkh_hash(spk)
    if h is not None:
        return "pubkeyhash", [h]
    h = p2sh_hash(spk)
    if h is not None:
        return "scripthash", [h]
    if spk[:1] == bytes([OP_RETURN]):
        try:
            ops = parse(spk[1:])
        except ScriptError:
            return "nonstandard", []
        if all(op <= OP_16 for op, _ in ops):
            return "nulldata", []
        return "nonstandard", []
    try:
        ops = parse(spk)
    except ScriptError:
        return "nonstandard", []
    if len(ops) == 2 and ops[1][0] == OP_CHECKSIG and is_pubkey(ops[0][1]):
        return "pubkey", [ops[0][1]]  # type: ignore[list-item]
    if (len(ops) >= 4 and ops[-1][0] == OP_CHECKMULTISIG and OP_1 <= ops[0][0] <= OP_16
            and OP_1 <= ops[-2][0] <= OP_16):
        m, n = ops[0][0] - OP_1 + 1, ops[-2][0] - OP_1 + 1
        keys_ = [d for _, d in ops[1:-2]]
        if len(keys_) == n and m <= n and all(is_pubkey(k) for k in keys_):
            return "multisig", [bytes([m])] + keys_ + [bytes([n])]  # type: ignore[operator]
    return "nonstandard", []


def script_type(spk: bytes) -> str:
    """Bitcoin's name for the kind of output script."""
    return solve(spk)[0]


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


# Bitcoin's GetOpName, from OP_1NEGATE (0x4f) on; OP_0 and pushes are written as data, OP_1..OP_16 as numbers
_OP_NAMES = dict(zip(range(0x4F, 0xBA), (
    "-1 OP_RESERVED 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 OP_NOP OP_VER OP_IF OP_NOTIF OP_VERIF OP_VERNOTIF "
    "OP_ELSE OP_ENDIF OP_VERIFY OP_RETURN OP_TOALTSTACK OP_FROMALTSTACK OP_2DROP OP_2DUP OP_3DUP OP_2OVER OP_2ROT "
    "OP_2SWAP OP_IFDUP OP_DEPTH OP_DROP OP_DUP OP_NIP OP_OVER OP_PICK OP_ROLL OP_ROT OP_SWAP OP_TUCK OP_CAT "
    "OP_SUBSTR OP_LEFT OP_RIGHT OP_SIZE OP_INVERT OP_AND OP_OR OP_XOR OP_EQUAL OP_EQUALVERIFY OP_RESERVED1 "
    "OP_RESERVED2 OP_1ADD OP_1SUB OP_2MUL OP_2DIV OP_NEGATE OP_ABS OP_NOT OP_0NOTEQUAL OP_ADD OP_SUB OP_MUL OP_DIV "
    "OP_MOD OP_LSHIFT OP_RSHIFT OP_BOOLAND OP_BOOLOR OP_NUMEQUAL OP_NUMEQUALVERIFY OP_NUMNOTEQUAL OP_LESSTHAN "
    "OP_GREATERTHAN OP_LESSTHANOREQUAL OP_GREATERTHANOREQUAL OP_MIN OP_MAX OP_WITHIN OP_RIPEMD160 OP_SHA1 "
    "OP_SHA256 OP_HASH160 OP_HASH256 OP_CODESEPARATOR OP_CHECKSIG OP_CHECKSIGVERIFY OP_CHECKMULTISIG "
    "OP_CHECKMULTISIGVERIFY OP_NOP1 OP_CHECKLOCKTIMEVERIFY OP_CHECKSEQUENCEVERIFY OP_NOP4 OP_NOP5 OP_NOP6 OP_NOP7 "
    "OP_NOP8 OP_NOP9 OP_NOP10").split()))
_OP_NAMES[0xFF] = "OP_INVALIDOPCODE"
_SIGHASH_NAMES = {0x01: "ALL", 0x81: "ALL|ANYONECANPAY", 0x02: "NONE", 0x82: "NONE|ANYONECANPAY", 0x03: "SINGLE",
                  0x83: "SINGLE|ANYONECANPAY"}


def to_asm(script_bytes: bytes, sighash_decode: bool = False) -> str:
    """Bitcoin's ScriptToAsmStr: pushes of up to 4 bytes as numbers, longer ones as hex (with
    ``sighash_decode``, a signature's hash type as ``[ALL]`` and so on), opcodes by name."""
    from .interpreter import is_strict_signature
    decode = sighash_decode and script_bytes[:1] != bytes([OP_RETURN])
    out = []
    try:
        for op, data in iter_ops(script_bytes):
            if data is None:
                out.append(_OP_NAMES.get(op, "OP_UNKNOWN"))
            elif len(data) <= 4:
                out.append(str(decode_num(data)))
            elif decode and is_strict_signature(data):
                out.append(data[:-1].hex() + f"[{_SIGHASH_NAMES[data[-1]]}]")
            else:
                out.append(data.hex())
    except ScriptError:
        out.append("[error]")
    return " ".join(out)


def decode_num(data: bytes) -> int:
    """CScriptNum of up to 4 bytes, not necessarily minimal: little-endian with a sign bit."""
    if not data:
        return 0
    n = int.from_bytes(data, "little")
    if data[-1] & 0x80:
        return -(n & ~(0x80 << (8 * (len(data) - 1))))
    return n
