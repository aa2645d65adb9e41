"""The generated classes: construction, equality, encode errors, AnyPointer, capabilities."""

from __future__ import annotations

import enum
import os
import threading

import capnp
import pytest

from mpipc import DecodeError, EncodeError, codec, schema

from . import support

S = support.alltypes()
AllTypes = support.cls_of(S, "AllTypes")
Inner = support.cls_of(S, "Inner")
Empty = support.cls_of(S, "Empty")
Color = codec.enum_class(S, S.find("Color").id)
RPC = schema.load_rpc()
KINDS = schema.load(os.path.join(os.path.dirname(support.HERE), "schema", "schemas", "kinds.capnp"))


def all_structs(s: schema.SchemaSet):
    return [n for n in s.nodes.values() if n.which == "struct" and not n.struct.is_group and not n.is_generic]


@pytest.mark.parametrize("s,py", [(S, support.alltypes_pycapnp()),
                                  (RPC, support.pycapnp_load(os.path.join(schema.bundled_dir(), "capnp", "rpc.capnp")))],
                         ids=["alltypes", "rpc"])
def test_every_struct_generates_alone_and_reads_an_empty_message(s, py):
    for node in all_structs(s):
        fresh = schema.SchemaSet(s.nodes, s.files)  # a new generator: nothing made before
        cls = codec.struct_class(fresh, node.id)
        message = _new_message(_pycapnp_struct(py, node))
        assert codec.decode(cls, message) == cls(), node.display_name
        assert codec.decode(cls, codec.encode(cls())) == cls()


def _new_message(struct_schema) -> bytes:
    if hasattr(struct_schema, "new_message"):
        return struct_schema.new_message().to_bytes()
    builder = capnp._MallocMessageBuilder()
    builder.init_root(struct_schema)
    return codec.make_frame(builder.get_segments_for_output())


def _pycapnp_struct(module, node):
    obj = module
    *scope, last = node.scoped_name.split(".")
    for part in scope:
        obj = getattr(obj, part)
    if "$" in last:  # a method's implicit param/result struct
        method = obj.schema.methods[last.partition("$")[0]]
        return method.param_type if last.endswith("$Params") else method.result_type
    return getattr(obj, last)


def test_kinds_schema_classes():
    outer_cls = support.cls_of(KINDS, "Outer")
    outer = outer_cls()
    assert outer.where.x == 3.0 and outer.mode == 1  # struct and enum defaults
    assert outer.shape.which == "circle"
    box = outer_cls.group_classes["shape"].group_classes["box"]
    back = codec.decode(outer_cls, codec.encode(outer_cls(shape=outer_cls.group_classes["shape"](box=box(w=2, h=3)))))
    assert (back.shape.which, back.shape.box.w, back.shape.box.h) == ("box", 2, 3)
    level = codec.enum_class(KINDS, KINDS.find("Outer.Nested.Level").id)
    assert outer_cls.group_classes == {"shape": outer_cls.group_classes["shape"]}
    assert support.cls_of(KINDS, "Outer.Nested")().level is level.high


def test_class_basics():
    a = Inner(a=1, t="x")
    assert a == Inner(a=1, t="x") and a != Inner(a=2, t="x") and a != "Inner"
    assert repr(a) == "Inner(a=1, t='x', c=<Color.green: 1>)"
    assert not hasattr(a, "__dict__")
    assert Inner.__slots__ == ("a", "t", "c")
    with pytest.raises(TypeError, match="nope"):
        Inner(nope=1)
    with pytest.raises(TypeError):
        Inner(1)  # keyword-only
    with pytest.raises(TypeError):
        hash(a)
    assert Inner.schema_node is S.find("Inner") and isinstance(a, codec.Struct)
    assert issubclass(Color, enum.IntEnum) and Color.return_ == 3 and Color(2) is Color.blue
    with pytest.raises(AttributeError):
        AllTypes().nothing  # noqa: B018


@pytest.mark.parametrize("kwargs,message", [
    (dict(int8Field=300), "AllTypes.int8Field: 300 is out of range [-128, 127]"),
    (dict(uint64Field=-1), "AllTypes.uint64Field: -1 is out of range"),
    (dict(int32Field="1"), "AllTypes.int32Field: expected an int, got str"),
    (dict(float32Field=1e300), "AllTypes.float32Field: 1e+300 does not fit a Float32"),
    (dict(textField=b"bytes"), "AllTypes.textField: expected str for Text, got bytes"),
    (dict(textField="\ud800"), "AllTypes.textField: text is not encodable as UTF-8"),
    (dict(dataField="text"), "AllTypes.dataField: expected bytes for Data, got str"),
    (dict(structField="x"), "AllTypes.structField: expected Inner, got str"),
    (dict(int32List=5), "AllTypes.int32List: expected a list, got int"),
    (dict(structList=[Inner(), Inner(a="x")]), "AllTypes.structList[1].a: expected an int, got str"),
    (dict(structList=[Empty()]), "AllTypes.structList[0]: expected Inner, got Empty"),
    (dict(textListList=[["ok"], [1]]), "AllTypes.textListList[1][0]: expected str"),
    (dict(uInt="x", which="uInt"), "AllTypes.uInt: expected an int, got str"),
    (dict(which="nope"), "AllTypes: which='nope' is not a member of the union"),
    (dict(capField=object()), "AllTypes.capField: capability"),
    (dict(anyField=3.5), "AllTypes.anyField: expected a struct, str, bytes, Cap or AnyPointer"),
])
def test_encode_errors_name_the_field(kwargs, message):
    with pytest.raises(EncodeError) as info:
        codec.encode(AllTypes(**kwargs))
    assert str(info.value).startswith(message), str(info.value)


def test_encode_refuses_what_is_not_a_message():
    with pytest.raises(EncodeError, match="generated struct class"):
        codec.encode(object())
    with pytest.raises(EncodeError, match="group"):
        codec.encode(AllTypes().grp)
    cycle = support.cls_of(S, "Chain")()
    cycle.next = cycle
    with pytest.raises(EncodeError, match="nested too deeply"):
        codec.encode(cycle)
    with pytest.raises(TypeError):
        codec.decode(dict, codec.encode(Inner()))


def test_any_pointer():
    cases = [Inner(a=4, t="in"), "text", b"data", codec.Cap(2)]
    for value in cases:
        back = codec.decode(AllTypes, codec.encode(AllTypes(anyField=value)), cap_table=["c0", "c1", "c2"])
        ptr = back.anyField
        assert isinstance(ptr, codec.AnyPointer) and not ptr.is_null
        if isinstance(value, Inner):
            assert ptr.kind == "struct" and ptr.as_struct(Inner) == value
            with pytest.raises(DecodeError, match="struct pointer where text"):
                ptr.as_text()
        elif isinstance(value, str):
            assert ptr.kind == "list" and ptr.as_text() == value
        elif isinstance(value, bytes):
            assert ptr.as_data() == value
        else:
            assert ptr.kind == "capability" and ptr.as_cap() == 2 and ptr.as_cap(["a", "b", "c"]) == "c"
        # Copied into another message, it is the same value.
        again = codec.decode(AllTypes, codec.encode(AllTypes(anyField=ptr)))
        assert again.anyField == ptr
        assert again.anyField.to_segment() == ptr.to_segment()
    assert codec.decode(AllTypes, codec.encode(AllTypes())).anyField is None


def test_any_pointer_pointer_fields_for_pipelining():
    """getPointerField transforms: results.content -> field -> ... -> capability."""
    data = codec.encode(AllTypes(anyField=AllTypes(capField=5, structField=Inner(t="x"))))
    ptr = codec.decode(AllTypes, data).anyField
    cap_slot = next(f.slot.offset for f in S.find("AllTypes").struct.fields if f.name == "capField")
    text_slot = next(f.slot.offset for f in S.find("AllTypes").struct.fields if f.name == "structField")
    assert ptr.get_pointer_field(cap_slot).as_cap() == 5
    assert ptr.get_pointer_field(cap_slot).as_cap(["c"] * 6) == "c"
    assert ptr.get_pointer_field(text_slot).get_pointer_field(0).as_text() == "x"
    null = ptr.get_pointer_field(0)  # textField: not set
    assert null.is_null and null.as_cap() is None and null.get_pointer_field(3).is_null
    assert ptr.get_pointer_field(1000).is_null  # beyond the struct's pointers reads as null
    with pytest.raises(DecodeError, match="list pointer where a struct"):
        codec.decode(AllTypes, codec.encode(AllTypes(anyField="t"))).anyField.get_pointer_field(0)


def test_any_pointer_of_a_deep_struct_copies_everything():
    rich = support.from_dict(S, S.find("AllTypes").id, __import__("tests.codec.test_equivalence",
                                                                   fromlist=["RICH"]).RICH)
    holder = codec.decode(AllTypes, codec.encode(AllTypes(anyField=rich)))
    copied = codec.decode(AllTypes, codec.encode(AllTypes(anyField=holder.anyField)))
    assert copied.anyField.as_struct(AllTypes) == rich


def test_capabilities_through_cap_tables():
    class Table(list):
        def add(self, obj):
            self.append(obj)
            return len(self) - 1

    table = Table()
    a, b = object(), object()
    data = codec.encode(AllTypes(capField=a, capList=[b, None, 7]), cap_table=table)
    assert table == [a, b]
    back = codec.decode(AllTypes, data, cap_table=["A", "B", "C", "D", "E", "F", "G", "H"])
    assert back.capField == "A" and back.capList == ["B", None, "H"]
    raw = codec.decode(AllTypes, data)
    assert raw.capField == 0 and raw.capList == [1, None, 7]


def test_generation_is_thread_safe():
    fresh = schema.SchemaSet(RPC.nodes, RPC.files)
    ids = [n.id for n in all_structs(RPC)]
    results, errors = [], []

    def work():
        try:
            results.append([codec.struct_class(fresh, i) for i in ids])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == results[0] for r in results)
