"""Stream framing: the segment table that precedes each message on a stream."""

from __future__ import annotations

import struct
from typing import Sequence

from ..errors import DecodeError
from .layout import MAX_SEGMENTS, TRAVERSAL_LIMIT_WORDS

_HEADER = struct.Struct("<II")


def read_frame(buf) -> tuple[list[memoryview], int] | None:
    """Split the frame at the start of ``buf`` into its segments.

    -> (segments, bytes used), or None while ``buf`` holds less than a whole frame.  The
    segments are views into ``buf`` (a ``bytearray`` cannot be resized while they, or
    anything decoded lazily from them, are alive).  A segment table claiming more than
    511 segments or more than the traversal limit of words raises ``DecodeError`` at
    once, before waiting for the rest.
    """
    n = len(buf)
    if n < 8:
        return None
    count, first = _HEADER.unpack_from(buf, 0)
    if count == 0:  # one segment: the usual case
        if first > TRAVERSAL_LIMIT_WORDS:
            raise DecodeError(f"frame of {first} words exceeds the limit of {TRAVERSAL_LIMIT_WORDS}")
        end = 8 + (first << 3)
        if n < end:
            return None
        mv = memoryview(buf)
        if mv.format != "B" or mv.ndim != 1:
            mv = mv.cast("B")
        return [mv[8:end]], end
    count += 1
    if count > MAX_SEGMENTS:
        raise DecodeError(f"frame claims {count} segments; at most {MAX_SEGMENTS} are allowed")
    header = (4 + 4 * count + 7) & ~7
    if n < header:
        return None
    sizes = struct.unpack_from(f"<{count}I", buf, 4)
    total = sum(sizes)
    if total > TRAVERSAL_LIMIT_WORDS:
        raise DecodeError(f"frame of {total} words exceeds the limit of {TRAVERSAL_LIMIT_WORDS}")
    end = header + (total << 3)
    if n < end:
        return None
    mv = memoryview(buf)
    if mv.format != "B" or mv.ndim != 1:
        mv = mv.cast("B")
    segments = []
    p = header
    for size in sizes:
        segments.append(mv[p : p + (size << 3)])
        p += size << 3
    return segments, end


def make_frame(segments: Sequence[bytes]) -> bytes:
    """A frame (segment table and segments) from segments whose lengths are whole words."""
    if not 1 <= len(segments) <= MAX_SEGMENTS:
        raise ValueError(f"a frame has 1 to {MAX_SEGMENTS} segments, not {len(segments)}")
    for s in segments:
        if len(s) % 8:
            raise ValueError("segment length is not a multiple of 8 bytes")
    table = struct.pack(f"<{len(segments) + 1}I", len(segments) - 1, *(len(s) >> 3 for s in segments))
    if len(table) % 8:
        table += bytes(4)
    return table + b"".join(bytes(s) for s in segments)
