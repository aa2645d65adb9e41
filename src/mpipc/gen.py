"""mpipc-gen: write a schema's interface, client, server, struct and enum classes as a typed Python module.

    mpipc-gen calc.capnp -o calc.py [-I importdir ...]
    python -m mpipc.gen calc.capnp -o calc.py

The module imports only mpipc. It embeds the schema nodes it was made from, so it
needs neither the ``.capnp`` files nor pycapnp's parser when imported, and works
from any directory. Its classes are those ``mpipc.proxy.load`` makes at run time
(the same code makes both); the module adds their declarations with full type hints
for mypy and IDEs, under ``typing.TYPE_CHECKING``.
"""

from __future__ import annotations

import argparse
import dataclasses
import keyword
import os
import sys
from typing import Sequence

from . import proxy
from . import schema as _schema
from .errors import SchemaError

__all__ = ["generate", "main"]

_INTS = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
_SCHEMA_CLASSES = sorted(
    name for name, obj in vars(_schema).items()
    if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == _schema.__name__
)


class _Writer:
    def __init__(self, module: proxy.Module):
        self.m = module
        self.schema = module.schema
        self.user = {n.id: n for n in proxy.user_nodes(self.schema)}

    # ---------------------------------------------------------------- type hints
    def hint(self, t: _schema.Type, role: str) -> str:
        """``role``: "param" (what a caller may pass), "result" (what it gets), "field"."""
        w = t.which
        if w in _INTS:
            return "int"
        if w in ("float32", "float64"):
            return "float"
        simple = {"void": "None", "bool": "bool", "text": "str", "data": "bytes", "anyPointer": "Any"}
        if w in simple:
            return simple[w]
        if w == "list":
            return f"list[{self.hint(t.element_type, role)}]"
        node = self.user.get(t.type_id)
        if w == "enum":
            return proxy.type_name(node) if node else "int"
        if w == "struct":
            return proxy.type_name(node) if node else "Any"
        if w == "interface":
            if node is None:
                return "Any"
            name = proxy.type_name(node)
            spec = self.m.interface_spec(node.id)
            if spec.is_callback:
                call = spec.methods["call"]
                fn = f"Callable[..., {self.returns(call)}]"
                return fn if role == "result" else f"{fn} | {name}"
            return name
        return "Any"

    def returns(self, m: proxy.Method) -> str:
        hints = [self.value_hint(v, "result") for v in m.results]
        if not hints:
            return "None"
        return hints[0] if len(hints) == 1 else f"tuple[{', '.join(hints)}]"

    def value_hint(self, v, role: str) -> str:
        h = self.hint(v.type, role)
        if v.has_attr is not None and h not in ("Any", "None"):
            h += " | None"
        return h

    # ---------------------------------------------------------------- declarations
    def struct(self, node: _schema.Node, out: list[str]) -> None:
        name = proxy.type_name(node)
        out.append(f"    class {name}(_proxy.Struct):")
        out.append(f'        """The struct {node.display_name}."""')
        params = []
        fields = node.struct.fields
        has_union = any(f.in_union for f in fields)
        for f in fields:
            attr = f.name + "_" if keyword.iskeyword(f.name) or f.name == "which" else f.name
            if f.which == "group":
                h = "Any"
            else:
                h = self.hint(f.slot.type, "field")
                if (f.slot.type.is_pointer or f.in_union) and h not in ("Any", "None"):
                    h += " | None"
            out.append(f"        {attr}: {h}")
            params.append(f"{attr}: {h} = ...")
        if has_union:
            out.append("        which: str")
            params.append("which: str | None = ...")
        sig = ", ".join(["self", "*", *params]) if params else "self"
        out.append(f"        def __init__({sig}) -> None: ...")

    def enum(self, node: _schema.Node, out: list[str]) -> None:
        out.append(f"    class {proxy.type_name(node)}(enum.IntEnum):")
        out.append(f'        """The enum {node.display_name}."""')
        for i, e in enumerate(node.enum.enumerants):
            out.append(f"        {e.name + '_' if keyword.iskeyword(e.name) else e.name} = {i}")

    def interface(self, node: _schema.Node, out: list[str]) -> None:
        spec = self.m.interface_spec(node.id)
        name = spec.name
        parents = [proxy.type_name(self.user[p.id]) for p in spec.parents if p.id in self.user]
        bases = ", ".join(parents) or "_proxy.Interface"
        out.append(f"    class {name}({bases}):")
        out.append(f'        """The interface {node.display_name} (id {node.id:#x})."""')
        for m in spec.own_methods:
            if m.capnp_name not in ("construct", "destroy"):
                out.append("        @abc.abstractmethod")
            out.append(f"        def {m.name}({self.signature(m)}) -> {self.returns(m)}: ...")
        out.append("")
        _, client_name, server_name = self.m.interface_names(node.id)
        out.append(f"    class {client_name}(_proxy.ProxyClient, {name}):")
        out.append(f'        """A client of {name}: each call goes to the peer."""')
        for m in spec.methods.values():
            out.append(f"        def {m.name}({self.signature(m)}) -> {self.returns(m)}: ...")
        out.append("")
        out.append(f"    class {server_name}(_proxy.ProxyServer):")
        out.append(f'        """Serves a local implementation of {name}."""')
        out.append(f"        interface = {name}")

    def signature(self, m: proxy.Method) -> str:
        parts = ["self"]
        optional_tail = True
        hints = []
        for v in reversed(m.params):
            optional_tail = optional_tail and v.has_attr is not None
            hints.append(f"{v.name}: {self.value_hint(v, 'param')}" + (" = None" if optional_tail else ""))
        return ", ".join(parts + hints[::-1])

    # ---------------------------------------------------------------- the module
    def module(self, sources: Sequence[str]) -> str:
        names = self.m.names()  # checks that no two types share a Python name
        order = self._ordered()
        exceptions = sorted({text for spec in (self.m.interface_spec(n.id) for n in order if n.which == "interface")
                             for m in spec.own_methods for text in self._exception_texts(m)})
        out = [
            f'"""Classes of {", ".join(sources)}, written by mpipc-gen: do not edit."""',
            "# fmt: off",
            "# ruff: noqa",
            "from __future__ import annotations",
            "",
            "import abc",
            "import enum",
            "from typing import TYPE_CHECKING, Any, Callable",
            "",
            "from mpipc import proxy as _proxy",
            "from mpipc.schema import SchemaSet as _SchemaSet",
            f"from mpipc.schema import {', '.join(_SCHEMA_CLASSES)}",
            "",
            "# The schema nodes this module was made from.",
            "_NODES = [",
        ]
        for node in sorted(self.schema.nodes.values(), key=lambda n: n.id):
            out.append(f"    {node!r},")
        out.append("]")
        out.append(f"_M = _proxy.Module(_SchemaSet({{n.id: n for n in _NODES}}, {list(self.schema.files)!r}), __name__)")
        out.append("")
        out.append(f"__all__ = {sorted(names)!r}")
        out.append("")
        out.append("if TYPE_CHECKING:")
        for node in order:
            getattr(self, node.which)(node, out)
            out.append("")
        for text in exceptions:
            ident = proxy._identifier(text)
            out.append(f"    class {ident}(_proxy.ProxyException):")
            out.append(f'        """The exception declared as $Proxy.exception({text!r})."""')
            out.append("")
        out.append("else:")
        for node in order:
            name = proxy.type_name(node)
            if node.which == "struct":
                out.append(f"    {name} = _M.struct_class({node.id:#x})")
            elif node.which == "enum":
                out.append(f"    {name} = _M.enum_class({node.id:#x})")
            else:
                out.append(f"    {', '.join(self.m.interface_names(node.id))} = _M.classes({node.id:#x})")
        for text in exceptions:
            out.append(f"    {proxy._identifier(text)} = _M.exception_class({text!r})")
        out.append("")
        return "\n".join(out)

    @staticmethod
    def _exception_texts(m: proxy.Method) -> list[str]:
        return [exc_cls.declared_as for exc_cls, _ in m.exceptions]

    def _ordered(self) -> list[_schema.Node]:
        """User nodes, each interface after the interfaces it extends."""
        done: set[int] = set()
        out: list[_schema.Node] = []

        def visit(node: _schema.Node) -> None:
            if node.id in done:
                return
            done.add(node.id)
            if node.which == "interface":
                for s in node.interface.superclasses:
                    if s.id in self.user:
                        visit(self.user[s.id])
            out.append(node)

        for node in self.user.values():
            visit(node)
        return out


def generate(schema_set: _schema.SchemaSet, sources: Sequence[str] = ()) -> str:
    """The source of a typed module of ``schema_set``'s classes."""
    names = sources or [schema_set.nodes[f].display_name for f in schema_set.files if f in schema_set.nodes]
    return _Writer(proxy.Module(schema_set)).module(list(names))


def main(argv: Sequence[str] | None = None) -> int:
    """The ``mpipc-gen`` command."""
    parser = argparse.ArgumentParser(prog="mpipc-gen", description=__doc__.splitlines()[0])
    parser.add_argument("schema", nargs="+", help="the .capnp file(s)")
    parser.add_argument("-o", "--output", required=True, help="the module file to write ('-' for stdout)")
    parser.add_argument("-I", "--import-path", action="append", default=[], help="a folder to search imports in")
    args = parser.parse_args(argv)
    try:
        schema_set = _schema.load(args.schema, args.import_path)
        source = generate(schema_set, [os.path.basename(p) for p in args.schema])
    except SchemaError as e:
        print(f"mpipc-gen: {e}", file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.write(source)
    else:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
