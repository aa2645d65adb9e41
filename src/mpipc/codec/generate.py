"""Generate, once per struct type, a Python class with a specialised decoder and encoder.

Each struct (and group) node becomes Python source, compiled once with ``exec``: the data
section is read and written with one precomputed ``struct.Struct`` at fixed offsets, the
pointer section with another, so nothing interprets the schema at run time.  All code
generated for one ``SchemaSet`` shares one namespace, where names are bound to the node
ids (``C_<id>`` class, ``D_<id>`` decoder, ``E_<id>`` encoder), so mutually recursive
types need no forward declarations.
"""

from __future__ import annotations

import copy
import enum
import keyword
import struct
import threading
import weakref
from typing import Any

from .. import schema as _schema
from ..errors import DecodeError, EncodeError, SchemaError
from . import layout
from .anypointer import read_any, write_any
from .layout import NESTING_LIMIT, PTR, Reader, Struct, add_context

# Primitive types: struct format character, size in bytes.
_PRIMITIVES = {
    "int8": ("b", 1), "int16": ("h", 2), "int32": ("i", 4), "int64": ("q", 8),
    "uint8": ("B", 1), "uint16": ("H", 2), "uint32": ("I", 4), "uint64": ("Q", 8),
    "float32": ("f", 4), "float64": ("d", 8), "enum": ("H", 2),
}
_FLOAT_BITS = {"f": "I", "d": "Q"}  # floats with a default are XORed through their bits
_RANGES = {
    "b": (-(1 << 7), 1 << 7), "h": (-(1 << 15), 1 << 15), "i": (-(1 << 31), 1 << 31),
    "q": (-(1 << 63), 1 << 63), "B": (0, 1 << 8), "H": (0, 1 << 16), "I": (0, 1 << 32),
    "Q": (0, 1 << 64),
}

_UNSET = object()


def _attr(name: str) -> str:
    """The Python attribute for a capnp name: keywords (and ``which``) get a trailing ``_``.
    Capnp names cannot contain underscores, so this never collides with another name."""
    return name + "_" if keyword.iskeyword(name) or name == "which" else name


def _f2u(ch: str):
    pack = struct.Struct("<" + ch).pack
    unpack = struct.Struct("<" + _FLOAT_BITS[ch]).unpack
    return lambda x: unpack(pack(x))[0]


def _u2f(ch: str):
    pack = struct.Struct("<" + _FLOAT_BITS[ch]).pack
    unpack = struct.Struct("<" + ch).unpack
    return lambda x: unpack(pack(x))[0]


def _which_int(w: Any, cls: type) -> int:
    if w.__class__ is int and 0 <= w < 0x10000:
        return w  # an unknown member read from a newer peer: keep its discriminant
    names = ", ".join(repr(n) for n in cls._mpipc_disc)
    raise EncodeError(f"which={w!r} is not a member of the union (one of {names})")


def _wrong_class(v: Any, cls: type) -> EncodeError:
    return EncodeError(f"expected {cls.__qualname__}, got {type(v).__name__}")


def _encode_failure(obj: Any, cls: type, exc: Exception) -> EncodeError:
    """Name the field whose value made ``struct.pack`` (or an operator) fail."""
    for attr, ch, active in cls._mpipc_checks:
        if active is not None and obj.which != active:
            continue
        v = getattr(obj, attr, None)
        what = _describe_bad(v, ch)
        if what:
            return add_context(EncodeError(what), attr)
    return EncodeError(f"cannot encode {cls.__qualname__}: {exc}")


def _describe_bad(v: Any, ch: str) -> str | None:
    if ch == "?":
        return None
    if ch in "fd":
        if not isinstance(v, (int, float)):
            return f"expected a float, got {type(v).__name__}"
        try:
            struct.pack("<" + ch, v)
        except (OverflowError, struct.error):
            return f"{v!r} does not fit a {'Float32' if ch == 'f' else 'Float64'}"
        return None
    if not isinstance(v, int):
        return f"expected an int, got {type(v).__name__}"
    lo, hi = _RANGES[ch]
    if not lo <= v < hi:
        return f"{v} is out of range [{lo}, {hi - 1}]"
    return None


def _struct_repr(self: Any) -> str:
    cls = self.__class__
    parts = [f"{a}={getattr(self, a)!r}" for a in cls._mpipc_plain]
    if cls._mpipc_disc:
        w = self.which
        parts.append(f"which={w!r}")
        attr = cls._mpipc_union_attrs.get(w)
        if attr is not None and getattr(self, attr) is not None:
            parts.append(f"{attr}={getattr(self, attr)!r}")
    return f"{cls.__qualname__}({', '.join(parts)})"


def _base_namespace() -> dict:
    ns: dict[str, Any] = {
        "_new": object.__new__,
        "_Struct": Struct,
        "_UNSET": _UNSET,
        "_dcopy": copy.deepcopy,
        "_DecodeError": DecodeError,
        "_EncodeError": EncodeError,
        "_ctx": add_context,
        "_pad": layout.pad_to,
        "_rs": layout.read_struct,
        "_rt": layout.read_text,
        "_rd": layout.read_data,
        "_rc": layout.read_cap,
        "_ra": read_any,
        "_rsl": layout.read_struct_list,
        "_wsl": layout.write_struct_list,
        "_wt": layout.write_text,
        "_wd": layout.write_data,
        "_wc": layout.write_cap,
        "_wa": write_any,
        "_pp": PTR.pack_into,
        "_which_int": _which_int,
        "_wrong_class": _wrong_class,
        "_encode_failure": _encode_failure,
        "_struct_repr": _struct_repr,
        "_struct_error": struct.error,
    }
    for ch in "bBhHiIqQfd":
        s = struct.Struct("<" + ch)
        ns[f"_u_{ch}"] = s.unpack_from
        ns[f"_p_{ch}"] = s.pack_into
    for ch in "fd":
        ns[f"_f2u_{ch}"] = _f2u(ch)
        ns[f"_u2f_{ch}"] = _u2f(ch)
    return ns


class _Field:
    """What the generator needs to know about one slot field."""

    def __init__(self, f: _schema.Field, gen: _Generator):
        slot = f.slot
        t = slot.type
        self.name = f.name
        self.attr = _attr(f.name)
        self.kind = t.which
        self.type = t
        self.union = f.discriminant_value if f.in_union else None
        self.ch = None
        self.xor = 0
        self.default: Any = None
        self.default_expr = "None"
        self.is_pointer = t.is_pointer
        if t.which == "void":
            return
        if t.which == "bool":
            self.byte, bit = divmod(slot.offset, 8)
            self.mask = 1 << bit
            self.default = bool(slot.default_value.value)
            self.default_expr = repr(self.default)
            self.end = self.byte + 1
            return
        if t.which in _PRIMITIVES:
            ch, size = _PRIMITIVES[t.which]
            self.byte = slot.offset * size
            self.end = self.byte + size
            d = slot.default_value.value or 0
            if ch in "fd":
                d = float(d)
                bits = _f2u(ch)(d)
                self.xor = bits
                self.read_ch = _FLOAT_BITS[ch] if bits else ch
            else:
                self.xor = int(d)
                self.read_ch = ch
            self.ch = ch
            self.default = d
            name = gen.constant(d if t.which != "enum" else gen.enum_member(t.type_id, int(d)))
            self.default_expr = name
            return
        # A pointer field: its index in the pointer section.
        self.index = slot.offset
        self.explicit = slot.had_explicit_default and slot.default_value.value is not None
        self.default_value = slot.default_value


class _Generator:
    """The generated classes of one SchemaSet, and the namespace their code runs in."""

    def __init__(self, schema_set: _schema.SchemaSet):
        self.s = schema_set
        self.ns = _base_namespace()
        self.classes: dict[int, type] = {}  # published: complete, safe to use from any thread
        self._made: dict[int, type] = {}  # generated, maybe still being completed
        self.enums: dict[int, type] = {}
        self.lock = threading.RLock()
        self._consts = 0
        self._list_codecs: set[str] = set()
        self._pending_lists: list[tuple[str, _schema.Type]] = []
        self._pending_defaults: list[tuple[str, _Field]] = []

    # --- public ---------------------------------------------------------------------

    def struct_class(self, node_id: int) -> type:
        cls = self.classes.get(node_id)
        if cls is not None:
            return cls
        with self.lock:
            cls = self._class(node_id)
            self._publish()
            return cls

    def _class(self, node_id: int) -> type:
        cls = self._made.get(node_id)
        if cls is None:
            self._node(node_id, "struct")
            self._generate(node_id)
            cls = self._made[node_id]
        return cls

    def _publish(self) -> None:
        """Make a finished batch visible to other threads, with its group classes."""
        for nid, cls in self._made.items():
            if nid not in self.classes:
                for f in cls.schema_node.struct.fields:
                    if f.which == "group":
                        cls.group_classes[f.name] = self._made[f.group.type_id]
        self.classes.update(self._made)

    def enum_class(self, node_id: int) -> type:
        with self.lock:
            return self._enum(node_id)

    # --- helpers for _Field ----------------------------------------------------------

    def constant(self, value: Any) -> str:
        if value is None or value is True or value is False:
            return repr(value)
        if isinstance(value, int) and not isinstance(value, enum.Enum):
            return repr(value)
        self._consts += 1
        name = f"K_{self._consts}"
        self.ns[name] = value
        return name

    def enum_member(self, node_id: int, value: int) -> Any:
        values = self.ns[self._enum_values_name(node_id)]
        return values[value] if value < len(values) else value

    # --- nodes -----------------------------------------------------------------------

    def _node(self, node_id: int, kind: str) -> _schema.Node:
        node = self.s.nodes.get(node_id)
        if node is None:
            raise SchemaError(f"no schema node with id {node_id:#x}")
        if node.which != kind:
            raise SchemaError(f"{node.display_name} is a {node.which}, not a {kind}")
        return node

    def _enum(self, node_id: int) -> type:
        cls = self.enums.get(node_id)
        if cls is not None:
            return cls
        node = self._node(node_id, "enum")
        members = [(_enum_attr(e.name), i) for i, e in enumerate(node.enum.enumerants)]
        cls = enum.IntEnum(node.name, members)
        cls.__qualname__ = node.scoped_name
        cls.__module__ = "mpipc.generated"
        cls.schema_node = node
        self.enums[node_id] = cls
        self.ns[f"N_{node_id:x}"] = cls
        self.ns[f"NV_{node_id:x}"] = tuple(cls)
        return cls

    def _enum_values_name(self, node_id: int) -> str:
        self._enum(node_id)
        return f"NV_{node_id:x}"

    def _closure(self, node_id: int) -> list[int]:
        """Struct and group nodes reachable from ``node_id`` that have no class yet."""
        todo, seen, stack = [], set(), [node_id]
        while stack:
            nid = stack.pop()
            if nid in seen or nid in self._made:
                continue
            seen.add(nid)
            node = self._node(nid, "struct")
            todo.append(nid)
            for f in node.struct.fields:
                if f.which == "group":
                    stack.append(f.group.type_id)
                    continue
                t = f.slot.type
                while t.which == "list":
                    t = t.element_type
                if t.which == "struct":
                    stack.append(t.type_id)
                elif t.which == "enum":
                    self._enum(t.type_id)
        return todo

    def _generate(self, node_id: int) -> None:
        todo = self._closure(node_id)
        plans = {nid: self._plan(nid) for nid in todo}
        for nid in todo:
            node = self.s.nodes[nid]
            source = self._source(nid, plans[nid])
            code = compile(source, f"<mpipc codec for {node.display_name}>", "exec")
            exec(code, self.ns)  # noqa: S102 - our own generated source
        for nid in todo:
            self._finish_class(nid, plans[nid])
        while self._pending_lists:
            key, t = self._pending_lists.pop()
            reader, writer = self._list_codec(t)
            self.ns[f"R_{key}"] = reader
            self.ns[f"W_{key}"] = writer
        while self._pending_defaults:
            name, f = self._pending_defaults.pop()
            self.ns[name] = self._decode_default(f)

    # --- planning --------------------------------------------------------------------

    def _plan(self, node_id: int) -> dict:
        node = self.s.nodes[node_id]
        st = node.struct
        fields = [_Field(f, self) if f.which == "slot" else f for f in st.fields]
        slots = [f for f in fields if isinstance(f, _Field)]
        groups = [f for f in fields if not isinstance(f, _Field)]
        data = [f for f in slots if f.kind != "void" and not f.is_pointer]
        pointers = [f for f in slots if f.is_pointer]
        need = max([f.end for f in data] + ([st.discriminant_offset * 2 + 2] if st.discriminant_count else [0]))
        npointers = max([f.index + 1 for f in pointers], default=0)
        # Non-union data fields (bools grouped per byte) and the discriminant, by offset:
        # what one unpack reads.
        entries: list[tuple[int, str, str]] = []  # (byte offset, format char, local name)
        bool_bytes: dict[int, list[_Field]] = {}
        for f in data:
            if f.union is not None:
                continue
            if f.kind == "bool":
                bool_bytes.setdefault(f.byte, []).append(f)
            else:
                entries.append((f.byte, f.read_ch, f"v_{f.attr}"))
        for byte in bool_bytes:
            entries.append((byte, "B", f"b{byte}"))
        if st.discriminant_count:
            entries.append((st.discriminant_offset * 2, "H", "dsc"))
        entries.sort()
        return dict(node=node, st=st, fields=fields, groups=groups, data=data, pointers=pointers,
                    need=need, np=npointers, entries=entries, bool_bytes=bool_bytes,
                    union=st.discriminant_count > 0,
                    members=[f for f in fields if _union_of(f) is not None],
                    plain=[f for f in fields if _union_of(f) is None])

    # --- source ----------------------------------------------------------------------

    def _source(self, node_id: int, plan: dict) -> str:
        x = f"{node_id:x}"
        lines = self._decoder_source(x, plan) + self._encoder_source(x, plan) + self._class_source(x, plan)
        return "\n".join(lines) + "\n"

    def _decoder_source(self, x: str, plan: dict) -> list[str]:
        st, entries, union, members, plain = (plan[k] for k in ("st", "entries", "union", "members", "plain"))
        lines: list[str] = []
        fmt, cur = "<", 0
        for off, ch, _ in entries:
            if off > cur:
                fmt += f"{off - cur}x"
            fmt += ch
            cur = off + struct.calcsize("<" + ch)
        self.ns[f"SD_{x}"] = struct.Struct(fmt)
        self.ns[f"SP_{x}"] = struct.Struct("<" + "iI" * plan["np"])
        need, np_ = plan["need"], plan["np"]

        lines.append(f"def D_{x}(rd, seg, dp, db, pp, pc, depth):")
        lines.append("    _f = ''")
        lines.append("    try:")
        body = []
        union_data = any(f.union is not None for f in plan["data"])
        dnames = ", ".join(n for _, _, n in entries)
        pnames = ", ".join(f"l{i}, h{i}" for i in range(np_))
        general = []  # any other layout: an older or newer peer's, or an upgraded list element
        if entries or union_data:
            general.append(f"if db >= {need}:")
            general.append("    sd = seg; do = dp")
            general.append("else:")
            general.append(f"    sd = _pad(seg, dp, db, {need}); do = 0")
        if entries:
            general.append(f"{dnames}, = SD_{x}.unpack_from(sd, do)")
        if np_:
            general.append(f"if pc >= {np_}:")
            general.append(f"    {pnames}, = SP_{x}.unpack_from(seg, pp)")
            general.append("else:")
            general.append(f"    {pnames}, = SP_{x}.unpack_from(_pad(seg, pp, pc << 3, {np_ * 8}), 0)")
        if entries or np_:
            # The layout this schema writes: both sections in one unpack.
            dbytes = st.data_word_count * 8
            all_fmt = fmt + (f"{dbytes - cur}x" if np_ and dbytes > cur else "") + "iI" * np_
            if not np_ or not entries:
                all_fmt = fmt if not np_ else "<" + (f"{dbytes}x" if dbytes else "") + "iI" * np_
            self.ns[f"SA_{x}"] = struct.Struct(all_fmt)
            names = ", ".join(n for n in (dnames, pnames) if n)
            body.append(f"if db == {dbytes} and pc >= {np_}:")
            body.append(f"    {names}, = SA_{x}.unpack_from(seg, dp)")
            if union_data:
                body.append("    sd = seg; do = dp")
            body.append("else:")
            body.extend("    " + ln for ln in general)
        else:
            body.extend(general)
        body.append(f"o = _new(C_{x})")
        for f in plain:
            body.extend(self._decode_field(f, x, union_member=False))
        if union:
            # Only the active member is stored; the others read as None (__getattr__).
            first = True
            for f in members:
                d = _union_of(f)
                body.append(f"{'if' if first else 'elif'} dsc == {d}:")
                first = False
                body.append(f"    o.which = {f.name!r}")
                body.extend("    " + ln for ln in self._decode_field(f, x, union_member=True))
            if members:
                body.append("else:")
                body.append("    o.which = dsc")
            else:
                body.append("o.which = dsc")
        body.append("return o")
        lines.extend("        " + ln for ln in body)
        lines.append("    except _DecodeError as e:")
        lines.append("        raise _ctx(e, _f) if _f else e")
        return lines

    def _encoder_source(self, x: str, plan: dict) -> list[str]:
        entries, bool_bytes, union, members = (plan[k] for k in ("entries", "bool_bytes", "union", "members"))
        lines: list[str] = []
        lines.append(f"def E_{x}(o, buf, dp, pp, ct):")
        lines.append("    _f = ''")
        lines.append("    try:")
        body = []
        if union:
            body.append("w = o.which")
            body.append(f"dsc = DISC_{x}.get(w)")
            body.append("if dsc is None:")
            body.append(f"    dsc = _which_int(w, C_{x})")
        if not plan["st"].is_group and entries:
            # A struct's own data first, in one pack: the gaps it zeroes belong to its groups
            # and union members, which are written after it (and OR their bools in).
            exprs = []
            for off, ch, name in entries:
                if name == "dsc":
                    exprs.append("dsc")
                elif name.startswith("b"):
                    exprs.append(" | ".join(_bool_expr(f) for f in bool_bytes[off]))
                else:
                    exprs.append(_encode_expr(next(f for f in plan["data"] if f"v_{f.attr}" == name)))
            body.append(f"SD_{x}.pack_into(buf, dp, {', '.join(exprs)})")
            entries = ()
        # A group shares its parent's bytes: bools are ORed into their byte (the parent and
        # other groups may own bits of it), other fields packed in runs that skip the gaps.
        for off, fs in sorted(bool_bytes.items()) if entries else ():
            body.append(f"buf[dp + {off}] |= {' | '.join(_bool_expr(f) for f in fs)}")
        packed = [e for e in entries if not e[2].startswith("b")]
        if packed:
            exprs = []
            for off, ch, name in packed:
                if name == "dsc":
                    exprs.append("dsc")
                else:
                    f = next(f for f in plan["data"] if f"v_{f.attr}" == name)
                    exprs.append(_encode_expr(f))
            # One pack_into per run of adjacent fields: a gap may hold a group's or union
            # member's field, which pad bytes would overwrite.
            run_start, run_fmt, run_exprs, cur = None, "<", [], None
            runs = []
            for (off, ch, _), expr in zip(packed, exprs):
                if cur is not None and off != cur:
                    runs.append((run_start, run_fmt, run_exprs))
                    run_start, run_fmt, run_exprs = None, "<", []
                if run_start is None:
                    run_start = off
                run_fmt += ch
                run_exprs.append(expr)
                cur = off + struct.calcsize("<" + ch)
            runs.append((run_start, run_fmt, run_exprs))
            for k, (off, fmt_, exprs_) in enumerate(runs):
                self.ns[f"SE_{x}_{k}"] = struct.Struct(fmt_)
                at = "dp" if off == 0 else f"dp + {off}"
                body.append(f"SE_{x}_{k}.pack_into(buf, {at}, {', '.join(exprs_)})")
        # The active union member is written by one if/elif chain, placed where the
        # union's first pointer slot comes among the other pointer fields.
        chain = []
        for f in members:
            code = self._encode_member(f)
            if code:
                chain.append(f"{'elif' if chain else 'if'} dsc == {_union_of(f)}:")
                chain.extend("    " + ln for ln in code)
        union_slot = min((f.index for f in plan["pointers"] if f.union is not None), default=-1)
        if union_slot < 0:
            body.extend(chain)
        for f in sorted((f for f in plan["pointers"] if f.union is None), key=lambda f: f.index):
            if 0 <= union_slot < f.index:
                body.extend(chain)
                union_slot = -2
            body.extend(self._encode_pointer(f))
        if union_slot >= 0:
            body.extend(chain)
        for g in plan["groups"]:
            if not g.in_union:
                body.extend(self._encode_member(g))
        body.append("return")
        lines.extend("        " + ln for ln in body)
        lines.append("    except _EncodeError as e:")
        lines.append("        raise _ctx(e, _f) if _f else e")
        lines.append("    except (_struct_error, TypeError, ValueError, AttributeError, OverflowError) as e:")
        lines.append(f"        raise _encode_failure(o, C_{x}, e) from None")
        return lines

    def _class_source(self, x: str, plan: dict) -> list[str]:
        union, members, plain = plan["union"], plan["members"], plan["plain"]
        lines: list[str] = []
        attrs = [_attr(f.name) for f in plan["fields"]]
        slots = attrs + (["which"] if union else [])
        lines.append(f"class C_{x}(_Struct):")
        lines.append(f"    __slots__ = {tuple(slots)!r}")
        params = []
        init = []
        for f in plain:
            a = _attr(f.name)
            if isinstance(f, _Field):
                if f.is_pointer and f.explicit:
                    params.append(f"{a}=_UNSET")
                    init.append(f"_s.{a} = {self._default_expr(f, x)} if {a} is _UNSET else {a}")
                else:
                    params.append(f"{a}={f.default_expr}")
                    init.append(f"_s.{a} = {a}")
            else:
                params.append(f"{a}=None")
                init.append(f"_s.{a} = C_{f.group.type_id:x}() if {a} is None else {a}")
        if union:
            params.append("which=None")
            for f in members:
                params.append(f"{_attr(f.name)}=None")
            zero = next((f for f in members if _union_of(f) == 0), None)
            if members:
                chain = " else ".join(f"{f.name!r} if {_attr(f.name)} is not None" for f in members)
                init.append("if which is None:")
                init.append(f"    which = {chain} else {(zero.name if zero else 0)!r}")
            init.append("_s.which = which")
            for f in members:
                a = _attr(f.name)
                init.append(f"if {a} is not None: _s.{a} = {a}")
            for f in members:
                a = _attr(f.name)
                if isinstance(f, _Field):
                    if f.kind == "void":
                        continue
                    if f.is_pointer:
                        if not f.explicit:
                            continue
                        dflt = self._default_expr(f, x)
                    else:
                        dflt = f.default_expr
                else:
                    dflt = f"C_{f.group.type_id:x}()"
                init.append(f"if which == {f.name!r} and {a} is None: _s.{a} = {dflt}")
        sig = ", ".join(["_s", "*"] + params) if params else "_s"
        lines.append(f"    def __init__({sig}):")
        lines.extend("        " + ln for ln in (init or ["pass"]))
        lines.append("    def __eq__(_s, _o):")
        lines.append("        if _o.__class__ is not _s.__class__: return NotImplemented")
        cmp = " and ".join(f"_s.{a} == _o.{a}" for a in slots) or "True"
        lines.append(f"        return {cmp}")
        lines.append("    __hash__ = None")
        lines.append("    __repr__ = _struct_repr")
        if union:
            lines.append("    def __getattr__(_s, _n):")
            lines.append(f"        if _n in UA_{x}: return None")
            lines.append("        raise AttributeError(f'{type(_s).__qualname__!r} object has no attribute {_n!r}')")
            self.ns[f"UA_{x}"] = frozenset(_attr(f.name) for f in members)
        if union:
            self.ns[f"DISC_{x}"] = {f.name: _union_of(f) for f in members}
        return lines

    def _decode_field(self, f: Any, x: str, union_member: bool) -> list[str]:
        if not isinstance(f, _Field):  # a group: same sections as its parent
            return [f"o.{_attr(f.name)} = D_{f.group.type_id:x}(rd, seg, dp, db, pp, pc, depth)"]
        a = f.attr
        if f.kind == "void":
            return [f"o.{a} = None"]
        if not f.is_pointer:
            if union_member:
                if f.kind == "bool":
                    raw = f"(sd[do + {f.byte}] & {f.mask})"
                else:
                    raw = f"_u_{f.read_ch}(sd, do + {f.byte})[0]"
            else:
                raw = f"(b{f.byte} & {f.mask})" if f.kind == "bool" else f"v_{a}"
            if f.kind == "bool":
                return [f"o.{a} = {raw} {'==' if f.default else '!='} 0"]
            if f.ch in "fd" and f.xor:
                return [f"o.{a} = _u2f_{f.ch}({raw} ^ {f.xor})"]
            val = f"({raw} ^ {f.xor})" if f.xor else raw
            if f.kind == "enum":
                nv = self._enum_values_name(f.type.type_id)
                n = len(self.ns[nv])
                return [f"_v = {val}", f"o.{a} = {nv}[_v] if _v < {n} else _v"]
            return [f"o.{a} = {val}"]
        i = f.index
        pos = "pp" if i == 0 else f"pp + {8 * i}"
        reader = self._reader_call(f.type, pos, f"l{i}", f"h{i}")
        dflt = self._default_expr(f, x) if f.explicit else "None"
        if f.type.which != "struct":
            return [f"_f = {a!r}", f"o.{a} = {reader} if l{i} or h{i} else {dflt}"]
        # A struct: follow a near pointer inline; far pointers and anything out of bounds,
        # too deep or over budget go through read_struct, which also raises the errors.
        lo, hi, dec = f"l{i}", f"h{i}", f"D_{f.type.type_id:x}"
        return [
            f"_f = {a!r}",
            f"if not {lo} & 3 and {hi} and depth > 0:",
            f"    t = pp + {8 * i + 8} + ({lo} >> 2 << 3)",
            f"    n = {hi} & 65535",
            f"    m = {hi} >> 16",
            "    b = rd.budget - n - m",
            "    if t >= 0 and b >= 0 and t + (n + m << 3) <= len(seg):",
            "        rd.budget = b",
            "        n <<= 3",
            f"        o.{a} = {dec}(rd, seg, t, n, t + n, m, depth - 1)",
            "    else:",
            f"        o.{a} = {reader}",
            f"elif {lo} or {hi}:",
            f"    o.{a} = {reader}",
            "else:",
            f"    o.{a} = {dflt}",
        ]

    def _reader_call(self, t: _schema.Type, pos: str, lo: str, hi: str) -> str:
        w = t.which
        if w == "text":
            return f"_rt(rd, seg, {pos}, {lo}, {hi})"
        if w == "data":
            return f"_rd(rd, seg, {pos}, {lo}, {hi})"
        if w == "struct":
            return f"_rs(rd, seg, {pos}, {lo}, {hi}, depth, D_{t.type_id:x})"
        if w == "interface":
            return f"_rc(rd, seg, {pos}, {lo}, {hi})"
        if w == "anyPointer":
            return f"_ra(rd, seg, {pos}, {lo}, {hi}, depth)"
        if w == "list":
            if t.element_type.which == "struct":
                return f"_rsl(rd, seg, {pos}, {lo}, {hi}, depth, D_{t.element_type.type_id:x})"
            return f"R_{self._list_key(t)}(rd, seg, {pos}, {lo}, {hi}, depth)"
        raise SchemaError(f"unsupported pointer type {w}")

    def _encode_member(self, f: Any) -> list[str]:
        """Encoder lines for one union member or group, or [] when nothing is written."""
        if not isinstance(f, _Field):
            gx = f"{f.group.type_id:x}"
            a = _attr(f.name)
            return [f"_f = {a!r}", f"v = o.{a}", "if v is not None:",
                    f"    if v.__class__ is not C_{gx}: raise _wrong_class(v, C_{gx})",
                    f"    E_{gx}(v, buf, dp, pp, ct)"]
        if f.kind == "void":
            return []
        if f.is_pointer:
            return self._encode_pointer(f)
        if f.kind == "bool":
            cond = f"o.{f.attr}" if not f.default else f"not o.{f.attr}"
            return [f"_f = {f.attr!r}", f"if {cond}: buf[dp + {f.byte}] |= {f.mask}"]
        return [f"_f = {f.attr!r}", f"_p_{f.read_ch}(buf, dp + {f.byte}, {_encode_expr(f)})"]

    def _encode_pointer(self, f: _Field) -> list[str]:
        a = f.attr
        i = f.index
        pos = "pp" if i == 0 else f"pp + {8 * i}"
        t = f.type
        out = [f"_f = {a!r}", f"v = o.{a}", "if v is not None:"]
        w = t.which
        if w == "struct":
            sx = f"{t.type_id:x}"
            out.append(f"    if v.__class__ is not C_{sx}: raise _wrong_class(v, C_{sx})")
            target = self.s.nodes[t.type_id].struct
            dw, pc = target.data_word_count, target.pointer_count
            if dw + pc:
                self.ns.setdefault(f"Z_{dw + pc}", bytes((dw + pc) * 8))
                out.append("    t = len(buf)")
                out.append(f"    buf += Z_{dw + pc}")
                out.append(f"    _pp(buf, {pos}, (t - {pos} - 8) >> 1, {dw | (pc << 16)})".replace(
                    f"t - {pos} - 8", f"t - pp - {8 * i + 8}"))
                out.append(f"    E_{sx}(v, buf, t, t + {dw * 8}, ct)")
            else:  # an empty struct: offset -1, so that the pointer is not null (as C++ writes it)
                out.append(f"    _pp(buf, {pos}, -4, 0)")
            return out
        if w == "list" and t.element_type.which == "struct":
            out.append(f"    _wsl(buf, {pos}, v, ct, C_{t.element_type.type_id:x})")
            return out
        fn = {"text": "_wt", "data": "_wd", "interface": "_wc", "anyPointer": "_wa"}.get(w)
        if fn is None:
            fn = f"W_{self._list_key(t)}"
        out.append(f"    {fn}(buf, {pos}, v, ct)")
        return out

    def _default_expr(self, f: _Field, x: str) -> str:
        name = f"DF_{x}_{f.attr}"
        if name not in self.ns:
            self.ns[name] = None
            self._pending_defaults.append((name, f))
        if f.kind in ("text", "data"):
            return name
        return f"_dcopy({name})"

    def _decode_default(self, f: _Field) -> Any:
        v = f.default_value.value
        if f.kind in ("text", "data") or v is None:
            return v
        seg = memoryview(bytes(v))
        rd = Reader([seg])
        lo, hi = PTR.unpack_from(seg, 0)
        t = f.type
        try:
            if t.which == "struct":
                self._class(t.type_id)
                return layout.read_struct(rd, seg, 0, lo, hi, NESTING_LIMIT, self.ns[f"D_{t.type_id:x}"])
            if t.which == "list":
                return self._list_codec(t)[0](rd, seg, 0, lo, hi, NESTING_LIMIT)
            if t.which == "anyPointer":
                return read_any(rd, seg, 0, lo, hi, NESTING_LIMIT)
        except DecodeError as e:
            raise SchemaError(f"default value of {f.name} cannot be decoded: {e}") from None
        return None

    # --- lists -----------------------------------------------------------------------

    def _list_key(self, t: _schema.Type) -> str:
        key = _type_key(t)
        if key not in self._list_codecs:
            self._list_codecs.add(key)
            self._pending_lists.append((key, t))
            e = t.element_type
            while e.which == "list":
                self._list_key(e)
                e = e.element_type
        return key

    def _list_codec(self, t: _schema.Type):
        e = t.element_type
        w = e.which
        if w == "void":
            return layout.read_void_list, layout.write_void_list
        if w == "bool":
            return layout.read_bool_list, layout.write_bool_list
        if w == "enum":
            values = self.ns[self._enum_values_name(e.type_id)]

            def read_enums(rd, seg, pos, lo, hi, depth):
                return layout.read_enum_list(rd, seg, pos, lo, hi, depth, values)

            return read_enums, _prim_writer("H")
        if w in _PRIMITIVES:
            ch = _PRIMITIVES[w][0]

            def read_prims(rd, seg, pos, lo, hi, depth):
                return layout.read_prim_list(rd, seg, pos, lo, hi, depth, ch)

            return read_prims, _prim_writer(ch)
        if w == "struct":
            cls = self._class(e.type_id)
            dec = self.ns[f"D_{e.type_id:x}"]

            def read_structs(rd, seg, pos, lo, hi, depth):
                return layout.read_struct_list(rd, seg, pos, lo, hi, depth, dec)

            def write_structs(buf, pos, v, ct):
                layout.write_struct_list(buf, pos, v, ct, cls)

            return read_structs, write_structs
        if w == "list":
            elem_reader, elem_writer = self._list_codec(e)
        else:
            elem_reader, elem_writer = {
                "text": (layout.read_text, layout.write_text),
                "data": (layout.read_data, layout.write_data),
                "interface": (layout.read_cap, layout.write_cap),
                "anyPointer": (read_any, write_any),
            }[w]

        def read_pointers(rd, seg, pos, lo, hi, depth):
            return layout.read_pointer_list(rd, seg, pos, lo, hi, depth, elem_reader)

        def write_pointers(buf, pos, v, ct):
            layout.write_pointer_list(buf, pos, v, ct, elem_writer)

        return read_pointers, write_pointers

    # --- class metadata --------------------------------------------------------------

    def _may_hold_caps(self, node_id: int, seen: set) -> bool:
        """Whether a value of this struct can carry a capability (interface or AnyPointer)."""
        if node_id in seen:
            return False
        seen.add(node_id)
        node = self.s.nodes.get(node_id)
        if node is None or node.struct is None:
            return True  # unknown: assume it can
        for f in node.struct.fields:
            if f.which == "group":
                if self._may_hold_caps(f.group.type_id, seen):
                    return True
                continue
            t = f.slot.type
            while t.which == "list":
                t = t.element_type
            if t.which in ("interface", "anyPointer"):
                return True
            if t.which == "struct" and self._may_hold_caps(t.type_id, seen):
                return True
        return False

    def _finish_class(self, node_id: int, plan: dict) -> None:
        x = f"{node_id:x}"
        cls = self.ns[f"C_{x}"]
        node, st = plan["node"], plan["st"]
        cls.__name__ = node.name
        cls.__qualname__ = node.scoped_name
        cls.__module__ = "mpipc.generated"
        for method in ("__init__", "__eq__", "__getattr__"):
            if method in cls.__dict__:
                cls.__dict__[method].__qualname__ = f"{node.scoped_name}.{method}"
        cls.schema_node = node
        cls.group_classes = {}
        cls.may_hold_caps = self._may_hold_caps(node_id, set())
        cls._mpipc_id = node_id
        cls._mpipc_group = st.is_group
        cls._mpipc_dec = self.ns[f"D_{x}"]
        cls._mpipc_enc = self.ns[f"E_{x}"]
        cls._mpipc_dw = st.data_word_count
        cls._mpipc_pc = st.pointer_count
        cls._mpipc_db = st.data_word_count * 8
        cls._mpipc_size = st.data_word_count + st.pointer_count
        cls._mpipc_zeros = bytes(cls._mpipc_size * 8)
        cls._mpipc_hi = st.data_word_count | (st.pointer_count << 16)
        # encode(): segment table word, root pointer, zeroed root struct; and the encoder.
        root = bytearray(16 + cls._mpipc_size * 8)
        PTR.pack_into(root, 8, 0 if cls._mpipc_size else -4, cls._mpipc_hi)
        cls._mpipc_root = (bytes(root), cls._mpipc_enc, 16 + cls._mpipc_db, st.is_group)
        # write_struct(): what a pointer to one of these needs.
        cls._mpipc_pointer = (cls._mpipc_zeros, cls._mpipc_hi, cls._mpipc_enc, cls._mpipc_db)
        cls._mpipc_disc = self.ns.get(f"DISC_{x}", {}) if st.discriminant_count else {}
        cls._mpipc_plain = tuple(_attr(f.name) for f in plan["plain"])
        cls._mpipc_union_attrs = {f.name: _attr(f.name) for f in plan["members"]}
        checks = []
        for f in plan["data"]:
            active = f.name if f.union is not None else None
            checks.append((f.attr, "?" if f.kind == "bool" else f.ch, active))
        cls._mpipc_checks = tuple(checks)
        self._made[node_id] = cls


def _union_of(f: Any) -> int | None:
    if isinstance(f, _Field):
        return f.union
    return f.discriminant_value if f.in_union else None


def _bool_expr(f: _Field) -> str:
    if f.default:
        return f"(0 if o.{f.attr} else {f.mask})"
    return f"({f.mask} if o.{f.attr} else 0)"


def _encode_expr(f: _Field) -> str:
    v = f"o.{f.attr}"
    if f.ch in "fd" and f.xor:
        return f"_f2u_{f.ch}({v}) ^ {f.xor}"
    if f.xor:
        return f"{v} ^ {f.xor}"
    return v


def _prim_writer(ch: str):
    def write(buf, pos, v, ct):
        layout.write_prim_list(buf, pos, v, ct, ch)

    return write


def _type_key(t: _schema.Type) -> str:
    w = t.which
    if w == "list":
        return "L" + _type_key(t.element_type)
    if w in ("struct", "enum", "interface"):
        return f"{w[0]}{t.type_id:x}"
    return {"anyPointer": "any"}.get(w, w)


def _enum_attr(name: str) -> str:
    return name + "_" if keyword.iskeyword(name) else name


_generators: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_generators_lock = threading.Lock()


def _generator(schema_set: _schema.SchemaSet) -> _Generator:
    gen = _generators.get(schema_set)
    if gen is None:
        with _generators_lock:
            gen = _generators.get(schema_set)
            if gen is None:
                gen = _generators[schema_set] = _Generator(schema_set)
    return gen


def struct_class(schema_set: _schema.SchemaSet, node_id: int) -> type:
    """The generated class of a struct (or group) node, made once per (schema set, id)."""
    return _generator(schema_set).struct_class(node_id)


def enum_class(schema_set: _schema.SchemaSet, node_id: int) -> type:
    """The generated ``IntEnum`` of an enum node."""
    return _generator(schema_set).enum_class(node_id)
