"""Schema evolution: an older peer's message reads with defaults; a newer one's extra is ignored."""

from __future__ import annotations

import os

import pytest

from mpipc import codec, schema

from . import support

V1 = schema.load(os.path.join(support.SCHEMAS, "evolve_v1.capnp"))
V2 = schema.load(os.path.join(support.SCHEMAS, "evolve_v2.capnp"))
R1, H1 = support.cls_of(V1, "Record"), support.cls_of(V1, "Holder")
R2, H2 = support.cls_of(V2, "Record"), support.cls_of(V2, "Holder")
Value, Tag = support.cls_of(V2, "Value"), support.cls_of(V2, "Tag")
Kind1, Kind2 = R1.group_classes["kind"], R2.group_classes["kind"]


@pytest.fixture(scope="module")
def py1():
    return support.pycapnp_load(os.path.join(support.SCHEMAS, "evolve_v1.capnp"))


@pytest.fixture(scope="module")
def py2():
    return support.pycapnp_load(os.path.join(support.SCHEMAS, "evolve_v2.capnp"))


def old_record() -> object:
    return R1(id=7, name="old", values=[1, -2, 3], tags=["a", "b"], kind=Kind1(number=-9))


def test_new_reader_fills_defaults():
    new = codec.decode(R2, codec.encode(old_record()))
    assert (new.id, new.name, new.kind.which, new.kind.number) == (7, "old", "number", -9)
    assert (new.score, new.note, new.flag, new.extra, new.big) == (0.5, "none", True, None, 12345)
    # Primitive and Text lists read as lists of structs whose @0 is the old element.
    assert new.values == [Value(v=1), Value(v=-2), Value(v=3)]
    assert new.tags == [Tag(text="a"), Tag(text="b")]
    assert new.tags[0].weight == 1


def test_old_reader_ignores_what_it_does_not_know():
    new = R2(id=8, name="new", values=[Value(v=4, unit="m"), Value(v=5)], tags=[Tag(text="t", weight=9)],
             kind=Kind2(label="unknown to v1"), score=2.0, note="n", flag=False, extra=[1, 2], big=1)
    old = codec.decode(R1, codec.encode(new))
    assert (old.id, old.name) == (8, "new")
    # Lists of structs read as the old lists: the first data field, or the first pointer.
    assert old.values == [4, 5]
    assert old.tags == ["t"]
    # A union member v1 does not know: `which` is its discriminant.
    assert old.kind.which == 2 and old.kind.plain is None and old.kind.number is None
    # Re-encoding keeps what v1 knows; the unknown member's discriminant survives.
    again = codec.decode(R2, codec.encode(old))
    assert again.kind.which == "label" and again.kind.label is None and again.score == 0.5


def test_struct_lists_of_smaller_and_larger_elements():
    h1 = H1(records=[old_record(), R1(id=2, kind=Kind1(which="plain"))], single=old_record())
    h2 = codec.decode(H2, codec.encode(h1))
    assert [r.id for r in h2.records] == [7, 2] and h2.records[0].note == "none"
    assert h2.count == 3 and h2.single.values[1] == Value(v=-2)
    back = codec.decode(H1, codec.encode(h2))
    assert back.records[0].values == [1, -2, 3] and back.records[1].kind.which == "plain"


def test_pycapnp_old_writer_mpipc_new_reader(py1):
    msg = py1.Record.new_message(id=3, name="py", values=[5], tags=["z"], kind={"number": 4})
    new = codec.decode(R2, msg.to_bytes())
    assert (new.id, new.values, new.tags, new.note, new.flag) == (3, [Value(v=5)], [Tag(text="z")], "none", True)


def test_mpipc_new_writer_pycapnp_old_reader(py1, py2):
    new = R2(id=4, name="x", values=[Value(v=6, unit="u")], tags=[Tag(text="q")], score=9.0,
             kind=Kind2(number=2))
    data = codec.encode(new)
    assert support.read_pycapnp(py1.Record, data) == {
        "id": 4, "name": "x", "values": [6], "tags": ["q"], "kind": {"number": 2}}
    assert support.read_pycapnp(py2.Record, data)["score"] == 9.0


def test_pycapnp_new_writer_mpipc_old_reader(py2):
    msg = py2.Record.new_message(id=5, values=[{"v": 1, "unit": "s"}], tags=[{"text": "t"}],
                                 kind={"label": "L"}, extra=[1])
    old = codec.decode(R1, msg.to_bytes())
    assert (old.id, old.values, old.tags, old.kind.which) == (5, [1], ["t"], 2)
