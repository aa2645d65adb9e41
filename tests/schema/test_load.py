"""mpipc.schema: loading files into frozen nodes, our proxy.capnp's wire ids, lookups, errors."""

from __future__ import annotations

import dataclasses
import os
import struct

import pytest

from mpipc import SchemaError, schema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "schemas")
PROXY = os.path.join(schema.INCLUDE_DIR, "mp", "proxy.capnp")

# SPEC.md, "Wire facts": libmultiprocess's include/mp/proxy.capnp.
PROXY_IDS = {
    "": 0xCC316E3F71A040FB,
    "include": 0xB899F3C154FDB458,
    "includeTypes": 0xBCEC15648E8A0CF1,
    "wrap": 0xE6F46079B7B1405E,
    "count": 0xD02682B319F69B38,
    "exception": 0x996A183200992F88,
    "name": 0xB594888F63F4DBB9,
    "skip": 0x824C08B82695D8DD,
    "ThreadMap": 0xEE5E37179AD9DC9D,
    "Thread": 0x81C1E2600D0B56C5,
    "Context": 0x9C44E6645D0B22C6,
}
ANNOTATION_TARGETS = {
    "include": ({"file"}, "text"), "includeTypes": ({"file"}, "text"),
    "wrap": ({"struct", "interface"}, "text"), "count": ({"struct", "interface", "param"}, "int32"),
    "exception": ({"param"}, "text"), "name": ({"field", "method"}, "text"), "skip": ({"field"}, "void"),
}

# The same declarations with every id left to the compiler, as libmultiprocess writes them:
# our explicit ids must be what Cap'n Proto derives (so $Params/$Results ids match too).
DERIVED_PROXY = """@0xcc316e3f71a040fb;
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("mp");
annotation include(file): Text;
annotation includeTypes(file): Text;
annotation wrap(interface, struct): Text;
annotation count(param, struct, interface): Int32;
annotation exception(param): Text;
annotation name(field, method): Text;
annotation skip(field): Void;
interface ThreadMap $count(0) {
  makeThread @0 (name :Text) -> (result :Thread);
  makePool @1 (count :UInt32) -> ();
}
interface Thread {
  getName @0 () -> (result :Text);
}
struct Context $count(0) {
  thread @0 :Thread;
  callbackThread @1 :Thread;
}
"""


@pytest.fixture(scope="module")
def proxy():
    return schema.load(PROXY)


def test_proxy_capnp_ids(proxy):
    for name, node_id in PROXY_IDS.items():
        node = proxy.nodes[node_id]
        assert node.display_name == "proxy.capnp" + (":" + name if name else "")
    file = proxy.nodes[PROXY_IDS[""]]
    cxx_namespace = 0xB9C6F99EBF805F2C
    assert file.annotation_value(cxx_namespace) == "mp"


def test_proxy_capnp_annotations(proxy):
    for name, (targets, type_) in ANNOTATION_TARGETS.items():
        ann = proxy.nodes[PROXY_IDS[name]].annotation
        assert ann.type.which == type_
        on = {f.name[len("targets_"):] for f in dataclasses.fields(ann) if f.name.startswith("targets_")
              and getattr(ann, f.name)}
        assert on == targets, name


def test_proxy_capnp_interfaces_and_context(proxy):
    count = PROXY_IDS["count"]
    thread_map = proxy.nodes[PROXY_IDS["ThreadMap"]]
    assert thread_map.annotation_value(count) == 0
    make_thread, make_pool = thread_map.interface.methods
    assert (make_thread.name, make_pool.name) == ("makeThread", "makePool")
    params = proxy.nodes[make_thread.param_struct_type].struct
    results = proxy.nodes[make_thread.result_struct_type].struct
    assert [(f.name, f.slot.type.which) for f in params.fields] == [("name", "text")]
    assert [(f.name, f.slot.type.type_id) for f in results.fields] == [("result", PROXY_IDS["Thread"])]
    pool = proxy.nodes[make_pool.param_struct_type].struct
    assert [(f.name, f.slot.type.which) for f in pool.fields] == [("count", "uint32")]
    assert proxy.nodes[make_pool.result_struct_type].struct.fields == ()
    (get_name,) = proxy.nodes[PROXY_IDS["Thread"]].interface.methods
    assert proxy.nodes[get_name.result_struct_type].struct.fields[0].slot.type.which == "text"
    context = proxy.nodes[PROXY_IDS["Context"]]
    assert context.annotation_value(count) == 0
    assert [(f.name, f.ordinal, f.slot.offset, f.slot.type.type_id) for f in context.struct.fields] == [
        ("thread", 0, 0, PROXY_IDS["Thread"]), ("callbackThread", 1, 1, PROXY_IDS["Thread"])]


def test_proxy_capnp_ids_are_the_derived_ones(proxy, tmp_path):
    path = tmp_path / "proxy.capnp"
    path.write_text(DERIVED_PROXY)
    derived = schema.load(str(path))
    ours = {n.scoped_name: n.id for n in proxy.nodes.values() if proxy.file_of(n.id) == PROXY_IDS[""]}
    theirs = {n.scoped_name: n.id for n in derived.nodes.values() if derived.file_of(n.id) == PROXY_IDS[""]}
    assert ours == theirs
    assert ours["ThreadMap.makeThread$Params"] == theirs["ThreadMap.makeThread$Params"]


def test_libmultiprocess_example_ids():
    """The ids of /work/shared/wire/README.md, from schemas with the example's file ids."""
    s = schema.load(os.path.join(SCHEMAS, "init.capnp"))
    expected = {
        "init.capnp": 0xBA5A7448664901B1, "calculator.capnp": 0xB67DBF34061180A9,
        "printer.capnp": 0x893DB95F456ED0E3, "InitInterface": 0xF005D0634BAFECF9,
        "CalculatorInterface": 0x8F2FC29C621A588E, "PrinterInterface": 0xAADBFB2EC12E0469,
        "InitInterface.construct$Params": 0x98C98F8BA3062721,
        "InitInterface.makeCalculator$Params": 0xDE6426949CF303FC,
        "InitInterface.makePrinter$Params": 0xF7214A353CBC5BD9,
    }
    for name, node_id in expected.items():
        assert s.find(name).id == node_id, name
    init = s.find("InitInterface")
    assert init.annotation_value(PROXY_IDS["wrap"]) == "Init"
    assert [m.name for m in init.interface.methods] == ["construct", "makeCalculator", "makePrinter"]
    assert s.files == (0xBA5A7448664901B1,)


@pytest.fixture(scope="module")
def kinds():
    return schema.load(os.path.join(SCHEMAS, "kinds.capnp"))


def test_every_kind_of_node_is_loaded(kinds):
    by_kind = {}
    for node in kinds.nodes.values():
        by_kind.setdefault(node.which, set()).add(node.scoped_name)
    assert {"Outer", "Outer.Nested", "Outer.shape", "Outer.shape.box", "Point", "Box", "UsesBox",
            "Base.hello$Params", "Derived.add$Results"} <= by_kind["struct"]
    assert {"Mode", "Outer.Nested.Level"} <= by_kind["enum"]
    assert {"Base", "Derived"} <= by_kind["interface"]
    assert {"answer", "greeting", "primes", "origin"} <= by_kind["const"]
    assert {"note", "wrap", "namespace"} <= by_kind["annotation"]
    assert {"kinds.capnp", "capnp/c++.capnp", "mp/proxy.capnp"} <= {
        n.display_name for n in kinds.nodes.values() if n.which == "file"}
    # Frozen, and free of pycapnp objects (they cross a process boundary as pickles).
    with pytest.raises(dataclasses.FrozenInstanceError):
        kinds.find("Outer").id = 1


def test_struct_layout_groups_and_unions(kinds):
    outer = kinds.find("Outer").struct
    fields = {f.name: f for f in outer.fields}
    assert fields["shape"].which == "group" and not fields["shape"].in_union
    shape = kinds.nodes[fields["shape"].group.type_id]
    assert shape.struct.is_group and shape.struct.discriminant_count == 2
    circle, box = shape.struct.fields
    assert (circle.in_union, circle.discriminant_value, box.which) == (True, 0, "group")
    assert kinds.nodes[box.group.type_id].scoped_name == "Outer.shape.box"
    assert fields["nested"].slot.type.type_id == kinds.find("Outer.Nested").id
    assert fields["name"].annotations[0].id == PROXY_IDS["name"]
    assert fields["name"].annotations[0].value.value == "label"


def test_values_and_defaults(kinds):
    assert kinds.find("answer").const.value == schema.Value("int32", 42)
    assert kinds.find("answer").id == 0xE1C2B3A4D5F60702
    assert kinds.find("greeting").const.value.value == "hi"
    primes = kinds.find("primes").const.value
    assert primes.which == "list"
    # One segment whose root pointer is a list of 3 bytes: the codec decodes it.
    lo, hi = struct.unpack_from("<iI", primes.value, 0)
    assert (lo & 3, hi & 7, hi >> 3) == (1, 2, 3) and primes.value[8:11] == bytes([2, 3, 5])
    fields = {f.name: f for f in kinds.find("Outer").struct.fields}
    assert fields["mode"].slot.default_value == schema.Value("enum", 1)
    assert fields["mode"].slot.had_explicit_default
    assert fields["where"].slot.default_value.which == "struct"
    assert isinstance(fields["where"].slot.default_value.value, bytes)
    assert fields["nested"].slot.default_value == schema.Value("struct", None)
    mode = kinds.find("Mode")
    assert mode.annotation_value(0xF1E2D3C4B5A69788) == "modes"
    assert [e.name for e in mode.enum.enumerants] == ["off", "on"]
    assert mode.enum.enumerants[1].annotations[0].value.value == "lit"


def test_interfaces_generics_and_brands(kinds):
    derived = kinds.find("Derived")
    assert derived.interface.superclasses == (schema.Superclass(kinds.find("Base").id),)
    add, echo = derived.interface.methods
    assert add.annotations[0].value.value == "adds"
    assert echo.param_struct_type == echo.result_struct_type == kinds.find("Point").id
    box = kinds.find("Box")
    assert box.is_generic and box.parameters == ("T",)
    value = box.struct.fields[0].slot.type
    assert value.which == "anyPointer" and value.any_pointer.which == "parameter"
    uses = kinds.find("UsesBox").struct.fields[0].slot.type
    assert uses.brand.scopes[0].bind[0].type.which == "text"


def test_find(kinds):
    assert kinds.find("kinds.capnp:Outer.Nested") is kinds.find("Outer.Nested") is kinds.find("Nested")
    assert kinds.find("Outer.Nested.Level").name == "Level"
    # Imported files may share short names: c++.capnp and proxy.capnp both define "name".
    with pytest.raises(SchemaError, match="ambiguous: capnp/c[+][+].capnp:name, mp/proxy.capnp:name"):
        kinds.find("name")
    assert kinds.find("mp/proxy.capnp:name").id == PROXY_IDS["name"]
    assert kinds.find("note").id == 0xF1E2D3C4B5A69788
    with pytest.raises(SchemaError, match="no schema node"):
        kinds.find("Nope")


def test_file_of(kinds):
    file_id = kinds.files[0]
    for name in ("Outer.shape.box", "Derived.add$Params", "Outer.Nested.Level", "origin"):
        assert kinds.file_of(kinds.find(name).id) == file_id
    assert kinds.file_of(PROXY_IDS["Context"]) == PROXY_IDS[""]
    assert kinds.file_of(kinds.find("mp/proxy.capnp:ThreadMap.makeThread$Params").id) == PROXY_IDS[""]


def test_find_prefers_the_loaded_files(tmp_path):
    (tmp_path / "a.capnp").write_text('@0xe1c2b3a4d5f60711;\nstruct Context { x @0 :Int32; }\n'
                                      'using P = import "/mp/proxy.capnp";\nstruct Uses { c @0 :P.Context; }\n')
    s = schema.load(str(tmp_path / "a.capnp"))
    assert s.find("Context").display_name == "a.capnp:Context"
    (tmp_path / "b.capnp").write_text('@0xe1c2b3a4d5f60712;\nstruct Context { y @0 :Int32; }\n')
    both = schema.load([str(tmp_path / "a.capnp"), str(tmp_path / "b.capnp")])
    with pytest.raises(SchemaError, match="ambiguous"):
        both.find("Context")
    assert both.find("b.capnp:Context").struct.fields[0].name == "y"


def test_imports_from_an_extra_folder(tmp_path):
    lib = tmp_path / "lib" / "shapes"
    lib.mkdir(parents=True)
    (lib / "shapes.capnp").write_text("@0xe1c2b3a4d5f60721;\nstruct Square { side @0 :Float32; }\n")
    (tmp_path / "main.capnp").write_text(
        '@0xe1c2b3a4d5f60722;\n# using Old = import "/gone/old.capnp";\n'
        'using S = import "/shapes/shapes.capnp";\nstruct Drawing { square @0 :S.Square; }\n')
    s = schema.load(tmp_path / "main.capnp", imports=[tmp_path / "lib"])
    square = s.find("Drawing").struct.fields[0].slot.type.type_id
    assert s.nodes[square].display_name == "shapes/shapes.capnp:Square"


def test_rpc_capnp():
    rpc = schema.load_rpc()
    assert rpc is schema.load_rpc()
    assert rpc.find("Message").id == 0x91B79F1F808DB032
    names = [f.name for f in rpc.find("Message").struct.fields]
    assert names[:5] == ["unimplemented", "abort", "call", "return", "finish"]
    call = {f.name: f for f in rpc.find("Call").struct.fields}
    assert {"noPromisePipelining", "onlyPromisePipeline", "allowThirdPartyTailCall"} <= set(call)
    assert "attachedFd" in {f.name for f in rpc.find("CapDescriptor").struct.fields}


@pytest.mark.parametrize("text,message", [
    ("@0xe1c2b3a4d5f60731;\nstruct X { a @0 :Int32 }\n", "Parse error"),
    ("@0xe1c2b3a4d5f60732;\nstruct X { a @0 :Int33; }\n", "Int33"),
    ("@0xe1c2b3a4d5f60733;\nusing M = import \"/nowhere.capnp\";\nstruct X { a @0 :M.Y; }\n", "/nowhere.capnp"),
    ("struct X { a @0 :Int32; }\n", "ID"),
    ("@0xe1c2b3a4d5f60734;\nstruct X { a_b @0 :Int32; }\n", "underscores"),
])
def test_schema_errors_do_not_kill_the_process(tmp_path, text, message):
    path = tmp_path / "bad.capnp"
    path.write_text(text)
    with pytest.raises(SchemaError, match=message):
        schema.load(str(path))


def test_bad_paths(tmp_path):
    with pytest.raises(SchemaError, match="not found"):
        schema.load(str(tmp_path / "missing.capnp"))
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(SchemaError, match="must end with .capnp"):
        schema.load(str(tmp_path / "x.txt"))
    with pytest.raises(SchemaError, match="import folder not found"):
        schema.load(PROXY, imports=[str(tmp_path / "nope")])


def test_method_ordinal_is_the_declared_number_not_the_code_order(tmp_path):
    (tmp_path / "m.capnp").write_text(
        '@0xe1c2b3a4d5f60713;\ninterface I {\n  second @1 () -> ();\n  first @0 () -> ();\n}\n')
    methods = {m.name: m for m in schema.load(str(tmp_path / "m.capnp")).find("I").interface.methods}
    assert (methods["first"].ordinal, methods["first"].code_order) == (0, 1)
    assert (methods["second"].ordinal, methods["second"].code_order) == (1, 0)
