"""Load `.capnp` schema files through pycapnp's parser into plain, frozen schema nodes."""

from __future__ import annotations

import faulthandler
import functools
import os
import pickle
import re
import tempfile
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from .errors import SchemaError

__all__ = [
    "INCLUDE_DIR",
    "Annotation",
    "AnnotationNode",
    "AnyPointerType",
    "Brand",
    "BrandBinding",
    "BrandScope",
    "ConstNode",
    "EnumNode",
    "Enumerant",
    "Field",
    "FieldGroup",
    "InterfaceNode",
    "Method",
    "NestedNode",
    "Node",
    "SchemaSet",
    "Slot",
    "StructNode",
    "Superclass",
    "Type",
    "Value",
    "bundled_dir",
    "load",
    "load_rpc",
]

#: Our own include folder: holds ``mp/proxy.capnp`` (imported as ``/mp/proxy.capnp``).
INCLUDE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")

#: ``Field.discriminant_value`` of a field that is not a union member (schema.capnp's noDiscriminant).
NO_DISCRIMINANT = 0xFFFF

POINTER_TYPES = frozenset({"text", "data", "list", "struct", "interface", "anyPointer"})


# --------------------------------------------------------------------------------------
# Nodes: frozen dataclasses mirroring schema.capnp, attribute names in snake_case.
# Union tags (`which`) keep schema.capnp's spelling ("anyPointer", "float32", ...).


@dataclass(frozen=True)
class BrandBinding:
    which: str  # "unbound" | "type"
    type: Type | None = None


@dataclass(frozen=True)
class BrandScope:
    scope_id: int
    which: str  # "bind" | "inherit"
    bind: tuple[BrandBinding, ...] = ()


@dataclass(frozen=True)
class Brand:
    scopes: tuple[BrandScope, ...] = ()


@dataclass(frozen=True)
class AnyPointerType:
    which: str  # "unconstrained" | "parameter" | "implicitMethodParameter"
    unconstrained: str | None = None  # "anyKind" | "struct" | "list" | "capability"
    scope_id: int | None = None
    parameter_index: int | None = None


@dataclass(frozen=True)
class Type:
    """schema.capnp ``Type``: ``which`` is the kind; the other attributes belong to some kinds."""

    which: str
    element_type: Type | None = None  # list
    type_id: int | None = None  # enum, struct, interface
    brand: Brand | None = None  # enum, struct, interface
    any_pointer: AnyPointerType | None = None  # anyPointer

    @property
    def is_pointer(self) -> bool:
        return self.which in POINTER_TYPES


@dataclass(frozen=True)
class Value:
    """schema.capnp ``Value``.

    ``value`` is a Python value for void (None), bool, numbers, enum (int), text (str)
    and data (bytes).  For struct, list and anyPointer it is ``bytes``: one message
    segment whose first word is the root pointer to the value (``None`` when null), for
    the codec to decode; for interface it is always ``None``.
    """

    which: str
    value: Any = None


@dataclass(frozen=True)
class Annotation:
    id: int
    value: Value
    brand: Brand | None = None


@dataclass(frozen=True)
class NestedNode:
    name: str
    id: int


@dataclass(frozen=True)
class Slot:
    offset: int  # in units of the field's own size (bits for Bool)
    type: Type
    default_value: Value
    had_explicit_default: bool


@dataclass(frozen=True)
class FieldGroup:
    type_id: int


@dataclass(frozen=True)
class Field:
    name: str
    code_order: int
    annotations: tuple[Annotation, ...]
    discriminant_value: int  # NO_DISCRIMINANT unless a union member
    which: str  # "slot" | "group"
    slot: Slot | None
    group: FieldGroup | None
    ordinal: int | None  # the explicit @N, None for groups and unions

    @property
    def in_union(self) -> bool:
        return self.discriminant_value != NO_DISCRIMINANT


@dataclass(frozen=True)
class StructNode:
    data_word_count: int
    pointer_count: int
    preferred_list_encoding: str
    is_group: bool
    discriminant_count: int
    discriminant_offset: int  # in 16-bit units
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Enumerant:
    name: str
    code_order: int
    annotations: tuple[Annotation, ...] = ()


@dataclass(frozen=True)
class EnumNode:
    enumerants: tuple[Enumerant, ...]


@dataclass(frozen=True)
class Method:
    name: str
    ordinal: int  # the method id on the wire: its place in the interface's list
    code_order: int
    implicit_parameters: tuple[str, ...]
    param_struct_type: int
    param_brand: Brand | None
    result_struct_type: int
    result_brand: Brand | None
    annotations: tuple[Annotation, ...]


@dataclass(frozen=True)
class Superclass:
    id: int
    brand: Brand | None = None


@dataclass(frozen=True)
class InterfaceNode:
    methods: tuple[Method, ...]
    superclasses: tuple[Superclass, ...]


@dataclass(frozen=True)
class ConstNode:
    type: Type
    value: Value


@dataclass(frozen=True)
class AnnotationNode:
    type: Type
    targets_file: bool = False
    targets_const: bool = False
    targets_enum: bool = False
    targets_enumerant: bool = False
    targets_struct: bool = False
    targets_field: bool = False
    targets_union: bool = False
    targets_group: bool = False
    targets_interface: bool = False
    targets_method: bool = False
    targets_param: bool = False
    targets_annotation: bool = False


@dataclass(frozen=True)
class Node:
    """schema.capnp ``Node``; exactly one of file/struct/enum/interface/const/annotation is set
    (``which`` names it; a file has no body)."""

    id: int
    display_name: str
    display_name_prefix_length: int
    scope_id: int
    parameters: tuple[str, ...]
    is_generic: bool
    nested_nodes: tuple[NestedNode, ...]
    annotations: tuple[Annotation, ...]
    which: str  # "file" | "struct" | "enum" | "interface" | "const" | "annotation"
    struct: StructNode | None = None
    enum: EnumNode | None = None
    interface: InterfaceNode | None = None
    const: ConstNode | None = None
    annotation: AnnotationNode | None = None

    @property
    def name(self) -> str:
        """The short name: the last part of the display name (``makeThread$Params``)."""
        return self.display_name[self.display_name_prefix_length :]

    @property
    def scoped_name(self) -> str:
        """The display name without its file (``ThreadMap.makeThread$Params``)."""
        return self.display_name.partition(":")[2] or self.display_name

    def annotation_value(self, annotation_id: int, default: Any = None) -> Any:
        """The value of an annotation applied to this node, or ``default``."""
        for a in self.annotations:
            if a.id == annotation_id:
                return a.value.value
        return default


# --------------------------------------------------------------------------------------
# The set of loaded nodes.


class SchemaSet:
    """Every node reachable from the loaded files, by id; ``find`` looks nodes up by name."""

    def __init__(self, nodes: Mapping[int, Node], files: Sequence[int]):
        self.nodes: Mapping[int, Node] = dict(nodes)
        self.files: tuple[int, ...] = tuple(files)
        self._by_display: dict[str, Node] = {}
        self._by_scoped: dict[str, list[Node]] = {}
        self._by_short: dict[str, list[Node]] = {}
        self._file_of: dict[int, int] = {}
        for node in self.nodes.values():
            self._by_display[node.display_name] = node
            if node.which != "file":
                self._by_scoped.setdefault(node.scoped_name, []).append(node)
                self._by_short.setdefault(node.name, []).append(node)
        for node in self.nodes.values():
            if node.which == "file":
                self._claim(node.id, node.id)

    def _claim(self, node_id: int, file_id: int) -> None:
        stack = [node_id]
        while stack:
            nid = stack.pop()
            if nid in self._file_of or nid not in self.nodes:
                continue
            self._file_of[nid] = file_id
            node = self.nodes[nid]
            stack.extend(n.id for n in node.nested_nodes)
            if node.struct is not None:
                stack.extend(f.group.type_id for f in node.struct.fields if f.group)
            if node.interface is not None:
                for m in node.interface.methods:
                    for sid in (m.param_struct_type, m.result_struct_type):
                        # Implicit $Params/$Results structs have no scope; explicit ones
                        # belong to the file that declares them.
                        if sid in self.nodes and self.nodes[sid].scope_id == 0:
                            stack.append(sid)

    def file_of(self, node_id: int) -> int | None:
        """The id of the file a node was declared in (None if unknown)."""
        return self._file_of.get(node_id)

    def find(self, name: str) -> Node:
        """A node by display name (``calc.capnp:Foo.Bar``), scoped name (``Foo.Bar``) or short
        name (``Bar``); names in the files given to ``load`` win over imported ones."""
        node = self._by_display.get(name)
        if node is not None:
            return node
        for table in (self._by_scoped, self._by_short):
            found = table.get(name)
            if not found:
                continue
            if len(found) > 1:
                mine = [n for n in found if self._file_of.get(n.id) in self.files]
                if len(mine) == 1:
                    return mine[0]
                candidates = ", ".join(sorted(n.display_name for n in found))
                raise SchemaError(f"schema name {name!r} is ambiguous: {candidates}")
            return found[0]
        raise SchemaError(f"no schema node named {name!r}")

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def __repr__(self) -> str:
        names = ", ".join(self.nodes[f].display_name for f in self.files if f in self.nodes)
        return f"<SchemaSet {names} ({len(self.nodes)} nodes)>"


# --------------------------------------------------------------------------------------
# Loading.


def bundled_dir() -> str:
    """The folder holding pycapnp's bundled ``capnp/*.capnp`` (so ``/capnp/c++.capnp`` resolves)."""
    import capnp  # noqa: PLC0415 - only the loader needs pycapnp

    return os.path.dirname(os.path.dirname(os.path.abspath(capnp.__file__)))


def load(path: str | os.PathLike | Sequence[str | os.PathLike], imports: Iterable[str | os.PathLike] = ()) -> SchemaSet:
    """Load one ``.capnp`` file (or a list of them) and every file they import.

    ``imports`` are extra import folders; ``INCLUDE_DIR`` and pycapnp's bundled folder are
    always searched.  Any problem with the files raises ``SchemaError``.
    """
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if not paths:
        raise SchemaError("no schema file given")
    files = []
    for p in paths:
        p = os.fspath(p)
        if not p.endswith(".capnp"):
            raise SchemaError(f"schema file name must end with .capnp: {p}")
        if not os.path.isfile(p):
            raise SchemaError(f"schema file not found: {p}")
        files.append(os.path.abspath(p))
    dirs = []
    for d in [*map(os.fspath, imports), INCLUDE_DIR, bundled_dir()]:
        d = os.path.abspath(d)
        if not os.path.isdir(d):
            raise SchemaError(f"schema import folder not found: {d}")
        if d not in dirs:
            dirs.append(d)
    nodes, file_ids = _parse_isolated(files, dirs)
    return SchemaSet(nodes, file_ids)


@functools.lru_cache(maxsize=None)
def load_rpc() -> SchemaSet:
    """Cap'n Proto's own ``rpc.capnp`` (as bundled with pycapnp), loaded once per process."""
    return load(os.path.join(bundled_dir(), "capnp", "rpc.capnp"))


def _parse_isolated(files: list[str], dirs: list[str]) -> tuple[dict[int, Node], list[int]]:
    """Run the parser in a forked child: libcapnp's parser aborts the whole process on any
    error in a schema file, so only the child can die of a typo; we read its verdict."""
    if not hasattr(os, "fork"):
        return _parse(files, dirs)
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # child: parse, send the nodes (or the error) back, never return
            status = 1
            try:
                os.close(read_fd)
                os.dup2(err.fileno(), 2)
                faulthandler.disable()  # an abort here is the expected failure, not a crash report
                try:
                    result: Any = ("ok", _parse(files, dirs))
                except BaseException as e:  # noqa: BLE001 - reported to the parent
                    result = ("error", f"{type(e).__name__}: {e}")
                data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_fd, "wb") as out:
                    out.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as inp:
            data = inp.read()
        try:
            exit_code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): judge by the data
            exit_code = 0
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if exit_code == 0 and data:
        kind, payload = pickle.loads(data)
        if kind == "ok":
            return payload
        raise SchemaError(f"cannot load {', '.join(files)}: {payload}")
    raise SchemaError(f"cannot load {', '.join(files)}: {_parser_message(stderr)}")


def _parser_message(stderr: str) -> str:
    lines = []
    for line in stderr.splitlines():
        line = line.strip()
        if not line or line.startswith(("terminate called", "stack:")):
            continue
        lines.append(line.removeprefix("what():").strip())
    return " / ".join(lines) or "the schema parser failed"


_IMPORT_RE = re.compile(r'\bimport\s+"((?:[^"\\]|\\.)*)"')


def _imports_of(path: str, dirs: list[str]) -> list[str]:
    """Files a schema file imports, resolved as the compiler does (absolute names through the
    import folders, relative ones beside the file); names that do not resolve are skipped."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return []
    found = []
    for name in _IMPORT_RE.findall(_strip_comments(text)):
        if name.startswith("/"):
            candidates = [os.path.join(d, name.lstrip("/")) for d in dirs]
        else:
            candidates = [os.path.join(os.path.dirname(path), name)]
        for c in candidates:
            if os.path.isfile(c):
                found.append(os.path.abspath(c))
                break
    return found


def _strip_comments(text: str) -> str:
    out = []
    for line in text.splitlines():
        quoted = False
        for i, ch in enumerate(line):
            if ch == '"' and (i == 0 or line[i - 1] != "\\"):
                quoted = not quoted
            elif ch == "#" and not quoted:
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def _parse(files: list[str], dirs: list[str]) -> tuple[dict[int, Node], list[int]]:
    import capnp  # noqa: PLC0415

    parser = capnp.SchemaParser()
    nodes: dict[int, Node] = {}
    root_ids: list[int] = []
    seen_paths: set[str] = set()
    queue = [(p, True) for p in files]
    while queue:
        path, is_root = queue.pop(0)
        if path in seen_paths:
            continue
        seen_paths.add(path)
        display = os.path.basename(path) if is_root else _display_name(path, dirs)
        parsed = parser._parse_disk_file(display, path, dirs)
        if is_root:
            root_ids.append(parsed.node.id)
        _walk_parsed(parsed, nodes)
        queue.extend((p, False) for p in _imports_of(path, dirs))
    return nodes, root_ids


def _display_name(path: str, dirs: list[str]) -> str:
    for d in dirs:
        rel = os.path.relpath(path, d)
        if not rel.startswith(".."):
            return rel
    return os.path.basename(path)


def _walk_parsed(parsed: Any, nodes: dict[int, Node]) -> None:
    """Convert a parsed node, its nested nodes, groups and method param/result structs."""
    proto = parsed.node
    if proto.id in nodes:
        return
    node = _convert_node(proto)
    nodes[node.id] = node
    if node.which == "struct":
        _walk_struct(parsed.as_struct(), nodes)
    elif node.which == "interface":
        _walk_interface(parsed.as_interface(), nodes)
    for nested in node.nested_nodes:
        _walk_parsed(parsed.get_nested(nested.name), nodes)


def _walk_struct(schema: Any, nodes: dict[int, Node]) -> None:
    for f in schema.fields_list:
        if f.proto.which() == "group":
            group = f.schema
            gid = group.node.id
            if gid not in nodes:
                nodes[gid] = _convert_node(group.node)
                _walk_struct(group, nodes)


def _walk_interface(schema: Any, nodes: dict[int, Node]) -> None:
    for method in schema.methods.values():
        for struct_schema in (method.param_type, method.result_type):
            sid = struct_schema.node.id
            if sid not in nodes:
                nodes[sid] = _convert_node(struct_schema.node)
                _walk_struct(struct_schema, nodes)


# --- conversion from pycapnp's to_dict() form -------------------------------------------


def _convert_node(proto: Any) -> Node:
    d = proto.to_dict()
    which = str(proto.which())
    common = dict(
        id=d["id"],
        display_name=d["displayName"],
        display_name_prefix_length=d.get("displayNamePrefixLength", 0),
        scope_id=d.get("scopeId", 0),
        parameters=tuple(p["name"] for p in d.get("parameters", ())),
        is_generic=d.get("isGeneric", False),
        nested_nodes=tuple(NestedNode(n["name"], n["id"]) for n in d.get("nestedNodes", ())),
        annotations=_annotations(d),
        which=which,
    )
    body = d.get(which)
    if which == "struct":
        return Node(**common, struct=StructNode(
            data_word_count=body.get("dataWordCount", 0),
            pointer_count=body.get("pointerCount", 0),
            preferred_list_encoding=str(body.get("preferredListEncoding", "empty")),
            is_group=body.get("isGroup", False),
            discriminant_count=body.get("discriminantCount", 0),
            discriminant_offset=body.get("discriminantOffset", 0),
            fields=tuple(_field(f) for f in body.get("fields", ())),
        ))
    if which == "enum":
        return Node(**common, enum=EnumNode(tuple(
            Enumerant(e["name"], e.get("codeOrder", 0), _annotations(e))
            for e in body.get("enumerants", ())
        )))
    if which == "interface":
        return Node(**common, interface=InterfaceNode(
            methods=tuple(_method(i, m) for i, m in enumerate(body.get("methods", ()))),
            superclasses=tuple(Superclass(s["id"], _brand(s.get("brand"))) for s in body.get("superclasses", ())),
        ))
    if which == "const":
        return Node(**common, const=ConstNode(_type(body["type"]), _value(body["value"])))
    if which == "annotation":
        targets = {k: bool(body.get("targets" + k[8].upper() + k[9:], False))
                   for k in AnnotationNode.__dataclass_fields__ if k.startswith("targets_")}
        return Node(**common, annotation=AnnotationNode(type=_type(body["type"]), **targets))
    return Node(**common)


def _annotations(d: Mapping) -> tuple[Annotation, ...]:
    return tuple(Annotation(a["id"], _value(a.get("value", {"void": None})), _brand(a.get("brand")))
                 for a in d.get("annotations", ()))


def _field(f: Mapping) -> Field:
    ordinal = f.get("ordinal", {})
    common = dict(
        name=f["name"],
        code_order=f.get("codeOrder", 0),
        annotations=_annotations(f),
        discriminant_value=f.get("discriminantValue", NO_DISCRIMINANT),
        ordinal=ordinal.get("explicit"),
    )
    if "group" in f:
        return Field(**common, which="group", slot=None, group=FieldGroup(f["group"]["typeId"]))
    s = f["slot"]
    slot = Slot(
        offset=s.get("offset", 0),
        type=_type(s["type"]),
        default_value=_value(s.get("defaultValue", {"void": None})),
        had_explicit_default=s.get("hadExplicitDefault", False),
    )
    return Field(**common, which="slot", slot=slot, group=None)


def _method(ordinal: int, m: Mapping) -> Method:
    return Method(
        name=m["name"],
        ordinal=ordinal,
        code_order=m.get("codeOrder", 0),
        implicit_parameters=tuple(p["name"] for p in m.get("implicitParameters", ())),
        param_struct_type=m["paramStructType"],
        param_brand=_brand(m.get("paramBrand")),
        result_struct_type=m["resultStructType"],
        result_brand=_brand(m.get("resultBrand")),
        annotations=_annotations(m),
    )


def _one(d: Mapping) -> tuple[str, Any]:
    (which, body), = d.items()
    return str(which), body


def _type(d: Mapping) -> Type:
    which, body = _one(d)
    if which == "list":
        return Type(which, element_type=_type(body["elementType"]))
    if which in ("enum", "struct", "interface"):
        return Type(which, type_id=body["typeId"], brand=_brand(body.get("brand")))
    if which == "anyPointer":
        kind, inner = _one(body)
        if kind == "unconstrained":
            return Type(which, any_pointer=AnyPointerType(kind, unconstrained=str(_one(inner)[0])))
        if kind == "parameter":
            return Type(which, any_pointer=AnyPointerType(
                kind, scope_id=inner["scopeId"], parameter_index=inner.get("parameterIndex", 0)))
        return Type(which, any_pointer=AnyPointerType(kind, parameter_index=inner.get("parameterIndex", 0)))
    return Type(which)


def _brand(d: Mapping | None) -> Brand | None:
    if not d or not d.get("scopes"):
        return None
    scopes = []
    for s in d["scopes"]:
        if "bind" in s:
            bind = tuple(BrandBinding("type", _type(b["type"])) if "type" in b else BrandBinding("unbound")
                         for b in s["bind"])
            scopes.append(BrandScope(s["scopeId"], "bind", bind))
        else:
            scopes.append(BrandScope(s["scopeId"], "inherit"))
    return Brand(tuple(scopes))


def _value(d: Mapping) -> Value:
    which, body = _one(d)
    if which in ("struct", "list", "anyPointer"):
        return Value(which, _pointer_bytes(body))
    if which == "interface":
        return Value(which, None)
    if which == "text" and body is not None:
        return Value(which, str(body))
    if which == "data" and body is not None:
        return Value(which, bytes(body))
    return Value(which, body)


def _pointer_bytes(reader: Any) -> bytes | None:
    """Copy a pointer value into a fresh message: its one segment, root pointer first."""
    import capnp  # noqa: PLC0415

    if reader is None:
        return None
    builder = capnp._MallocMessageBuilder()
    builder.get_root_as_any().set(reader)
    segments = builder.get_segments_for_output()
    data = b"".join(segments)
    if len(segments) != 1:  # a default value is small; one segment is all we expect
        raise SchemaError("default value spans several segments")
    if data[:8] == bytes(8):
        return None
    return data
