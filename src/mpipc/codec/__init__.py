"""Cap'n Proto encoding: framing, and generated per-struct encoders and decoders.

    Foo = codec.struct_class(schema_set, node_id)
    data = codec.encode(Foo(a=1), cap_table=None)     # a whole frame
    foo = codec.decode(Foo, data, cap_table=None)

See docs/internals.md ("Layer 2") for the value mapping.
"""

from __future__ import annotations

import struct as _struct
from typing import Any, Sequence

from ..errors import DecodeError, EncodeError
from .anypointer import UNEXPECTED as _UNEXPECTED
from .anypointer import AnyPointer, Cap
from .framing import make_frame, read_frame
from .generate import enum_class, struct_class
from .layout import (
    MAX_SEGMENTS,
    NESTING_LIMIT,
    PTR as _PTR,
    TRAVERSAL_LIMIT_WORDS,
    Reader as _Reader,
    Struct,
    add_context as _add_context,
    read_struct as _read_struct,
)

__all__ = [
    "MAX_SEGMENTS",
    "NESTING_LIMIT",
    "TRAVERSAL_LIMIT_WORDS",
    "AnyPointer",
    "Cap",
    "Struct",
    "decode",
    "decode_segments",
    "encode",
    "enum_class",
    "make_frame",
    "method_classes",
    "read_frame",
    "struct_class",
]

_HEADER = _struct.Struct("<II")
_pack_ptr = _PTR.pack_into
_unpack_ptr = _PTR.unpack_from


def method_classes(schema_set, interface, name: str) -> tuple[int, type, type]:
    """(ordinal, params class, results class) of method ``name`` of ``interface`` (a node)."""
    for m in interface.interface.methods:
        if m.name == name:
            return (m.ordinal, struct_class(schema_set, m.param_struct_type),
                    struct_class(schema_set, m.result_struct_type))
    raise LookupError(f"{interface.display_name} has no method {name!r}")


def encode(obj: Any, cap_table: Any = None) -> bytes:
    """Encode a generated struct instance as a whole frame (segment table + one segment).

    Interface fields holding something other than an ``int`` are added to ``cap_table``
    with ``cap_table.add(obj) -> index``.
    """
    cls = obj.__class__
    try:
        root, enc, pp, group = cls._mpipc_root
    except AttributeError:
        raise EncodeError(f"expected an instance of a generated struct class, got {cls.__name__}") from None
    if group:
        raise EncodeError(f"a group ({cls.__qualname__}) cannot be the root of a message")
    # Word 0: the segment table; word 1: the root pointer; then the root struct.
    buf = bytearray(root)
    try:
        enc(obj, buf, 16, pp, cap_table)
    except EncodeError as e:
        raise _add_context(e, cls.__qualname__) from None
    except RecursionError:
        raise EncodeError(f"{cls.__qualname__}: value is nested too deeply (or contains a cycle)") from None
    words = (len(buf) >> 3) - 1
    if words > 0xFFFFFFFF:
        raise EncodeError(f"{cls.__qualname__}: message too large ({words} words)")
    _HEADER.pack_into(buf, 0, 0, words)
    return bytes(buf)


def decode(cls: type, data, cap_table: Sequence | None = None) -> Any:
    """Decode one whole frame (``bytes``, ``bytearray`` or ``memoryview``) as ``cls``."""
    n = len(data)
    if n >= 16:
        count, size = _HEADER.unpack_from(data, 0)
        if count == 0 and 8 + (size << 3) == n:  # the usual case: one segment, nothing after
            seg = memoryview(data)[8:]
            if seg.format == "B" and seg.ndim == 1:
                return _decode(cls, (seg,), cap_table)
    frame = read_frame(data)
    if frame is None:
        raise DecodeError(f"incomplete frame ({len(data)} bytes)")
    segments, used = frame
    if used != len(data):
        raise DecodeError(f"{len(data) - used} bytes after the end of the frame")
    return _decode(cls, segments, cap_table)


def decode_segments(cls: type, segments: Sequence, cap_table: Sequence | None = None) -> Any:
    """Decode a message given as its segments (bytes-like, each a whole number of words).

    Interface fields decode as ``cap_table[index]``, or as the raw index without a table.
    """
    segs = []
    for seg in segments:
        view = memoryview(seg)
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        segs.append(view)
    return _decode(cls, segs, cap_table)


def _decode(cls: type, segments: Sequence, cap_table: Sequence | None) -> Any:
    try:
        dec = cls._mpipc_dec
    except AttributeError:
        raise TypeError(f"expected a generated struct class, got {cls!r}") from None
    if not segments:
        raise DecodeError("message has no segments")
    seg = segments[0]
    if len(seg) < 8:
        raise DecodeError("message has no root pointer")
    rd = _Reader(segments, cap_table)
    try:
        lo, hi = _unpack_ptr(seg, 0)
        if lo == 0 and hi == 0:
            return cls()  # a null root reads as the default struct
        return _read_struct(rd, seg, 0, lo, hi, NESTING_LIMIT, dec)
    except DecodeError as e:
        raise _add_context(e, cls.__qualname__) from None
    except _UNEXPECTED as e:
        raise DecodeError(f"{cls.__qualname__}: malformed message (internal error: {e!r})") from e
