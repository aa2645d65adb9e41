"""Test helpers: mpipc values <-> pycapnp's dict form, and hypothesis strategies from schemas."""

from __future__ import annotations

import functools
import os
from typing import Any

import capnp
from hypothesis import strategies as st

from mpipc import codec, schema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "schemas")

_INT_RANGES = {
    "int8": (-(1 << 7), (1 << 7) - 1), "int16": (-(1 << 15), (1 << 15) - 1),
    "int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 63), (1 << 63) - 1),
    "uint8": (0, (1 << 8) - 1), "uint16": (0, (1 << 16) - 1),
    "uint32": (0, (1 << 32) - 1), "uint64": (0, (1 << 64) - 1),
}


@functools.lru_cache(maxsize=None)
def alltypes() -> schema.SchemaSet:
    return schema.load(os.path.join(SCHEMAS, "alltypes.capnp"))


@functools.lru_cache(maxsize=None)
def alltypes_pycapnp():
    return pycapnp_load(os.path.join(SCHEMAS, "alltypes.capnp"))


def pycapnp_load(path: str):
    """The reference: pycapnp's own parser, separate per file (old and new versions of a
    schema share ids, so they may not share a parser)."""
    parser = capnp.SchemaParser()
    return parser.load(path, imports=[schema.bundled_dir(), schema.INCLUDE_DIR])


def cls_of(s: schema.SchemaSet, name: str) -> type:
    return codec.struct_class(s, s.find(name).id)


def read_pycapnp(struct_module, data: bytes) -> dict:
    with struct_module.from_bytes(data) as r:
        return r.to_dict()


def read_pycapnp_segments(struct_module, segments) -> dict:
    with struct_module.from_segments([bytes(s) for s in segments]) as r:
        return r.to_dict()


# --- mpipc value -> pycapnp's to_dict() form ---------------------------------------------


def to_dict(s: schema.SchemaSet, obj: Any) -> dict:
    """The dict pycapnp's ``to_dict()`` gives for the same struct (null pointers left out,
    enums by name, unions as their active member only)."""
    node = type(obj).schema_node
    out: dict[str, Any] = {}
    for f in node.struct.fields:
        attr = _attr(f.name)
        if f.in_union and obj.which != f.name:
            continue
        v = getattr(obj, attr)
        if f.which == "group":
            if v is not None:
                out[f.name] = to_dict(s, v)
            continue
        t = f.slot.type
        if t.is_pointer and v is None:
            if f.in_union:
                out[f.name] = _null_as(t)
            continue
        out[f.name] = _value_to_dict(s, t, v)
    return out


def _null_as(t: schema.Type) -> Any:
    return {"text": "", "data": b"", "list": []}.get(t.which)


def _value_to_dict(s: schema.SchemaSet, t: schema.Type, v: Any) -> Any:
    w = t.which
    if w == "struct":
        return to_dict(s, v)
    if w == "enum":
        names = [en.name for en in s.nodes[t.type_id].enum.enumerants]
        return names[int(v)] if int(v) < len(names) else int(v)
    if w == "list":
        return [_value_to_dict(s, t.element_type, x) if x is not None else _null_as(t.element_type)
                for x in v]
    if w == "float32":
        return float(v)
    return v


def _attr(name: str) -> str:
    import keyword

    return name + "_" if keyword.iskeyword(name) or name == "which" else name


# --- pycapnp dict -> mpipc value -------------------------------------------------------


def from_dict(s: schema.SchemaSet, node_id: int, d: dict) -> Any:
    cls = codec.struct_class(s, node_id)
    node = s.nodes[node_id]
    kwargs: dict[str, Any] = {}
    for f in node.struct.fields:
        if f.name not in d:
            continue
        v = d[f.name]
        if f.in_union:
            kwargs["which"] = f.name
        if f.which == "group":
            kwargs[_attr(f.name)] = from_dict(s, f.group.type_id, v)
        else:
            kwargs[_attr(f.name)] = _value_from_dict(s, f.slot.type, v)
    return cls(**kwargs)


def _value_from_dict(s: schema.SchemaSet, t: schema.Type, v: Any) -> Any:
    w = t.which
    if w == "struct":
        return from_dict(s, t.type_id, v)
    if w == "enum":
        names = [en.name for en in s.nodes[t.type_id].enum.enumerants]
        return codec.enum_class(s, t.type_id)(names.index(v))
    if w == "list":
        return [_value_from_dict(s, t.element_type, x) for x in v]
    return v


# --- hypothesis strategies in pycapnp's dict form -----------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


def value_strategy(s: schema.SchemaSet, t: schema.Type, depth: int):
    w = t.which
    if w in _INT_RANGES:
        lo, hi = _INT_RANGES[w]
        return st.integers(lo, hi)
    if w == "bool":
        return st.booleans()
    if w == "float32":
        return st.floats(width=32, allow_nan=False)
    if w == "float64":
        return st.floats(allow_nan=False)
    if w == "text":
        return _TEXT
    if w == "data":
        return st.binary(max_size=20)
    if w == "void":
        return st.none()
    if w == "enum":
        return st.sampled_from([e.name for e in s.nodes[t.type_id].enum.enumerants])
    if w == "struct":
        return struct_strategy(s, t.type_id, depth - 1)
    if w == "list":
        if depth <= 0:
            return st.just([])
        return st.lists(value_strategy(s, t.element_type, depth - 1), max_size=5)
    raise ValueError(f"no strategy for {w}")


def _skipped(t: schema.Type) -> bool:
    while t.which == "list":
        t = t.element_type
    return t.which in ("anyPointer", "interface")


def struct_strategy(s: schema.SchemaSet, node_id: int, depth: int = 3):
    """Dicts for ``new_message(**d)``: every plain field maybe set, one union member."""
    node = s.nodes[node_id]
    plain, members = {}, {}
    for f in node.struct.fields:
        if f.which == "group":
            strat = struct_strategy(s, f.group.type_id, depth)
        elif _skipped(f.slot.type) or (f.slot.type.which == "struct" and depth <= 0):
            continue
        else:
            strat = value_strategy(s, f.slot.type, depth)
        (members if f.in_union else plain)[f.name] = strat
    base = st.fixed_dictionaries({}, optional=plain)
    if not members:
        return base
    choice = st.one_of([st.fixed_dictionaries({name: strat}) for name, strat in members.items()])
    return st.tuples(base, choice).map(lambda p: {**p[0], **p[1]})
