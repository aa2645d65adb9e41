"""The script interpreter: legacy (pre-segwit) evaluation of scriptSig and scriptPubKey, P2SH, signature hashes.

Dash has no segwit and no taproot, so this is Bitcoin's interpreter of the BIP16/65/66/112/147
era. Errors are ``ScriptError`` whose message is Bitcoin's ``ScriptErrorString`` text, as
mempool and block rejections quote it.
"""

from __future__ import annotations

import hashlib
import struct

from .crypto import keys
from .crypto.hashes import hash160, sha256, sha256d
from .primitives.transaction import Transaction, TxIn, TxOut
from .script import ScriptError, decode_num

# verification flags (Bitcoin's SCRIPT_VERIFY_*)
VERIFY_P2SH = 1 << 0
VERIFY_STRICTENC = 1 << 1
VERIFY_DERSIG = 1 << 2
VERIFY_LOW_S = 1 << 3
VERIFY_NULLDUMMY = 1 << 4
VERIFY_SIGPUSHONLY = 1 << 5
VERIFY_MINIMALDATA = 1 << 6
VERIFY_DISCOURAGE_UPGRADABLE_NOPS = 1 << 7
VERIFY_CLEANSTACK = 1 << 8
VERIFY_CHECKLOCKTIMEVERIFY = 1 << 9
VERIFY_CHECKSEQUENCEVERIFY = 1 << 10
VERIFY_NULLFAIL = 1 << 14

MANDATORY_FLAGS = VERIFY_P2SH | VERIFY_DERSIG | VERIFY_CHECKLOCKTIMEVERIFY | VERIFY_CHECKSEQUENCEVERIFY | VERIFY_NULLDUMMY
STANDARD_FLAGS = (MANDATORY_FLAGS | VERIFY_STRICTENC | VERIFY_MINIMALDATA | VERIFY_DISCOURAGE_UPGRADABLE_NOPS
                  | VERIFY_CLEANSTACK | VERIFY_NULLFAIL | VERIFY_LOW_S)

SIGHASH_ALL, SIGHASH_NONE, SIGHASH_SINGLE, SIGHASH_ANYONECANPAY = 1, 2, 3, 0x80

MAX_SCRIPT_SIZE = 10_000
MAX_ELEMENT_SIZE = 520
MAX_OPS = 201
MAX_STACK = 1000
MAX_PUBKEYS_PER_MULTISIG = 20
LOCKTIME_THRESHOLD = 500_000_000
SEQUENCE_DISABLE = 1 << 31
SEQUENCE_TYPE_FLAG = 1 << 22
SEQUENCE_MASK = 0x0000FFFF

OP_0, OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4, OP_1NEGATE, OP_RESERVED = 0x00, 0x4C, 0x4D, 0x4E, 0x4F, 0x50
OP_1, OP_16 = 0x51, 0x60
OP_NOP, OP_VER, OP_IF, OP_NOTIF, OP_VERIF, OP_VERNOTIF, OP_ELSE, OP_ENDIF, OP_VERIFY, OP_RETURN = range(0x61, 0x6B)
(OP_TOALTSTACK, OP_FROMALTSTACK, OP_2DROP, OP_2DUP, OP_3DUP, OP_2OVER, OP_2ROT, OP_2SWAP, OP_IFDUP, OP_DEPTH,
 OP_DROP, OP_DUP, OP_NIP, OP_OVER, OP_PICK, OP_ROLL, OP_ROT, OP_SWAP, OP_TUCK) = range(0x6B, 0x7E)
OP_CAT, OP_SPLIT, OP_NUM2BIN, OP_BIN2NUM, OP_SIZE = range(0x7E, 0x83)
OP_INVERT, OP_AND, OP_OR, OP_XOR, OP_EQUAL, OP_EQUALVERIFY, OP_RESERVED1, OP_RESERVED2 = range(0x83, 0x8B)
(OP_1ADD, OP_1SUB, OP_2MUL, OP_2DIV, OP_NEGATE, OP_ABS, OP_NOT, OP_0NOTEQUAL, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
 OP_LSHIFT, OP_RSHIFT, OP_BOOLAND, OP_BOOLOR, OP_NUMEQUAL, OP_NUMEQUALVERIFY, OP_NUMNOTEQUAL, OP_LESSTHAN,
 OP_GREATERTHAN, OP_LESSTHANOREQUAL, OP_GREATERTHANOREQUAL, OP_MIN, OP_MAX, OP_WITHIN) = range(0x8B, 0xA6)
(OP_RIPEMD160, OP_SHA1, OP_SHA256, OP_HASH160, OP_HASH256, OP_CODESEPARATOR, OP_CHECKSIG, OP_CHECKSIGVERIFY,
 OP_CHECKMULTISIG, OP_CHECKMULTISIGVERIFY) = range(0xA6, 0xB0)
OP_NOP1, OP_CHECKLOCKTIMEVERIFY, OP_CHECKSEQUENCEVERIFY, OP_NOP10 = 0xB0, 0xB1, 0xB2, 0xB9

# Disabled in Dash until DIP0020 (not active below the heights the functional tests reach) and in Bitcoin.
_DISABLED = {OP_CAT, OP_SPLIT, OP_NUM2BIN, OP_BIN2NUM, OP_INVERT, OP_AND, OP_OR, OP_XOR, OP_2MUL, OP_2DIV, OP_MUL,
             OP_DIV, OP_MOD, OP_LSHIFT, OP_RSHIFT}

ERR_EVAL_FALSE = "Script evaluated without error but finished with a false/empty top stack element"
ERR_SIG_PUSHONLY = "Only push operators allowed in signatures"
ERR_CLEANSTACK = "Stack size must be exactly one after execution"


def _fail(message: str):
    raise ScriptError(message)


def _ops(script: bytes):
    """(opcode, data or None, position after) triples; ScriptError on a bad push."""
    i, n = 0, len(script)
    while i < n:
        op = script[i]
        i += 1
        data = None
        if op <= OP_PUSHDATA4:
            if op < OP_PUSHDATA1:
                size = op
            else:
                width = {OP_PUSHDATA1: 1, OP_PUSHDATA2: 2, OP_PUSHDATA4: 4}[op]
                if i + width > n:
                    _fail("Invalid OP_PUSHDATA code")  # Bitcoin: SCRIPT_ERR_BAD_OPCODE
                size = int.from_bytes(script[i:i + width], "little")
                i += width
            if i + size > n:
                _fail("Opcode missing or not understood")
            data = script[i:i + size]
            i += size
        yield op, data, i


def is_push_only(script: bytes) -> bool:
    try:
        return all(op <= OP_16 and op != OP_RESERVED for op, _, _ in _ops(script))
    except ScriptError:
        return False


def _num(data: bytes, minimal: bool, max_size: int = 4) -> int:
    if len(data) > max_size:
        _fail("Script number overflow")  # Bitcoin: scriptnum_error, reported as unknown error
    if minimal and data and (data[-1] & 0x7F) == 0 and (len(data) <= 1 or not data[-2] & 0x80):
        _fail("Non-minimally encoded script number")
    return decode_num(data)


def _enc(n: int) -> bytes:
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


def _true(data: bytes) -> bool:
    for i, b in enumerate(data):
        if b:
            return not (i == len(data) - 1 and b == 0x80)
    return False


def _minimal_push(op: int, data: bytes) -> bool:
    n = len(data)
    if n == 0:
        return op == OP_0
    if n == 1 and 1 <= data[0] <= 16:
        return False
    if n == 1 and data[0] == 0x81:
        return False
    if n <= 75:
        return op == n
    if n <= 255:
        return op == OP_PUSHDATA1
    if n <= 65535:
        return op == OP_PUSHDATA2
    return True


# -- signature encodings ----------------------------------------------------------------------------


def _is_valid_der(sig: bytes) -> bool:
    """BIP66 strict DER, ``sig`` including the trailing hash type byte."""
    n = len(sig)
    if n < 9 or n > 73 or sig[0] != 0x30 or sig[1] != n - 3:
        return False
    len_r = sig[3]
    if 5 + len_r >= n:
        return False
    len_s = sig[5 + len_r]
    if len_r + len_s + 7 != n:
        return False
    if sig[2] != 0x02 or len_r == 0 or sig[4] & 0x80 or (len_r > 1 and sig[4] == 0 and not sig[5] & 0x80):
        return False
    if sig[len_r + 4] != 0x02 or len_s == 0 or sig[len_r + 6] & 0x80:
        return False
    if len_s > 1 and sig[len_r + 6] == 0 and not sig[len_r + 7] & 0x80:
        return False
    return True


_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


def _is_low_s(sig: bytes) -> bool:
    len_r = sig[3]
    s = int.from_bytes(sig[6 + len_r:6 + len_r + sig[5 + len_r]], "big")
    return s <= _HALF_ORDER


def _check_sig_encoding(sig: bytes, flags: int) -> None:
    if not sig:
        return
    if flags & (VERIFY_DERSIG | VERIFY_LOW_S | VERIFY_STRICTENC) and not _is_valid_der(sig):
        _fail("Non-canonical DER signature")
    if flags & VERIFY_LOW_S and not _is_low_s(sig):
        _fail("Non-canonical signature: S value is unnecessarily high")
    if flags & VERIFY_STRICTENC and (sig[-1] & ~SIGHASH_ANYONECANPAY) not in (SIGHASH_ALL, SIGHASH_NONE,
                                                                                SIGHASH_SINGLE):
        _fail("Signature hash type missing or not understood")


def is_strict_signature(sig: bytes) -> bool:
    """A DER signature with a defined hash type (Bitcoin's CheckSignatureEncoding under STRICTENC)."""
    try:
        _check_sig_encoding(sig, VERIFY_STRICTENC)
    except ScriptError:
        return False
    return bool(sig)


def _check_pubkey_encoding(pubkey: bytes, flags: int) -> None:
    if not flags & VERIFY_STRICTENC:
        return
    ok = ((len(pubkey) == 33 and pubkey[0] in (2, 3)) or (len(pubkey) == 65 and pubkey[0] == 4))
    if not ok:
        _fail("Public key is neither compressed or uncompressed")


def _normalize_s(der: bytes) -> bytes:
    """The same signature with low S (libsecp256k1 verifies only those; consensus accepts both)."""
    len_r = der[3]
    r = der[4:4 + len_r]
    s = int.from_bytes(der[6 + len_r:6 + len_r + der[5 + len_r]], "big")
    if s <= _HALF_ORDER:
        return der
    s = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 - s
    sb = s.to_bytes(32, "big").lstrip(b"\0") or b"\0"
    if sb[0] & 0x80:
        sb = b"\0" + sb
    body = bytes([2, len(r)]) + r + bytes([2, len(sb)]) + sb
    return bytes([0x30, len(body)]) + body


# -- signature hash -----------------------------------------------------------------------------


def _next_op(script: bytes, pc: int) -> int | None:
    """The position after the opcode at ``pc``, or None at the end or on a truncated push."""
    if pc >= len(script):
        return None
    op = script[pc]
    pc += 1
    if op <= OP_PUSHDATA4:
        if op < OP_PUSHDATA1:
            size = op
        else:
            width = {OP_PUSHDATA1: 1, OP_PUSHDATA2: 2, OP_PUSHDATA4: 4}[op]
            if pc + width > len(script):
                return None
            size = int.from_bytes(script[pc:pc + width], "little")
            pc += width
        if pc + size > len(script):
            return None
        pc += size
    return pc


def find_and_delete(script: bytes, pattern: bytes) -> bytes:
    """``script`` without every occurrence of ``pattern`` that starts on an opcode boundary."""
    if not pattern:
        return script
    out, pc, pc2, found = bytearray(), 0, 0, False
    while True:
        out += script[pc2:pc]
        while script[pc:pc + len(pattern)] == pattern and len(script) - pc >= len(pattern):
            pc += len(pattern)
            found = True
        pc2 = pc
        nxt = _next_op(script, pc)
        if nxt is None:
            break
        pc = nxt
    if not found:
        return script
    return bytes(out + script[pc2:])


def signature_hash(tx: Transaction, index: int, script_code: bytes, hash_type: int) -> bytes:
    """Bitcoin's legacy SignatureHash (with the SIGHASH_SINGLE "one" bug)."""
    if index >= len(tx.vin):
        return (1).to_bytes(32, "little")
    base = hash_type & 0x1F
    if base == SIGHASH_SINGLE and index >= len(tx.vout):
        return (1).to_bytes(32, "little")
    code = _strip_codeseparators(script_code) if OP_CODESEPARATOR in script_code else script_code
    if hash_type & SIGHASH_ANYONECANPAY:
        vin = (TxIn(tx.vin[index].prevout, code, tx.vin[index].sequence),)
    else:
        vin = tuple(TxIn(t.prevout, code if i == index else b"",
                         t.sequence if i == index or base not in (SIGHASH_NONE, SIGHASH_SINGLE) else 0)
                    for i, t in enumerate(tx.vin))
    if base == SIGHASH_NONE:
        vout: tuple[TxOut, ...] = ()
    elif base == SIGHASH_SINGLE:
        vout = tuple(TxOut(-1, b"") for _ in range(index)) + (tx.vout[index],)
    else:
        vout = tx.vout
    copy = Transaction(vin, vout, tx.version, tx.tx_type, tx.locktime, tx.extra_payload)
    return sha256d(copy.serialize() + struct.pack("<I", hash_type & 0xFFFFFFFF))


def _strip_codeseparators(script: bytes) -> bytes:
    out, pc = bytearray(), 0
    while (nxt := _next_op(script, pc)) is not None:
        if script[pc] != OP_CODESEPARATOR:
            out += script[pc:nxt]
        pc = nxt
    return bytes(out + script[pc:])


# -- evaluation ----------------------------------------------------------------------------------


class Checker:
    """What signature and lock-time opcodes look at: one input of one transaction."""

    def __init__(self, tx: Transaction, index: int):
        self.tx, self.index = tx, index

    def check_sig(self, sig: bytes, pubkey: bytes, script_code: bytes) -> bool:
        if not sig:
            return False
        digest = signature_hash(self.tx, self.index, script_code, sig[-1])
        der = sig[:-1]
        if not _is_valid_der(sig):
            return False
        return keys.verify(pubkey, _normalize_s(der), digest)

    def check_locktime(self, locktime: int) -> bool:
        tx_lock = self.tx.locktime
        if (tx_lock < LOCKTIME_THRESHOLD) != (locktime < LOCKTIME_THRESHOLD):
            return False
        if locktime > tx_lock:
            return False
        return self.tx.vin[self.index].sequence != 0xFFFFFFFF

    def check_sequence(self, sequence: int) -> bool:
        tx_seq = self.tx.vin[self.index].sequence
        if self.tx.version < 2 or tx_seq & SEQUENCE_DISABLE:
            return False
        mask = SEQUENCE_TYPE_FLAG | SEQUENCE_MASK
        tx_seq, sequence = tx_seq & mask, sequence & mask
        if (tx_seq < SEQUENCE_TYPE_FLAG) != (sequence < SEQUENCE_TYPE_FLAG):
            return False
        return sequence <= tx_seq


def eval_script(stack: list[bytes], script: bytes, flags: int, checker: Checker | None) -> None:
    """Run ``script`` on ``stack`` (changed in place); ScriptError when it fails."""
    if len(script) > MAX_SCRIPT_SIZE:
        _fail("Script is too big")
    minimal = bool(flags & VERIFY_MINIMALDATA)
    exec_stack: list[bool] = []
    alt: list[bytes] = []
    op_count = 0
    code_start = 0

    def pop() -> bytes:
        if not stack:
            _fail("Operation not valid with the current stack size")
        return stack.pop()

    def need(n: int) -> None:
        if len(stack) < n:
            _fail("Operation not valid with the current stack size")

    def num(data: bytes, size: int = 4) -> int:
        return _num(data, minimal, size)

    for op, data, end in _ops(script):
        executing = all(exec_stack)
        if data is not None and len(data) > MAX_ELEMENT_SIZE:
            _fail("Push value size limit exceeded")
        if op > OP_16:
            op_count += 1
            if op_count > MAX_OPS:
                _fail("Operation limit exceeded")
        if op in _DISABLED:
            _fail("Attempted to use a disabled opcode")
        if executing and data is not None:
            if minimal and not _minimal_push(op, data):
                _fail("Data push larger than necessary")
            stack.append(data)
        elif executing or OP_IF <= op <= OP_ENDIF:
            if op == OP_1NEGATE or OP_1 <= op <= OP_16:
                stack.append(_enc(op - (OP_1 - 1)))
            elif op in (OP_NOP, OP_NOP1) or 0xB3 <= op <= OP_NOP10:
                if op != OP_NOP and flags & VERIFY_DISCOURAGE_UPGRADABLE_NOPS:
                    _fail("NOPx reserved for soft-fork upgrades")
            elif op == OP_CHECKLOCKTIMEVERIFY:
                if not flags & VERIFY_CHECKLOCKTIMEVERIFY:
                    if flags & VERIFY_DISCOURAGE_UPGRADABLE_NOPS:
                        _fail("NOPx reserved for soft-fork upgrades")
                    continue
                need(1)
                lock = _num(stack[-1], minimal, 5)
                if lock < 0:
                    _fail("Negative locktime")
                if checker is None or not checker.check_locktime(lock):
                    _fail("Locktime requirement not satisfied")
            elif op == OP_CHECKSEQUENCEVERIFY:
                if not flags & VERIFY_CHECKSEQUENCEVERIFY:
                    if flags & VERIFY_DISCOURAGE_UPGRADABLE_NOPS:
                        _fail("NOPx reserved for soft-fork upgrades")
                    continue
                need(1)
                seq = _num(stack[-1], minimal, 5)
                if seq < 0:
                    _fail("Negative locktime")
                if not seq & SEQUENCE_DISABLE and (checker is None or not checker.check_sequence(seq)):
                    _fail("Locktime requirement not satisfied")
            elif op in (OP_IF, OP_NOTIF):
                value = False
                if executing:
                    need(1)
                    value = _true(pop())
                    if op == OP_NOTIF:
                        value = not value
                exec_stack.append(value)
            elif op == OP_ELSE:
                if not exec_stack:
                    _fail("Invalid OP_IF construction")
                exec_stack[-1] = not exec_stack[-1]
            elif op == OP_ENDIF:
                if not exec_stack:
                    _fail("Invalid OP_IF construction")
                exec_stack.pop()
            elif op == OP_VERIFY:
                if not _true(pop()):
                    _fail("Script failed an OP_VERIFY operation")
            elif op == OP_RETURN:
                _fail("OP_RETURN was encountered")
            elif op == OP_TOALTSTACK:
                alt.append(pop())
            elif op == OP_FROMALTSTACK:
                if not alt:
                    _fail("Operation not valid with the current altstack size")
                stack.append(alt.pop())
            elif op == OP_2DROP:
                need(2)
                del stack[-2:]
            elif op == OP_2DUP:
                need(2)
                stack += stack[-2:]
            elif op == OP_3DUP:
                need(3)
                stack += stack[-3:]
            elif op == OP_2OVER:
                need(4)
                stack += stack[-4:-2]
            elif op == OP_2ROT:
                need(6)
                moved = stack[-6:-4]
                del stack[-6:-4]
                stack += moved
            elif op == OP_2SWAP:
                need(4)
                stack[-4:] = stack[-2:] + stack[-4:-2]
            elif op == OP_IFDUP:
                need(1)
                if _true(stack[-1]):
                    stack.append(stack[-1])
            elif op == OP_DEPTH:
                stack.append(_enc(len(stack)))
            elif op == OP_DROP:
                pop()
            elif op == OP_DUP:
                need(1)
                stack.append(stack[-1])
            elif op == OP_NIP:
                need(2)
                del stack[-2]
            elif op == OP_OVER:
                need(2)
                stack.append(stack[-2])
            elif op in (OP_PICK, OP_ROLL):
                need(2)
                n = num(pop())
                if n < 0 or n >= len(stack):
                    _fail("Operation not valid with the current stack size")
                item = stack[-n - 1]
                if op == OP_ROLL:
                    del stack[-n - 1]
                stack.append(item)
            elif op == OP_ROT:
                need(3)
                stack.append(stack.pop(-3))
            elif op == OP_SWAP:
                need(2)
                stack[-2], stack[-1] = stack[-1], stack[-2]
            elif op == OP_TUCK:
                need(2)
                stack.insert(-2, stack[-1])
            elif op == OP_SIZE:
                need(1)
                stack.append(_enc(len(stack[-1])))
            elif op in (OP_EQUAL, OP_EQUALVERIFY):
                need(2)
                equal = pop() == pop()
                stack.append(b"\x01" if equal else b"")
                if op == OP_EQUALVERIFY:
                    if not equal:
                        _fail("Script failed an OP_EQUALVERIFY operation")
                    stack.pop()
            elif OP_1ADD <= op <= OP_0NOTEQUAL:
                a = num(pop())
                result = {OP_1ADD: lambda: a + 1, OP_1SUB: lambda: a - 1, OP_NEGATE: lambda: -a,
                          OP_ABS: lambda: abs(a), OP_NOT: lambda: int(a == 0),
                          OP_0NOTEQUAL: lambda: int(a != 0)}[op]()
                stack.append(_enc(result))
            elif OP_ADD <= op <= OP_MAX:
                need(2)
                b = num(pop())
                a = num(pop())
                result = {OP_ADD: a + b, OP_SUB: a - b, OP_BOOLAND: int(a != 0 and b != 0),
                          OP_BOOLOR: int(a != 0 or b != 0), OP_NUMEQUAL: int(a == b),
                          OP_NUMEQUALVERIFY: int(a == b), OP_NUMNOTEQUAL: int(a != b), OP_LESSTHAN: int(a < b),
                          OP_GREATERTHAN: int(a > b), OP_LESSTHANOREQUAL: int(a <= b),
                          OP_GREATERTHANOREQUAL: int(a >= b), OP_MIN: min(a, b), OP_MAX: max(a, b)}[op]
                stack.append(_enc(result))
                if op == OP_NUMEQUALVERIFY:
                    if not _true(pop()):
                        _fail("Script failed an OP_NUMEQUALVERIFY operation")
            elif op == OP_WITHIN:
                need(3)
                hi, lo, x = num(pop()), num(pop()), num(pop())
                stack.append(_enc(int(lo <= x < hi)))
            elif OP_RIPEMD160 <= op <= OP_HASH256:
                v = pop()
                stack.append({OP_RIPEMD160: lambda: hashlib.new("ripemd160", v).digest(),
                              OP_SHA1: lambda: hashlib.sha1(v).digest(), OP_SHA256: lambda: sha256(v),
                              OP_HASH160: lambda: hash160(v), OP_HASH256: lambda: sha256d(v)}[op]())
            elif op == OP_CODESEPARATOR:
                code_start = end
            elif op in (OP_CHECKSIG, OP_CHECKSIGVERIFY):
                need(2)
                pubkey, sig = pop(), pop()
                code = find_and_delete(script[code_start:], _push(sig))
                _check_sig_encoding(sig, flags)
                _check_pubkey_encoding(pubkey, flags)
                ok = checker is not None and checker.check_sig(sig, pubkey, code)
                if not ok and flags & VERIFY_NULLFAIL and sig:
                    _fail("Signature must be zero for failed CHECK(MULTI)SIG operation")
                if op == OP_CHECKSIGVERIFY:
                    if not ok:
                        _fail("Script failed an OP_CHECKSIGVERIFY operation")
                else:
                    stack.append(b"\x01" if ok else b"")
            elif op in (OP_CHECKMULTISIG, OP_CHECKMULTISIGVERIFY):
                need(1)
                n_keys = num(stack[-1])
                if n_keys < 0 or n_keys > MAX_PUBKEYS_PER_MULTISIG:
                    _fail("Pubkey count out of range")
                op_count += n_keys
                if op_count > MAX_OPS:
                    _fail("Operation limit exceeded")
                need(2 + n_keys)
                n_sigs = num(stack[-2 - n_keys])
                if n_sigs < 0 or n_sigs > n_keys:
                    _fail("Signature count negative or greater than pubkey count")
                need(3 + n_keys + n_sigs)
                pubkeys = [stack[-2 - i] for i in range(n_keys)]
                sigs = [stack[-3 - n_keys - i] for i in range(n_sigs)]
                code = script[code_start:]
                for s in sigs:
                    code = find_and_delete(code, _push(s))
                ok, ki, si = True, 0, 0
                while ok and si < n_sigs:
                    sig, pubkey = sigs[si], pubkeys[ki]
                    _check_sig_encoding(sig, flags)
                    _check_pubkey_encoding(pubkey, flags)
                    if checker is not None and checker.check_sig(sig, pubkey, code):
                        si += 1
                    ki += 1
                    if n_sigs - si > n_keys - ki:
                        ok = False
                if not ok and flags & VERIFY_NULLFAIL and any(sigs):
                    _fail("Signature must be zero for failed CHECK(MULTI)SIG operation")
                dummy = stack[-3 - n_keys - n_sigs]
                del stack[-3 - n_keys - n_sigs:]
                if flags & VERIFY_NULLDUMMY and dummy:
                    _fail("Dummy CHECKMULTISIG argument must be zero")
                if op == OP_CHECKMULTISIGVERIFY:
                    if not ok:
                        _fail("Script failed an OP_CHECKMULTISIGVERIFY operation")
                else:
                    stack.append(b"\x01" if ok else b"")
            else:
                _fail("Opcode missing or not understood")
        if len(stack) + len(alt) > MAX_STACK:
            _fail("Stack size limit exceeded")
    if exec_stack:
        _fail("Invalid OP_IF construction")


def _push(data: bytes) -> bytes:
    from .script import push_data
    return push_data(data)


def verify_script(script_sig: bytes, script_pubkey: bytes, flags: int, checker: Checker | None) -> None:
    """Bitcoin's VerifyScript without witnesses; ScriptError on failure."""
    if flags & VERIFY_SIGPUSHONLY and not is_push_only(script_sig):
        _fail(ERR_SIG_PUSHONLY)
    stack: list[bytes] = []
    eval_script(stack, script_sig, flags, checker)
    p2sh_stack = list(stack)
    eval_script(stack, script_pubkey, flags, checker)
    if not stack or not _true(stack[-1]):
        _fail(ERR_EVAL_FALSE)
    is_p2sh = len(script_pubkey) == 23 and script_pubkey[0] == OP_HASH160 and script_pubkey[1] == 20 \
        and script_pubkey[22] == OP_EQUAL
    if flags & VERIFY_P2SH and is_p2sh:
        if not is_push_only(script_sig):
            _fail(ERR_SIG_PUSHONLY)
        stack = p2sh_stack
        redeem = stack.pop()
        eval_script(stack, redeem, flags, checker)
        if not stack or not _true(stack[-1]):
            _fail(ERR_EVAL_FALSE)
    if flags & VERIFY_CLEANSTACK and len(stack) != 1:
        _fail(ERR_CLEANSTACK)


def verify_input(tx: Transaction, index: int, script_pubkey: bytes, flags: int = MANDATORY_FLAGS) -> None:
    verify_script(tx.vin[index].script_sig, script_pubkey, flags, Checker(tx, index))
