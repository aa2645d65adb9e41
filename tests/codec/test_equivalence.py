"""mpipc's codec against pycapnp (libcapnp), value for value, in both directions."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from mpipc import codec

from . import support

S = support.alltypes()
PY = support.alltypes_pycapnp()
ALL_ID = S.find("AllTypes").id
AllTypes = support.cls_of(S, "AllTypes")
Defaults = support.cls_of(S, "Defaults")
Inner = support.cls_of(S, "Inner")
Color = codec.enum_class(S, S.find("Color").id)

SETTINGS = settings(max_examples=60, deadline=None)

RICH = {
    "boolField": True, "int8Field": -128, "int16Field": 32767, "int32Field": -(1 << 31),
    "int64Field": (1 << 63) - 1, "uint8Field": 255, "uint16Field": 65535,
    "uint32Field": (1 << 32) - 1, "uint64Field": (1 << 64) - 1, "float32Field": 1.5,
    "float64Field": -1e300, "textField": "héllo ☃", "dataField": b"\x00\x01\xff",
    "structField": {"a": 7, "t": "in", "c": "return"}, "enumField": "blue", "emptyField": {},
    "voidList": [None] * 3, "boolList": [True, False] * 37, "int8List": [-1, 2],
    "int16List": [-300], "int32List": [1, 2, 3], "int64List": [-(1 << 62)], "uint8List": [0, 255],
    "uint16List": [65535], "uint32List": [7], "uint64List": [(1 << 64) - 1],
    "float32List": [0.25, -2.0], "float64List": [math.pi], "textList": ["a", "", "ccc"],
    "dataList": [b"", b"xyz"], "structList": [{"a": 1}, {"t": "two", "c": "red"}],
    "enumList": ["red", "return"], "listList": [[1], [], [2, 3]], "textListList": [["x"], []],
    "structListList": [[{"a": 5}], []], "emptyList": [{}, {}, {}],
    "uGroup": {"gx": 9, "gy": "why"},
    "grp": {"ga": -5, "gb": True, "gc": "gee", "inner": {"ib": [1, -2]}},
    "named": {"nb": b"nb"}, "from": 42, "lastBool": True,
}


def test_rich_value_both_ways():
    obj = support.from_dict(S, ALL_ID, RICH)
    data = codec.encode(obj)
    assert support.read_pycapnp(PY.AllTypes, data) == support.to_dict(S, obj)
    assert codec.decode(AllTypes, data) == obj
    theirs = PY.AllTypes.new_message(**RICH)
    assert codec.decode(AllTypes, theirs.to_bytes()) == obj


def test_multi_segment_message_from_pycapnp_uses_far_pointers():
    msg = PY.AllTypes.new_message(num_first_segment_words=1, **RICH)
    segments = msg.to_segments()
    assert len(segments) > 3
    obj = codec.decode_segments(AllTypes, segments)
    assert support.to_dict(S, obj) == msg.to_dict()
    # The same through a whole frame.
    assert codec.decode(AllTypes, msg.to_bytes()) == obj


@SETTINGS
@given(support.struct_strategy(S, ALL_ID))
def test_mpipc_writes_what_pycapnp_reads(d):
    obj = support.from_dict(S, ALL_ID, d)
    data = codec.encode(obj)
    assert support.read_pycapnp(PY.AllTypes, data) == support.to_dict(S, obj)
    assert codec.decode(AllTypes, data) == obj


@SETTINGS
@given(support.struct_strategy(S, ALL_ID), st.sampled_from([None, 1, 3, 8]))
def test_pycapnp_writes_what_mpipc_reads(d, first_segment_words):
    extra = {} if first_segment_words is None else {"num_first_segment_words": first_segment_words}
    msg = PY.AllTypes.new_message(**extra, **d)
    expected = msg.to_dict()
    obj = codec.decode_segments(AllTypes, msg.to_segments())
    assert support.to_dict(S, obj) == expected
    assert codec.decode(AllTypes, msg.to_bytes()) == obj


def test_defaults_are_xor_encoded():
    d = Defaults()
    assert (d.b, d.i8, d.u64, d.f32, d.e) == (True, -5, 0xFEDCBA9876543210, 1.5, 2)
    data = codec.encode(Defaults(t=None, d=None, s=None, l=None, tl=None, sl=None, bl=None))
    # Every primitive at its default: the data section is all zeros.
    dw = S.find("Defaults").struct.data_word_count
    assert data[16 : 16 + 8 * dw] == bytes(8 * dw)
    assert codec.decode(Defaults, data) == d  # null pointers read as the decoded defaults
    assert support.read_pycapnp(PY.Defaults, codec.encode(d)) == PY.Defaults.new_message().to_dict() | {
        "t": "hello", "d": b"\xde\xad\xbe\xef", "s": {"a": 7, "t": "x", "c": "blue"},
        "l": [1, 2, 3], "tl": ["a", "b"], "sl": [{"a": 1, "c": "green"}, {"a": 2, "t": "two", "c": "green"}],
        "bl": [True, False, True]}
    assert codec.decode(Defaults, PY.Defaults.new_message().to_bytes()) == d


@SETTINGS
@given(support.struct_strategy(S, S.find("Defaults").id))
def test_defaults_struct_both_ways(d):
    msg = PY.Defaults.new_message(**d)
    obj = codec.decode(Defaults, msg.to_bytes())
    assert support.to_dict(S, obj) == {**_with_defaults(msg.to_dict())}
    assert support.read_pycapnp(PY.Defaults, codec.encode(obj)) == support.to_dict(S, obj)


def _with_defaults(d: dict) -> dict:
    """pycapnp leaves null pointers out of to_dict(); mpipc reads them as their defaults."""
    return {**support.to_dict(S, Defaults()), **d}


def test_default_pointer_values_are_not_shared():
    a, b = Defaults(), Defaults()
    a.l.append(4)
    a.s.a = 99
    assert b.l == [1, 2, 3] and b.s.a == 7


def test_union_which_defaults_and_keywords():
    assert AllTypes().which == "uVoid"
    assert AllTypes(uText="x").which == "uText"
    assert AllTypes(which="uInt").uInt == 0  # the chosen member takes its default
    assert AllTypes(which="uText").uText is None
    obj = AllTypes(from_=3, structField=Inner(c=Color.return_))
    back = codec.decode(AllTypes, codec.encode(obj))
    assert back.from_ == 3 and back.structField.c is Color.return_
    assert back.uText is None  # inactive members read as None
    assert "from_=3" in repr(back)


def test_unknown_enum_and_union_values_survive():
    msg = PY.Inner.new_message(a=1)
    raw = bytearray(msg.to_bytes())
    raw[8 + 8 + 4 : 8 + 8 + 6] = (1001 ^ 1).to_bytes(2, "little")  # c, XORed with green=1
    inner = codec.decode(Inner, bytes(raw))
    assert inner.c == 1001 and type(inner.c) is int
    assert codec.decode(Inner, codec.encode(inner)).c == 1001

    # A union member added by a newer schema: `which` is its discriminant.
    raw = bytearray(codec.encode(AllTypes(uInt=5)))
    at = 16 + 2 * S.find("AllTypes").struct.discriminant_offset
    raw[at : at + 2] = (99).to_bytes(2, "little")
    obj = codec.decode(AllTypes, bytes(raw))
    assert obj.which == 99 and obj.uInt is None
    assert codec.decode(AllTypes, codec.encode(obj)).which == 99


def test_nested_group_classes_are_reachable():
    grp_cls = AllTypes.group_classes["grp"]
    inner_cls = grp_cls.group_classes["inner"]
    obj = AllTypes(grp=grp_cls(ga=1, inner=inner_cls(ib=[5])))
    back = codec.decode(AllTypes, codec.encode(obj))
    assert back.grp.inner.which == "ib" and back.grp.inner.ib == [5]
    assert codec.struct_class(S, grp_cls.schema_node.id) is grp_cls


def test_lists_with_null_elements():
    obj = AllTypes(textList=["a", None], structListList=[None, [Inner(a=1)]], dataList=[None])
    back = codec.decode(AllTypes, codec.encode(obj))
    assert back.textList == ["a", None] and back.structListList == [None, [Inner(a=1)]]
    assert support.read_pycapnp(PY.AllTypes, codec.encode(obj))["textList"] == ["a", ""]
