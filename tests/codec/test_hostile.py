"""Hostile input: every malformed message raises DecodeError, within the reader limits."""

from __future__ import annotations

import glob
import json
import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpipc import DecodeError, codec, schema

from . import support

S = support.alltypes()
AllTypes = support.cls_of(S, "AllTypes")
Inner = support.cls_of(S, "Inner")
Chain = support.cls_of(S, "Chain")
RPC = schema.load_rpc()
Message = support.cls_of(RPC, "Message")
WIRE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wire")

# --- crafting words (encoding spec, "Pointers") -------------------------------------------


def struct_ptr(offset: int, dw: int, pc: int) -> bytes:
    return struct.pack("<iI", offset << 2, dw | (pc << 16))


def list_ptr(offset: int, size_code: int, count: int) -> bytes:
    return struct.pack("<iI", (offset << 2) | 1, (count << 3) | size_code)


def far_ptr(segment: int, pad: int, double: bool = False) -> bytes:
    return struct.pack("<II", (pad << 3) | (4 if double else 0) | 2, segment)


def word(*values: int, fmt: str = "<II") -> bytes:
    return struct.pack(fmt, *values)


def decode_error(cls, data, cap_table=None) -> str:
    with pytest.raises(DecodeError) as info:
        codec.decode(cls, data, cap_table)
    message = str(info.value)
    assert "internal error" not in message
    return message


INNER = S.find("Inner").struct  # 1 data word (a, c), 1 pointer (t)


def inner_body(a: int, text: bytes | None = None) -> bytes:
    """An Inner's sections followed by its text: data word, then pointer."""
    if text is None:
        return word(a, 0) + bytes(8)
    body = text + b"\0"
    padded = body + bytes(-len(body) % 8)
    return word(a, 0) + list_ptr(0, 2, len(body)) + padded


# --- far pointers -------------------------------------------------------------------------


def test_single_far_pointer():
    seg0 = far_ptr(1, 0)
    seg1 = struct_ptr(0, 1, 1) + inner_body(5, b"far")
    frame = codec.make_frame([seg0, seg1])
    assert codec.decode(Inner, frame) == Inner(a=5, t="far")
    assert support.read_pycapnp(support.alltypes_pycapnp().Inner, frame)["t"] == "far"


def test_double_far_pointer():
    seg0 = far_ptr(1, 0, double=True)
    seg1 = far_ptr(2, 0) + struct_ptr(0, 1, 1)  # landing pad: where, then what
    seg2 = inner_body(6, b"double")
    frame = codec.make_frame([seg0, seg1, seg2])
    assert codec.decode(Inner, frame) == Inner(a=6, t="double")
    assert support.read_pycapnp(support.alltypes_pycapnp().Inner, frame)["t"] == "double"


def test_far_pointer_inside_struct_to_text():
    seg0 = struct_ptr(0, 1, 1) + word(1, 0) + far_ptr(1, 1)
    seg1 = bytes(8) + list_ptr(0, 2, 3) + b"hi\0" + bytes(5)
    assert codec.decode(Inner, codec.make_frame([seg0, seg1])).t == "hi"


# --- malformed messages, one fault each ----------------------------------------------------

CASES = {
    "root out of bounds": ([struct_ptr(5, 1, 1)], "out of bounds"),
    "struct before the segment": ([struct_ptr(-3, 1, 0) + bytes(8)], "out of bounds"),
    "far to a missing segment": ([far_ptr(4, 0)], "segment 4"),
    "landing pad out of bounds": ([far_ptr(1, 9), struct_ptr(0, 0, 0)], "landing pad is out of bounds"),
    "landing pad is far": ([far_ptr(1, 0), far_ptr(0, 0)], "landing pad is another far pointer"),
    "double-far pad without far": ([far_ptr(1, 0, True), struct_ptr(0, 0, 0) * 2], "double-far"),
    "list where struct expected": ([list_ptr(0, 2, 0)], "list pointer where a struct"),
    "text not NUL-terminated": ([struct_ptr(0, 1, 1) + word(0, 0) + list_ptr(0, 2, 3) + b"abc" + bytes(5)],
                                "NUL-terminated"),
    "empty text": ([struct_ptr(0, 1, 1) + word(0, 0) + list_ptr(0, 2, 0)], "NUL-terminated"),
    "text not UTF-8": ([struct_ptr(0, 1, 1) + word(0, 0) + list_ptr(0, 2, 3) + b"\xff\xfe\0" + bytes(5)],
                       "UTF-8"),
    "text of 4-byte elements": ([struct_ptr(0, 1, 1) + word(0, 0) + list_ptr(0, 4, 1) + bytes(8)],
                                "where text was expected"),
    "text out of bounds": ([struct_ptr(0, 1, 1) + word(0, 0) + list_ptr(0, 2, 100)], "out of bounds"),
    "other pointer that is not a capability": ([struct_ptr(0, 1, 1) + word(0, 0) + word(7, 0)],
                                               "where text was expected"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_inner(name):
    segments, expected = CASES[name]
    message = decode_error(Inner, codec.make_frame(segments))
    assert expected in message, message
    assert message.startswith("Inner"), message


def at_field(name: str) -> int:
    """Byte offset, inside AllTypes' pointer section, of a pointer field."""
    f = next(f for f in S.find("AllTypes").struct.fields if f.name == name)
    return 8 * f.slot.offset


def alltypes_with(field: str, target_words: bytes) -> bytes:
    """A frame: AllTypes with one pointer field set to target_words' first word, which is
    written relative to the target area placed right after the struct."""
    st_ = S.find("AllTypes").struct
    dw, pc = st_.data_word_count, st_.pointer_count
    pointers = bytearray(8 * pc)
    ptr, rest = target_words[:8], target_words[8:]
    lo, hi = struct.unpack("<iI", ptr)
    if lo & 3 in (0, 1):  # re-base the offset from the field's slot
        slot = at_field(field) // 8
        lo = (((lo >> 2) + (pc - slot - 1)) << 2) | (lo & 3)
    pointers[at_field(field) : at_field(field) + 8] = struct.pack("<iI", lo, hi)
    seg = struct_ptr(0, dw, pc) + bytes(8 * dw) + bytes(pointers) + rest
    return codec.make_frame([seg])


LIST_CASES = {
    "composite tag not a struct": ("structList", list_ptr(0, 7, 1) + list_ptr(0, 0, 1) + bytes(8),
                                   "tag is not a struct"),
    "composite elements overrun": ("structList", list_ptr(0, 7, 1) + word(3 << 2, 1) + bytes(8),
                                   "overrun"),
    "bit list as struct list": ("structList", list_ptr(0, 1, 3) + bytes(8), "Bool list where a struct list"),
    "struct list as bit list": ("boolList", list_ptr(0, 7, 1) + word(1 << 2, 1) + bytes(8),
                                "struct list where a Bool list"),
    "byte list as pointer list": ("textList", list_ptr(0, 2, 8) + bytes(8), "list of pointers"),
    "pointer-only structs as numbers": ("int32List", list_ptr(0, 7, 1) + word(1 << 2, 1 << 16) + bytes(8),
                                        "where a list of 4-byte numbers"),
    "narrow list as wider numbers": ("int64List", list_ptr(0, 4, 2) + bytes(8), "8-byte numbers"),
    "capability where a list": ("int32List", word(3, 0), "capability"),
    "list pointer out of bounds": ("int32List", list_ptr(0, 4, 1000), "out of bounds"),
}


@pytest.mark.parametrize("name", sorted(LIST_CASES))
def test_malformed_lists(name):
    field, words, expected = LIST_CASES[name]
    message = decode_error(AllTypes, alltypes_with(field, words))
    assert expected in message and field in message, message


def test_capability_pointers():
    frame = alltypes_with("capField", word(3, 2))
    assert codec.decode(AllTypes, frame).capField == 2  # no cap table: the index
    assert codec.decode(AllTypes, frame, cap_table=["a", "b", "c"]).capField == "c"
    assert "outside the cap table" in decode_error(AllTypes, frame, cap_table=["a"])
    assert "unknown pointer type" in decode_error(AllTypes, alltypes_with("capField", word(7, 0)))
    assert "where a capability was expected" in decode_error(AllTypes, alltypes_with("capField", list_ptr(0, 2, 0)))


def test_framing_limits():
    assert codec.read_frame(b"\0\0\0\0\1\0\0") is None  # not even the header yet
    assert codec.read_frame(word(0, 2) + bytes(8)) is None  # a segment still arriving
    with pytest.raises(DecodeError, match="segments"):
        codec.read_frame(word(600, 0))
    with pytest.raises(DecodeError, match="exceeds the limit"):
        codec.read_frame(word(0, codec.TRAVERSAL_LIMIT_WORDS + 1))
    with pytest.raises(DecodeError, match="exceeds the limit"):
        codec.read_frame(word(1, 1 << 31) + word(1 << 31, 0))
    assert "incomplete" in decode_error(Inner, word(0, 2) + bytes(8))
    assert "after the end" in decode_error(Inner, codec.encode(Inner()) + bytes(8))
    assert "no root pointer" in decode_error(Inner, word(0, 0))
    segments, used = codec.read_frame(codec.make_frame([bytes(8), bytes(16), bytes(8)]) + b"next")
    assert [len(s) for s in segments] == [8, 16, 8] and used == 8 + 8 + 32


# --- limits ---------------------------------------------------------------------------------


def test_amplification_is_stopped_by_the_traversal_limit():
    """Many pointers to one large blob: each read counts, as in C++ (ReaderOptions)."""
    blob_words = 1 << 17  # 1 MiB
    n = (codec.TRAVERSAL_LIMIT_WORDS // blob_words) + 8
    pointers = b"".join(list_ptr(n - i - 1, 2, blob_words * 8) for i in range(n))
    frame = alltypes_with("dataList", list_ptr(0, 6, n) + pointers + bytes(8 * blob_words))
    message = decode_error(AllTypes, frame)
    assert "traversal limit" in message and "dataList" in message
    # The same blob referenced fewer times is fine.
    few = 4
    pointers = b"".join(list_ptr(few - i - 1, 2, blob_words * 8) for i in range(few))
    ok = codec.decode(AllTypes, alltypes_with("dataList", list_ptr(0, 6, few) + pointers + bytes(8 * blob_words)))
    assert len(ok.dataList) == few and len(ok.dataList[3]) == 8 * blob_words


def test_void_and_empty_struct_lists_cannot_claim_huge_sizes():
    huge = (1 << 29) - 1
    assert "traversal limit" in decode_error(AllTypes, alltypes_with("voidList", list_ptr(0, 0, huge)))
    tag = struct.pack("<iI", huge << 2, 0)  # huge count of zero-sized structs in zero words
    assert "traversal limit" in decode_error(AllTypes, alltypes_with("emptyList", list_ptr(0, 7, 0) + tag))


def chain(length: int):
    c = None
    for i in range(length):
        c = Chain(value=i, next=c)
    return c


def test_nesting_limit_matches_capnp():
    py = support.alltypes_pycapnp()
    ok = codec.encode(chain(codec.NESTING_LIMIT))  # the root and 63 levels below it
    assert codec.decode(Chain, ok) == chain(codec.NESTING_LIMIT)
    support.read_pycapnp(py.Chain, ok)
    too_deep = codec.encode(chain(codec.NESTING_LIMIT + 1))
    assert "nested deeper than 64" in decode_error(Chain, too_deep)
    with pytest.raises(Exception, match="too deeply-nested"):
        support.read_pycapnp(py.Chain, too_deep)


def test_cycles_end_at_the_nesting_limit():
    # A Chain whose `next` points back at itself, and a list that contains itself.
    seg = struct_ptr(0, 1, 2) + word(1, 0) + struct_ptr(-2, 1, 2) + bytes(8)
    assert "nested deeper" in decode_error(Chain, codec.make_frame([seg]))
    seg = (struct_ptr(0, 1, 2) + word(1, 0) + bytes(8) + list_ptr(0, 7, 3)  # root: items ->
           + word(1 << 2, 1 | 2 << 16) + word(2, 0) + bytes(8) + list_ptr(-4, 7, 3))  # -> same list
    message = decode_error(Chain, codec.make_frame([seg]))
    assert "nested deeper" in message and "items[0].items[0].items" in message


# --- fuzzing ------------------------------------------------------------------------------


def _valid_frames() -> list[bytes]:
    frames = []
    for path in sorted(glob.glob(os.path.join(WIRE, "*.jsonl"))):
        with open(path) as f:
            frames.extend(bytes.fromhex(json.loads(line)["hex"]) for line in f)
    from .test_equivalence import RICH

    rich = support.from_dict(S, S.find("AllTypes").id, RICH)
    frames.append(codec.encode(rich))
    frames.append(support.alltypes_pycapnp().AllTypes.new_message(num_first_segment_words=2, **RICH).to_bytes())
    return frames


FRAMES = _valid_frames()
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decode_everything(data: bytes) -> None:
    """Decode as every root type, read every AnyPointer; only DecodeError may come out."""
    for cls in (Message, AllTypes, Chain):
        try:
            value = codec.decode(cls, data)
        except DecodeError as e:
            assert "internal error" not in str(e), str(e)
            continue
        for any_ptr in _any_pointers(value):
            for read in (lambda: any_ptr.as_struct(AllTypes), any_ptr.as_text, any_ptr.as_data,
                         any_ptr.as_cap, any_ptr.to_segment,
                         lambda: any_ptr.get_pointer_field(0).get_pointer_field(1).as_cap()):
                try:
                    read()
                except DecodeError as e:
                    assert "internal error" not in str(e), str(e)


def _any_pointers(value, depth: int = 0):
    if isinstance(value, codec.AnyPointer):
        yield value
    elif isinstance(value, codec.Struct) and depth < 80:
        for name in type(value).__slots__:
            yield from _any_pointers(getattr(value, name), depth + 1)
    elif isinstance(value, list) and depth < 80:
        for x in value:
            yield from _any_pointers(x, depth + 1)


@FUZZ
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data):
    decode_everything(data)


@FUZZ
@given(st.lists(st.binary(min_size=8, max_size=8), min_size=1, max_size=40),
       st.lists(st.integers(0, 40), min_size=1, max_size=5))
def test_fuzz_random_words_in_segments(words, cuts):
    cuts = sorted({min(c, len(words)) for c in cuts} | {0, len(words)})
    segments = [b"".join(words[a:b]) for a, b in zip(cuts, cuts[1:])] or [b""]
    decode_everything(codec.make_frame(segments))


@FUZZ
@given(st.sampled_from(FRAMES), st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)),
                                         min_size=1, max_size=6))
def test_fuzz_mutated_valid_frames(frame, edits):
    data = bytearray(frame)
    for at, value in edits:
        data[at % len(data)] = value
    decode_everything(bytes(data))
