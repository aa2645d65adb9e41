"""AnyPointer: a lazily decoded pointer of unknown type, its deep copy, and ``Cap``."""

from __future__ import annotations

from typing import Any

from ..errors import DecodeError, EncodeError
from . import layout
from .layout import (
    COMPOSITE,
    NESTING_LIMIT,
    POINTER,
    PTR,
    Reader,
    Struct,
    add_context,
    follow_far,
)

_pack_ptr = PTR.pack_into
_unpack_ptr = PTR.unpack_from

# What a bug or an unforeseen input could raise instead of DecodeError: turned into one.
UNEXPECTED = (IndexError, KeyError, ValueError, TypeError, OverflowError, RecursionError,
              MemoryError, AttributeError, BufferError)


class Cap:
    """A capability pointer to encode into an AnyPointer: the index in the cap table."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cap) and other.index == self.index

    def __hash__(self) -> int:
        return hash((Cap, self.index))

    def __repr__(self) -> str:
        return f"Cap({self.index})"


class AnyPointer:
    """A pointer inside a decoded message, read only when asked how.

    It keeps the message's segments alive.  Reads share the message's traversal budget,
    and start at the nesting depth where the pointer was found.
    """

    __slots__ = ("_rd", "_seg", "_pos", "_lo", "_hi", "_depth")

    def __init__(self, rd: Reader, seg: Any, pos: int, lo: int, hi: int, depth: int):
        self._rd = rd
        self._seg = seg
        self._pos = pos
        self._lo = lo
        self._hi = hi
        self._depth = depth

    @property
    def is_null(self) -> bool:
        return self._lo == 0 and self._hi == 0

    @property
    def kind(self) -> str:
        """"struct", "list", "capability" or "null" (far pointers are followed)."""
        lo = self._lo
        if lo == 0 and self._hi == 0:
            return "null"
        if lo & 3 == 2:
            lo = self._read(lambda rd: follow_far(rd, self._lo, self._hi)[2])
        return ("struct", "list", "far", "capability")[lo & 3]

    def _read(self, fn, caps=None):
        rd = Reader(self._rd.segs, caps, self._rd.budget)
        try:
            return fn(rd)
        except DecodeError:
            raise
        except UNEXPECTED as e:
            raise DecodeError(f"malformed message (internal error: {e!r})") from e
        finally:
            self._rd.budget = rd.budget

    def as_struct(self, cls: type, cap_table=None) -> Any:
        """Decode as a struct of generated class ``cls``; interface fields resolve through
        ``cap_table`` (raw indexes without one).  A null pointer gives ``cls()``."""
        if self._lo == 0 and self._hi == 0:
            return cls()
        parent = self._rd
        rd = Reader(parent.segs, cap_table, parent.budget)
        try:
            return layout.read_struct(rd, self._seg, self._pos, self._lo, self._hi, self._depth, cls._mpipc_dec)
        except DecodeError as e:
            raise add_context(e, cls.__qualname__) from None
        except UNEXPECTED as e:
            raise DecodeError(f"{cls.__qualname__}: malformed message (internal error: {e!r})") from e
        finally:
            parent.budget = rd.budget

    def get_pointer_field(self, index: int) -> AnyPointer:
        """The pointer field ``index`` of the struct this points to, as an AnyPointer (null
        when the pointer is null or the struct has fewer pointers, as C++ reads it); what
        a promised answer's ``getPointerField`` transform does."""
        if self._lo == 0 and self._hi == 0:
            return self
        found: list = []

        def keep(rd, seg, dp, db, pp, pc, depth):
            if 0 <= index < pc:
                lo, hi = _unpack_ptr(seg, pp + 8 * index)
                found.append(AnyPointer(self._rd, seg, pp + 8 * index, lo, hi, depth))
            else:
                found.append(AnyPointer(self._rd, seg, pp, 0, 0, depth))

        self._read(lambda rd: layout.read_struct(rd, self._seg, self._pos, self._lo, self._hi, self._depth, keep))
        return found[0]

    def as_text(self) -> str:
        if self.is_null:
            return ""
        return self._read(lambda rd: layout.read_text(rd, self._seg, self._pos, self._lo, self._hi))

    def as_data(self) -> bytes:
        if self.is_null:
            return b""
        return self._read(lambda rd: layout.read_data(rd, self._seg, self._pos, self._lo, self._hi))

    def as_cap(self, cap_table=None) -> Any:
        """The capability: ``cap_table[index]``, or the index without a table (None when null)."""
        if self._lo == 0 and self._hi == 0:
            return None
        return self._read(lambda rd: layout.read_cap(rd, self._seg, self._pos, self._lo, self._hi), cap_table)

    def to_segment(self) -> bytes:
        """A standalone copy: one segment whose first word is the root pointer to the value."""
        buf = bytearray(8)
        if not self.is_null:
            self._read(lambda rd: copy_pointer(rd, self._seg, self._pos, self._lo, self._hi,
                                               self._depth, buf, 0))
        return bytes(buf)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AnyPointer):
            return NotImplemented
        return self.to_segment() == other.to_segment()

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> AnyPointer:
        return self

    def __deepcopy__(self, memo: dict) -> AnyPointer:
        return self

    def __repr__(self) -> str:
        return f"<AnyPointer {self.kind}>"


def read_any(rd: Reader, seg: Any, pos: int, lo: int, hi: int, depth: int) -> AnyPointer:
    return AnyPointer(rd, seg, pos, lo, hi, depth)


def write_any(buf: bytearray, pos: int, v: Any, ct: Any = None) -> None:
    """Encode a value into an AnyPointer slot (see the codec contract for what it takes)."""
    if isinstance(v, Struct):
        cls = v.__class__
        if cls._mpipc_group:
            raise EncodeError(f"a group ({cls.__qualname__}) cannot be the target of a pointer")
        layout.write_struct(buf, pos, v, ct, cls)
    elif isinstance(v, str):
        layout.write_text(buf, pos, v, ct)
    elif isinstance(v, (bytes, bytearray, memoryview)):
        layout.write_data(buf, pos, v, ct)
    elif isinstance(v, Cap):
        _pack_ptr(buf, pos, 3, v.index)
    elif isinstance(v, AnyPointer):
        if not v.is_null:
            try:
                v._read(lambda rd: copy_pointer(rd, v._seg, v._pos, v._lo, v._hi, v._depth, buf, pos))
            except DecodeError as e:
                raise EncodeError(f"cannot copy the AnyPointer: {e}") from None
    else:
        raise EncodeError(
            f"expected a struct, str, bytes, Cap or AnyPointer for AnyPointer, got {type(v).__name__}"
        )


def copy_pointer(rd: Reader, seg: Any, pos: int, lo: int, hi: int, depth: int,
                 buf: bytearray, dst: int) -> None:
    """Deep-copy the object a pointer refers to onto the end of ``buf``, pointed to from
    ``dst``.  Capability pointers keep their index (the caller owns cap table mapping)."""
    if lo == 0 and hi == 0:
        return
    k = lo & 3
    if k == 3:
        if lo != 3:
            raise DecodeError("unknown pointer type")
        _pack_ptr(buf, dst, 3, hi)
        return
    if k == 2:
        tseg, t, tlo, thi = follow_far(rd, lo, hi)
    else:
        tseg, t, tlo, thi = seg, pos + 8 + ((lo >> 2) << 3), lo, hi
    if tlo & 3 == 1:
        # read_list takes a pointer: hand it an equivalent near one (offset 0) just before t.
        _copy_list(rd, tseg, t - 8, 1, thi, depth, buf, dst)
        return
    if tlo & 3 != 0:
        raise DecodeError("far pointer's landing pad is not a struct or list pointer")
    dw = thi & 0xFFFF
    pc = thi >> 16
    if t < 0 or t + ((dw + pc) << 3) > len(tseg):
        raise DecodeError("struct pointer out of bounds")
    if depth <= 0:
        raise DecodeError(f"message is nested deeper than {NESTING_LIMIT} levels (or contains a cycle)")
    layout.charge(rd, dw + pc)
    if dw + pc == 0:
        _pack_ptr(buf, dst, -4, 0)
        return
    out = len(buf)
    buf += tseg[t : t + (dw << 3)]
    buf += bytes(pc << 3)
    _pack_ptr(buf, dst, (out - dst - 8) >> 1, thi)
    pp = t + (dw << 3)
    for i in range(pc):
        plo, phi = _unpack_ptr(tseg, pp + 8 * i)
        if plo or phi:
            copy_pointer(rd, tseg, pp + 8 * i, plo, phi, depth - 1, buf, out + (dw << 3) + 8 * i)


def _copy_list(rd: Reader, seg: Any, pos: int, lo: int, hi: int, depth: int,
               buf: bytearray, dst: int) -> None:
    seg, s, n, es, db, pc, step = layout.read_list(rd, seg, pos, lo, hi, depth)
    t = len(buf)
    if es == COMPOSITE:
        per = (db >> 3) + pc
        buf += bytes((n * per + 1) << 3)
        _pack_ptr(buf, dst, ((t - dst - 8) >> 1) | 1, ((n * per) << 3) | COMPOSITE)
        _pack_ptr(buf, t, n << 2, (db >> 3) | (pc << 16))
        if n and depth - 1 <= 0:
            raise DecodeError(f"message is nested deeper than {NESTING_LIMIT} levels (or contains a cycle)")
        src, out = s, t + 8
        for _ in range(n):
            buf[out : out + db] = seg[src : src + db]
            for i in range(pc):
                plo, phi = _unpack_ptr(seg, src + db + 8 * i)
                if plo or phi:
                    copy_pointer(rd, seg, src + db + 8 * i, plo, phi, depth - 2, buf, out + db + 8 * i)
            src += per << 3
            out += per << 3
        return
    nbytes = ((n * step + 63) >> 6) << 3
    _pack_ptr(buf, dst, ((t - dst - 8) >> 1) | 1, (n << 3) | es)
    if es != POINTER:
        buf += seg[s : s + nbytes]
        return
    buf += bytes(nbytes)
    for i in range(n):
        plo, phi = _unpack_ptr(seg, s + 8 * i)
        if plo or phi:
            copy_pointer(rd, seg, s + 8 * i, plo, phi, depth - 1, buf, t + 8 * i)


__all__ = ["AnyPointer", "Cap", "copy_pointer", "read_any", "write_any"]
