"""Wire layout primitives: pointers, bounds checks, reader limits, and readers/writers of
the values that are not structs (text, data, lists, capabilities).

Positions are byte offsets into one segment (a bytes-like object); a pointer word is
unpacked as ``(lo, hi)`` with ``lo`` signed, so ``lo >> 2`` is the signed word offset and
``lo & 3`` the kind (encoding spec, "Pointers").
"""

from __future__ import annotations

import struct
from typing import Any, Callable

from ..errors import DecodeError, EncodeError

#: Words a reader may traverse in one message (C++ ReaderOptions.traversalLimitInWords).
TRAVERSAL_LIMIT_WORDS = 8 * 1024 * 1024
#: Pointer hops from the root to the deepest object (C++ ReaderOptions.nestingLimit).
NESTING_LIMIT = 64
#: Segments in one frame (C++ InputStreamMessageReader refuses 512 or more).
MAX_SEGMENTS = 511

PTR = struct.Struct("<iI")
_pack_ptr = PTR.pack_into
_unpack_ptr = PTR.unpack_from

# List element size codes (encoding spec, "Lists"): data bits and pointers per element.
VOID, BIT, BYTE, TWO_BYTES, FOUR_BYTES, EIGHT_BYTES, POINTER, COMPOSITE = range(8)
DATA_BITS = (0, 1, 8, 16, 32, 64, 0, 0)
POINTERS = (0, 0, 0, 0, 0, 0, 1, 0)
SIZE_NAMES = ("void", "bit", "byte", "2-byte", "4-byte", "8-byte", "pointer", "struct")
_KIND_NAMES = ("struct", "list", "far", "capability/other")

_ZERO_PAD = tuple(bytes(n) for n in range(9))  # _ZERO_PAD[n]: n zero bytes


class Struct:
    """Base class of every generated struct class (see ``generate``)."""

    __slots__ = ()


class Reader:
    """Per-message decoding state: the segments, the traversal budget left, the cap table."""

    __slots__ = ("segs", "budget", "caps")

    def __init__(self, segs, caps=None, budget: int = TRAVERSAL_LIMIT_WORDS):
        self.segs = segs
        self.budget = budget
        self.caps = caps


# --- errors ---------------------------------------------------------------------------


def add_context(e: Exception, part: str) -> Exception:
    """Prefix where a decode/encode error happened: ``Message.call.params.capTable[2]: ...``."""
    where = getattr(e, "mpipc_where", "")
    reason = getattr(e, "mpipc_reason", None)
    if reason is None:
        reason = str(e)
        e.mpipc_reason = reason
    if where and not where.startswith("["):
        where = part + "." + where
    else:
        where = part + where
    e.mpipc_where = where
    e.args = (f"{where}: {reason}",)
    return e


def _too_much() -> DecodeError:
    return DecodeError(
        f"message exceeds the traversal limit of {TRAVERSAL_LIMIT_WORDS} words "
        "(too large, or the same data referenced many times)"
    )


def _too_deep() -> DecodeError:
    return DecodeError(f"message is nested deeper than {NESTING_LIMIT} levels (or contains a cycle)")


def charge(rd: Reader, words: int) -> None:
    b = rd.budget - words
    if b < 0:
        raise _too_much()
    rd.budget = b


# --- pointer following ------------------------------------------------------------------


def follow_far(rd: Reader, lo: int, hi: int):
    """Resolve a far pointer: -> (segment, target position, lo, hi of the describing pointer)."""
    segs = rd.segs
    if hi >= len(segs):
        raise DecodeError(f"far pointer to segment {hi}, but the message has {len(segs)}")
    seg = segs[hi]
    pad = ((lo & 0xFFFFFFFF) >> 3) << 3
    double = lo & 4
    if pad + (16 if double else 8) > len(seg):
        raise DecodeError("far pointer's landing pad is out of bounds")
    charge(rd, 2 if double else 1)
    lo2, hi2 = _unpack_ptr(seg, pad)
    if not double:
        if lo2 & 3 == 2:
            raise DecodeError("far pointer's landing pad is another far pointer")
        return seg, pad + 8 + ((lo2 >> 2) << 3), lo2, hi2
    # Double-far: the pad is a far pointer to the content (itself single) and a tag.
    if lo2 & 7 != 2:
        raise DecodeError("double-far landing pad does not start with a single far pointer")
    if hi2 >= len(segs):
        raise DecodeError(f"far pointer to segment {hi2}, but the message has {len(segs)}")
    tlo, thi = _unpack_ptr(seg, pad + 8)
    return segs[hi2], ((lo2 & 0xFFFFFFFF) >> 3) << 3, tlo, thi


def _wrong_kind(lo: int, expected: str) -> DecodeError:
    return DecodeError(f"{_KIND_NAMES[lo & 3]} pointer where {expected} was expected")


def read_struct(rd: Reader, seg, pos: int, lo: int, hi: int, depth: int, dec: Callable):
    """Follow a non-null struct pointer at ``pos`` and decode the struct with ``dec``."""
    k = lo & 3
    if k == 0:
        t = pos + 8 + ((lo >> 2) << 3)
    elif k == 2:
        seg, t, lo, hi = follow_far(rd, lo, hi)
        if lo & 3:
            raise _wrong_kind(lo, "a struct")
    else:
        raise _wrong_kind(lo, "a struct")
    dw = hi & 0xFFFF
    pc = hi >> 16
    words = dw + pc
    if t < 0 or t + (words << 3) > len(seg):
        raise DecodeError("struct pointer out of bounds")
    if depth <= 0:
        raise _too_deep()
    b = rd.budget - words
    if b < 0:
        raise _too_much()
    rd.budget = b
    return dec(rd, seg, t, dw << 3, t + (dw << 3), pc, depth - 1)


def read_list(rd: Reader, seg, pos: int, lo: int, hi: int, depth: int):
    """Follow a non-null list pointer; bounds-check and charge it.

    -> (segment, start, count, element size code, data bytes per element, pointers per
    element, step in bits).  For composite lists ``start`` is past the tag.
    """
    k = lo & 3
    if k == 1:
        t = pos + 8 + ((lo >> 2) << 3)
    elif k == 2:
        seg, t, lo, hi = follow_far(rd, lo, hi)
        if lo & 3 != 1:
            raise _wrong_kind(lo, "a list")
    else:
        raise _wrong_kind(lo, "a list")
    if depth <= 0:
        raise _too_deep()
    es = hi & 7
    n = hi >> 3
    if t < 0:
        raise DecodeError("list pointer out of bounds")
    if es == COMPOSITE:
        end = t + 8 + (n << 3)  # n counts the words after the tag
        if end > len(seg):
            raise DecodeError("list pointer out of bounds")
        tlo, thi = _unpack_ptr(seg, t)
        if tlo & 3:
            raise DecodeError("composite list tag is not a struct tag")
        count = (tlo & 0xFFFFFFFF) >> 2
        dw = thi & 0xFFFF
        pc = thi >> 16
        per = dw + pc
        if count * per > n:
            raise DecodeError("composite list's elements overrun its word count")
        # Zero-sized elements cost a word each, so a tiny message cannot claim a huge list.
        charge(rd, n + 1 + (count if per == 0 else 0))
        return seg, t + 8, count, es, dw << 3, pc, per << 6
    step = DATA_BITS[es] + (POINTERS[es] << 6)
    words = (n * step + 63) >> 6
    if t + (words << 3) > len(seg):
        raise DecodeError("list pointer out of bounds")
    charge(rd, n if es == VOID else words)
    return seg, t, n, es, DATA_BITS[es] >> 3, POINTERS[es], step


def charge_elements(rd: Reader, n: int) -> None:
    """Every list element decoded into a Python object costs at least one word of budget
    (C++ charges the words a list occupies; a Python object per element is bigger than a
    word, so sub-word elements are charged more to keep memory bounded)."""
    charge(rd, n)


# --- text, data, capabilities -----------------------------------------------------------


def _byte_list(rd: Reader, seg, pos: int, lo: int, hi: int, what: str):
    k = lo & 3
    if k == 1:
        t = pos + 8 + ((lo >> 2) << 3)
    elif k == 2:
        seg, t, lo, hi = follow_far(rd, lo, hi)
        if lo & 3 != 1:
            raise _wrong_kind(lo, what)
    else:
        raise _wrong_kind(lo, what)
    if hi & 7 != BYTE:
        raise DecodeError(f"list of {SIZE_NAMES[hi & 7]} elements where {what} was expected")
    n = hi >> 3
    words = (n + 7) >> 3
    if t < 0 or t + (words << 3) > len(seg):
        raise DecodeError(f"{what} pointer out of bounds")
    b = rd.budget - words
    if b < 0:
        raise _too_much()
    rd.budget = b
    return seg, t, n


def read_text(rd: Reader, seg, pos: int, lo: int, hi: int, depth: int = 0) -> str:
    seg, t, n = _byte_list(rd, seg, pos, lo, hi, "text")
    if n == 0 or seg[t + n - 1] != 0:
        raise DecodeError("text is not NUL-terminated")
    try:
        return str(seg[t : t + n - 1], "utf-8")
    except UnicodeDecodeError as e:
        raise DecodeError(f"text is not valid UTF-8 ({e.reason} at byte {e.start})") from None


def read_data(rd: Reader, seg, pos: int, lo: int, hi: int, depth: int = 0) -> bytes:
    seg, t, n = _byte_list(rd, seg, pos, lo, hi, "data")
    return bytes(seg[t : t + n])


def read_cap(rd: Reader, seg, pos: int, lo: int, hi: int, depth: int = 0):
    if lo != 3:  # kind "other" with all offset bits zero is a capability (encoding spec)
        raise _wrong_kind(lo, "a capability") if lo & 3 != 3 else DecodeError("unknown pointer type")
    caps = rd.caps
    if caps is None:
        return hi
    if hi >= len(caps):
        raise DecodeError(f"capability index {hi} is outside the cap table ({len(caps)} entries)")
    return caps[hi]


# --- lists ------------------------------------------------------------------------------

_STRUCTS = {ch: struct.Struct("<" + ch) for ch in "bBhHiIqQfd"}
_SIZE_OF = {"b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "q": 8, "Q": 8, "f": 4, "d": 8}


def read_void_list(rd: Reader, seg, pos: int, lo: int, hi: int, depth: int) -> list:
    seg, s, n, es, db, pc, step = read_list(rd, seg, pos, lo, hi, depth)
    return [None] * n


def read_bool_list(rd: Reader, seg, pos: int, lo: int, hi: int, depth: int) -> list:
    seg, s, n, es, db, pc, step = read_list(rd, seg, pos, lo, hi, depth)
    if es == COMPOSITE:
        raise DecodeError("struct list where a Bool list was expected")
    if es != BIT and db == 0:
        raise DecodeError(f"list of {SIZE_NAMES[es]} elements where a Bool list was expected")
    charge_elements(rd, n)
    if es == BIT:
        raw = seg[s : s + ((n + 7) >> 3)]
        return [(raw[i >> 3] >> (i & 7)) & 1 == 1 for i in range(n)]
    stride = step >> 3  # a wider list read as bits: bit 0 of each element
    return [seg[s + i * stride] & 1 == 1 for i in range(n)]


def read_prim_list(rd: Reader, seg, pos: int, lo: int, hi: int, depth: int, ch: str) -> list:
    """A list of numbers of struct format ``ch``; wider elements (and struct lists) are read
    by their first bytes, as C++ reads an upgraded list."""
    seg, s, n, es, db, pc, step = read_list(rd, seg, pos, lo, hi, depth)
    size = _SIZE_OF[ch]
    if es == BIT:
        raise DecodeError("Bool list where a list of numbers was expected")
    if db < size:
        raise DecodeError(f"list of {SIZE_NAMES[es]} elements where a list of {size}-byte numbers was expected")
    charge_elements(rd, n)
    if step == size << 3:
        return list(struct.unpack_from(f"<{n}{ch}", seg, s))
    unpack = _STRUCTS[ch].unpack_from
    stride = step >> 3
    return [unpack(seg, s + i * stride)[0] for i in range(n)]


def read_enum_list(rd: Reader, seg, pos: int, lo: int, hi: int, depth: int, values: tuple) -> list:
    raw = read_prim_list(rd, seg, pos, lo, hi, depth, "H")
    n = len(values)
    return [values[v] if v < n else v for v in raw]


def read_struct_list(rd: Reader, seg, pos: int, lo: int, hi: int, depth: int, dec: Callable) -> list:
    if lo & 3 == 1 and hi & 7 == COMPOSITE and depth > 1:
        # The usual case inline: a near composite list within bounds and budget.
        t = pos + 8 + ((lo >> 2) << 3)
        words = hi >> 3
        if t >= 0 and t + 8 + (words << 3) <= len(seg):
            tlo, thi = _unpack_ptr(seg, t)
            n = (tlo & 0xFFFFFFFF) >> 2
            dw = thi & 0xFFFF
            pc = thi >> 16
            per = dw + pc
            b = rd.budget - words - 1
            if not tlo & 3 and per and n * per <= words and b >= n:
                rd.budget = b - n  # (charge_elements: a word per element decoded)
                db = dw << 3
                step = per << 3
                d = depth - 2
                p = t + 8
                out = []
                append = out.append
                try:
                    for _ in range(n):
                        append(dec(rd, seg, p, db, p + db, pc, d))
                        p += step
                except DecodeError as e:
                    raise add_context(e, f"[{len(out)}]") from None
                return out
    seg, s, n, es, db, pc, step = read_list(rd, seg, pos, lo, hi, depth)
    if es == BIT:
        raise DecodeError("Bool list where a struct list was expected")
    if n and depth - 1 <= 0:
        raise _too_deep()
    charge_elements(rd, n)
    stride = step >> 3
    out = []
    append = out.append
    d = depth - 2
    p = s
    try:
        for _ in range(n):
            append(dec(rd, seg, p, db, p + db, pc, d))
            p += stride
    except DecodeError as e:
        raise add_context(e, f"[{len(out)}]") from None
    return out


def read_pointer_list(rd: Reader, seg, pos: int, lo: int, hi: int, depth: int, elem: Callable) -> list:
    """A list whose elements are pointers, each read with ``elem`` (None when null)."""
    seg, s, n, es, db, pc, step = read_list(rd, seg, pos, lo, hi, depth)
    if es == COMPOSITE:
        if pc == 0:
            raise DecodeError("list of data-only structs where a list of pointers was expected")
        s += db
    elif es != POINTER:
        raise DecodeError(f"list of {SIZE_NAMES[es]} elements where a list of pointers was expected")
    stride = step >> 3
    out = []
    append = out.append
    d = depth - 1
    p = s
    try:
        for _ in range(n):
            elo, ehi = _unpack_ptr(seg, p)
            append(elem(rd, seg, p, elo, ehi, d) if elo or ehi else None)
            p += stride
    except DecodeError as e:
        raise add_context(e, f"[{len(out)}]") from None
    return out


# --- writers: (buf, pos of the pointer, value, cap table) -------------------------------


def _list_pointer(buf: bytearray, pos: int, t: int, es: int, n: int) -> None:
    _pack_ptr(buf, pos, ((t - pos - 8) >> 1) | 1, (n << 3) | es)


def write_text(buf: bytearray, pos: int, v: Any, ct: Any = None) -> None:
    if v.__class__ is not str:
        if not isinstance(v, str):
            raise EncodeError(f"expected str for Text, got {type(v).__name__}")
    try:
        b = v.encode("utf-8")
    except UnicodeEncodeError as e:
        raise EncodeError(f"text is not encodable as UTF-8 ({e.reason} at {e.start})") from None
    t = len(buf)
    buf += b
    buf += _ZERO_PAD[8 - (len(b) & 7)]  # the NUL terminator and padding to a word
    _list_pointer(buf, pos, t, BYTE, len(b) + 1)


def write_data(buf: bytearray, pos: int, v: Any, ct: Any = None) -> None:
    if not isinstance(v, (bytes, bytearray, memoryview)):
        raise EncodeError(f"expected bytes for Data, got {type(v).__name__}")
    t = len(buf)
    buf += v
    n = len(buf) - t
    buf += _ZERO_PAD[(-n) & 7]
    _list_pointer(buf, pos, t, BYTE, n)


def write_cap(buf: bytearray, pos: int, v: Any, ct: Any = None) -> None:
    if v.__class__ is int:
        index = v
    elif ct is None:
        raise EncodeError(f"capability {v!r} needs a cap table to be encoded (pass cap_table=)")
    else:
        index = ct.add(v)
    _pack_ptr(buf, pos, 3, index)


def _check_list(v: Any) -> int:
    if not isinstance(v, (list, tuple)):
        raise EncodeError(f"expected a list, got {type(v).__name__}")
    return len(v)


def write_void_list(buf: bytearray, pos: int, v: Any, ct: Any = None) -> None:
    n = _check_list(v)
    _list_pointer(buf, pos, len(buf), VOID, n)


def write_bool_list(buf: bytearray, pos: int, v: Any, ct: Any = None) -> None:
    n = _check_list(v)
    raw = bytearray(((n + 63) >> 6) << 3)
    for i, x in enumerate(v):
        if x:
            raw[i >> 3] |= 1 << (i & 7)
    t = len(buf)
    buf += raw
    _list_pointer(buf, pos, t, BIT, n)


_ES_OF_SIZE = {1: BYTE, 2: TWO_BYTES, 4: FOUR_BYTES, 8: EIGHT_BYTES}


def write_prim_list(buf: bytearray, pos: int, v: Any, ct: Any, ch: str) -> None:
    n = _check_list(v)
    size = _SIZE_OF[ch]
    t = len(buf)
    buf += struct.pack(f"<{n}{ch}", *v)
    buf += _ZERO_PAD[(-(n * size)) & 7]
    _list_pointer(buf, pos, t, _ES_OF_SIZE[size], n)


def write_pointer_list(buf: bytearray, pos: int, v: Any, ct: Any, elem: Callable) -> None:
    n = _check_list(v)
    t = len(buf)
    buf += bytes(n << 3)
    _list_pointer(buf, pos, t, POINTER, n)
    p = t
    try:
        for x in v:
            if x is not None:
                elem(buf, p, x, ct)
            p += 8
    except EncodeError as e:
        raise add_context(e, f"[{(p - t) >> 3}]") from None


def write_struct_list(buf: bytearray, pos: int, v: Any, ct: Any, cls: type) -> None:
    if v.__class__ is not list and v.__class__ is not tuple:
        _check_list(v)
    n = len(v)
    dw = cls._mpipc_dw
    pc = cls._mpipc_pc
    enc = cls._mpipc_enc
    per = dw + pc
    words = n * per
    t = len(buf)
    buf += bytes((words + 1) << 3)
    _pack_ptr(buf, pos, ((t - pos - 8) >> 1) | 1, (words << 3) | COMPOSITE)
    _pack_ptr(buf, t, n << 2, dw | (pc << 16))  # the tag: element count and struct size
    p = t + 8
    db = dw << 3
    step = per << 3
    i = 0
    try:
        for x in v:
            if x.__class__ is not cls:
                raise EncodeError(f"expected {cls.__qualname__}, got {type(x).__name__}")
            enc(x, buf, p, p + db, ct)
            p += step
            i += 1
    except EncodeError as e:
        raise add_context(e, f"[{i}]") from None


def write_struct(buf: bytearray, pos: int, v: Any, ct: Any, cls: type) -> None:
    if v.__class__ is not cls:
        raise EncodeError(f"expected {cls.__qualname__}, got {type(v).__name__}")
    zeros, hi, enc, db = cls._mpipc_pointer
    if zeros:
        t = len(buf)
        buf += zeros
        _pack_ptr(buf, pos, (t - pos - 8) >> 1, hi)
    else:
        t = pos  # an empty struct: offset -1, so the pointer is not null (C++ does the same)
        _pack_ptr(buf, pos, -4, 0)
    enc(v, buf, t, t + db, ct)


def pad_to(seg, pos: int, have: int, need: int) -> bytes:
    """The ``have`` bytes at ``pos`` followed by zeros up to ``need``: a smaller (older)
    struct section reads as one with every missing field zero, i.e. at its default."""
    return bytes(seg[pos : pos + have]) + bytes(need - have)
