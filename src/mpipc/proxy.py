"""Proxies made from a schema: interface classes, clients and servers, with libmultiprocess's calling conventions.

    m = mpipc.proxy.load("calc.capnp")            # or: import a module written by mpipc-gen
    class MyCalc(m.Calculator):                   # the abstract interface class
        def add(self, a: int, b: int) -> int:
            return a + b
    Connection(sock, bootstrap=MyCalc())          # serve it (or m.CalculatorServer(obj) for any object)
    with m.CalculatorClient(connection) as calc:  # a client of the peer's bootstrap capability
        calc.add(1, 2)

Calling conventions (those of libmultiprocess):
- Method and parameter names are PEP 8 (``solveEquation`` -> ``solve_equation``);
  ``$Proxy.name`` on a method or parameter gives the name (PEP 8-converted too).
- A parameter of type ``Proxy.Context`` is not shown to Python: the client fills it
  (from ``connection.thread_context()`` when the connection has that method, else a
  Context with both fields null) and the server ignores it.
- ``hasX :Bool`` beside ``x`` makes ``x`` optional: ``None`` means absent.
- The return value: nothing for no result fields, the value itself for one, else a
  tuple with ``result`` first and the other fields (out-params) in schema order. A
  server method returns the same shape. Server methods get their params by position.
- Result fields annotated ``$Proxy.exception("Name")`` carry an exception: a server
  method raising the module's ``Name`` class fills the field, and the caller sees the
  same class raised (``exc.value`` is the field's value).
- ``construct`` is called when a client is made, ``destroy`` when it is closed.

Values: Bool, ints, floats, Text (``str``), Data (``bytes``), lists, structs (the
codec's generated classes), enums (``IntEnum``), unions (``.which``) and AnyPointer
as the codec has them; interfaces as proxy clients (or local implementations, which
come back as themselves); a callback interface (one method ``call``, besides
``destroy``) as a plain Python callable both ways. A wrong value raises
``mpipc.EncodeError`` (a ``TypeError``) naming the method and the field, in the
caller, before anything is sent.

Lifetimes: ``close()`` (or ``with``) calls ``destroy`` where the schema has it and
releases the capability; a client that is garbage collected releases its capability
without calling ``destroy`` (its server frees the object on release anyway), because
a collector may run on any thread, in the middle of anything.
"""

from __future__ import annotations

import abc
import copy
import enum
import keyword
import os
import re
import threading
import weakref
from typing import Any, Callable, ClassVar, Iterable, Self, Sequence

from . import codec
from . import schema as _schema
from .codec import Struct
from .errors import Disconnected, EncodeError, MpipcError, SchemaError
from .rpc.caps import CapRef, LocalCap

__all__ = [
    "Callback",
    "Interface",
    "Module",
    "ProxyClient",
    "ProxyException",
    "ProxyServer",
    "Struct",
    "close",
    "load",
    "python_name",
]

#: ``$Proxy.name`` (field, method): the name to use instead of the capnp one.
PROXY_NAME = 0xB594888F63F4DBB9
#: ``$Proxy.exception`` (param): the result field carries an exception of that name.
PROXY_EXCEPTION = 0x996A183200992F88
#: ``Proxy.Context``: the threading layer's per-call context, hidden from Python users.
CONTEXT_ID = 0x9C44E6645D0B22C6
#: ``Proxy.ThreadMap``: passed to ``construct`` by the threading layer.
THREAD_MAP_ID = 0xEE5E37179AD9DC9D

_LIBRARY_FILES = ("mp/proxy.capnp",)
_MISSING = object()
# The connection the values being converted will be sent over (per thread).
_destination = threading.local()


# --------------------------------------------------------------------------------------
# Names


def python_name(name: str) -> str:
    """A capnp name in PEP 8 form: ``solveEquation`` -> ``solve_equation``, keywords get ``_``."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()
    return snake + "_" if keyword.iskeyword(snake) else snake


def _attr(name: str) -> str:
    """The codec's attribute for a capnp field name."""
    return name + "_" if keyword.iskeyword(name) or name == "which" else name


def _annotation(annotations, annotation_id: int, default: Any = None) -> Any:
    for a in annotations:
        if a.id == annotation_id:
            return a.value.value
    return default


def _identifier(text: str) -> str:
    """A Python class name from an annotation's text (``std::runtime_error`` -> ``runtime_error``)."""
    last = re.split(r"::|\.", text.strip())[-1]
    ident = re.sub(r"\W", "_", last) or "Error"
    if ident[0].isdigit():
        ident = "_" + ident
    return ident + "_" if keyword.iskeyword(ident) else ident


def type_name(node: _schema.Node) -> str:
    """The Python name of a struct, enum or interface node: its scoped name, dots as ``_``."""
    return node.scoped_name.replace(".", "_")


# --------------------------------------------------------------------------------------
# Errors raised while converting a value: the path is collected on the way out.


class _Bad(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.path: list[str] = []

    def where(self, name: str) -> str:
        path = name
        for part in reversed(self.path):
            path += part if part.startswith("[") else "." + part
        return f"{path}: {self.message}"


def _got(v: Any) -> str:
    return type(v).__name__


_INT_RANGES = {
    "int8": (-(1 << 7), (1 << 7) - 1), "int16": (-(1 << 15), (1 << 15) - 1),
    "int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 63), (1 << 63) - 1),
    "uint8": (0, 0xFF), "uint16": (0, 0xFFFF), "uint32": (0, 0xFFFFFFFF), "uint64": (0, (1 << 64) - 1),
}
_FLOAT32_MAX = 3.4028234663852886e38


def _int_conv(kind: str) -> Callable[[Any], Any]:
    lo, hi = _INT_RANGES[kind]

    def conv(v):
        if v.__class__ is not int and (not isinstance(v, int) or isinstance(v, bool)):
            raise _Bad(f"expected int, got {_got(v)}")
        if not lo <= v <= hi:
            raise _Bad(f"{v} is out of range for {kind.capitalize()} [{lo}, {hi}]")
        return v

    return conv


def _float_conv(kind: str) -> Callable[[Any], Any]:
    def conv(v):
        if v.__class__ is not float and (not isinstance(v, (int, float)) or isinstance(v, bool)):
            raise _Bad(f"expected float, got {_got(v)}")
        if kind == "float32" and abs(v) > _FLOAT32_MAX and abs(v) != float("inf"):
            raise _Bad(f"{v!r} does not fit a Float32")
        return v

    return conv


def _bool_conv(v):
    if v.__class__ is not bool:
        raise _Bad(f"expected bool, got {_got(v)}")
    return v


def _void_conv(v):
    if v is not None:
        raise _Bad(f"expected None (Void), got {_got(v)}")
    return v


def _text_conv(v):
    if v.__class__ is not str and v is not None and not isinstance(v, str):
        raise _Bad(f"expected str, got {_got(v)}")
    return v


def _data_conv(v):
    if v.__class__ is bytes or v is None:
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    raise _Bad(f"expected bytes, got {_got(v)}")


def _any_conv(v):
    return v


# --------------------------------------------------------------------------------------
# Methods: how a call's params and results map to Python.


class _Value:
    """One parameter or result field as Python sees it."""

    __slots__ = ("attr", "name", "has_attr", "type", "to_wire", "from_wire")

    def __init__(self, attr, name, has_attr, type_, to_wire, from_wire):
        self.attr = attr
        self.name = name
        self.has_attr = has_attr
        self.type = type_
        self.to_wire = to_wire
        self.from_wire = from_wire


class Method:
    """One method of an interface with its calling convention (made by ``Module``)."""

    def __init__(self, module: Module, interface: _schema.Node, method: _schema.Method):
        self.module = module
        self.interface_id = interface.id
        self.ordinal = method.ordinal
        self.capnp_name = method.name
        self.name = python_name(_annotation(method.annotations, PROXY_NAME) or method.name)
        self.qualname = f"{type_name(interface)}.{self.name}"
        schema_set = module.schema
        self.params_cls = codec.struct_class(schema_set, method.param_struct_type)
        self.results_cls = codec.struct_class(schema_set, method.result_struct_type)
        self.context_attr: str | None = None
        self.context_pointer: int | None = None  # the Context's pointer slot, for the transport
        self.context_cls = None
        pfields = schema_set.nodes[method.param_struct_type].struct.fields
        rfields = schema_set.nodes[method.result_struct_type].struct.fields
        params = []
        for f in self._visible(pfields):
            t = f.slot.type
            if t.which == "struct" and t.type_id == CONTEXT_ID:
                self.context_attr = _attr(f.name)
                self.context_pointer = f.slot.offset
                self.context_cls = codec.struct_class(schema_set, CONTEXT_ID)
                continue
            params.append(self._value(f, pfields))
        self.params: tuple[_Value, ...] = tuple(params)
        results, exceptions = [], []
        for f in self._visible(rfields):
            text = _annotation(f.annotations, PROXY_EXCEPTION)
            if text is not None:
                exceptions.append((module.exception_class(text), self._value(f, rfields)))
                continue
            results.append(self._value(f, rfields))
        results.sort(key=lambda v: v.attr != "result")
        self.results: tuple[_Value, ...] = tuple(results)
        self.exceptions = tuple(exceptions)
        self.exception_types = tuple(cls for cls, _ in exceptions)
        self.param_names = tuple(v.name for v in self.params)

    @staticmethod
    def _visible(fields) -> list:
        """The fields that are values: not ``hasX`` flags beside an ``x``, and slots only."""
        names = {f.name for f in fields}
        out = []
        for f in fields:
            if f.which != "slot":
                raise SchemaError(f"params/results group {f.name!r} is not supported")
            if (f.name.startswith("has") and len(f.name) > 3 and f.slot.type.which == "bool"
                    and (f.name[3].lower() + f.name[4:]) in names):
                continue
            out.append(f)
        return out

    def _value(self, f: _schema.Field, fields) -> _Value:
        has = "has" + f.name[0].upper() + f.name[1:]
        has_attr = _attr(has) if any(g.name == has and g.slot.type.which == "bool" for g in fields) else None
        name = python_name(_annotation(f.annotations, PROXY_NAME) or f.name)
        t = f.slot.type
        return _Value(_attr(f.name), name, has_attr, t, self.module.to_wire(t), self.module.from_wire(t))

    def __repr__(self):
        return f"<Method {self.qualname} ({self.interface_id:#x}.{self.ordinal})>"

    # ---------------------------------------------------------------- client side
    def bind(self, args: Sequence, kwargs: dict | None) -> list:
        """Positional and keyword arguments as one value per parameter (``TypeError`` if they do not fit)."""
        params = self.params
        n = len(args)
        if n > len(params):
            raise TypeError(f"{self.qualname}() takes {len(params)} arguments but {n} were given")
        values = list(args)
        if len(values) < len(params) or kwargs:
            values.extend([_MISSING] * (len(params) - n))
            for key, v in (kwargs or {}).items():
                try:
                    i = self.param_names.index(key)
                except ValueError:
                    raise TypeError(f"{self.qualname}() got an unexpected keyword argument {key!r}") from None
                if values[i] is not _MISSING:
                    raise TypeError(f"{self.qualname}() got multiple values for argument {key!r}")
                values[i] = v
            for i, v in enumerate(values):
                if v is _MISSING:
                    if params[i].has_attr is None:
                        raise TypeError(f"{self.qualname}() missing argument {params[i].name!r}")
                    values[i] = None
        return values

    def build_params(self, values: Sequence, connection) -> Any:
        """The params struct of a call (values already bound; raises ``EncodeError`` naming the field)."""
        kw: dict[str, Any] = {}
        _destination.connection = connection
        for p, v in zip(self.params, values):
            if p.has_attr is not None:
                if v is None:
                    kw[p.has_attr] = False
                    continue
                kw[p.has_attr] = True
            try:
                kw[p.attr] = p.to_wire(v)
            except _Bad as bad:
                raise EncodeError(f"{self.qualname}(): {bad.where(p.name)}") from None
        if self.context_attr is not None:
            hook = getattr(connection, "thread_context", None)
            if hook is None:
                kw[self.context_attr] = self.context_cls()
            else:
                thread, callback_thread = hook()
                kw[self.context_attr] = self.context_cls(thread=thread, callbackThread=callback_thread)
        return self.params_cls(**kw)

    def take_results(self, results: Any, connection) -> Any:
        """The caller's return value from a results struct (raising a declared exception it carries)."""
        if results is None:  # the peer sent no results struct: all fields are defaults
            results = self.results_cls()
        for exc_cls, v in self.exceptions:
            value = getattr(results, v.attr)
            if value is not None and (v.has_attr is None or getattr(results, v.has_attr)):
                if v.from_wire is not None:
                    value = v.from_wire(value, connection)
                raise exc_cls(value)
        out = []
        for v in self.results:
            if v.has_attr is not None and not getattr(results, v.has_attr):
                out.append(None)
                continue
            value = getattr(results, v.attr)
            if v.from_wire is not None and value is not None:
                value = v.from_wire(value, connection)
            out.append(value)
        if not out:
            return None
        return out[0] if len(out) == 1 else tuple(out)

    # ---------------------------------------------------------------- server side
    def params_to_args(self, params: Any, connection) -> list:
        args = []
        for p in self.params:
            if p.has_attr is not None and not getattr(params, p.has_attr):
                args.append(None)
                continue
            value = getattr(params, p.attr)
            if p.from_wire is not None and value is not None:
                value = p.from_wire(value, connection)
            args.append(value)
        return args

    def make_results(self, ret: Any) -> Any:
        """The results struct of what a server method returned (``EncodeError`` naming the field)."""
        results = self.results
        if not results:
            return None
        if len(results) == 1:
            values = (ret,)
        else:
            if not isinstance(ret, (tuple, list)) or len(ret) != len(results):
                names = ", ".join(v.name for v in results)
                raise EncodeError(f"{self.qualname}() must return a tuple of {len(results)} values "
                                  f"({names}), got {_got(ret)}")
            values = ret
        kw: dict[str, Any] = {}
        for v, value in zip(results, values):
            if v.has_attr is not None:
                kw[v.has_attr] = value is not None
                if value is None:
                    continue
            try:
                kw[v.attr] = v.to_wire(value)
            except _Bad as bad:
                raise EncodeError(f"{self.qualname}() returned a wrong value: {bad.where(v.name)}") from None
        return self.results_cls(**kw)

    def exception_results(self, error: ProxyException) -> Any:
        """The results struct carrying a declared exception."""
        for exc_cls, v in self.exceptions:
            if isinstance(error, exc_cls):
                try:
                    kw: dict[str, Any] = {v.attr: v.to_wire(error.value)}
                except _Bad as bad:
                    raise EncodeError(f"{self.qualname}() raised {exc_cls.__name__} with a wrong value: "
                                      f"{bad.where(v.name)}") from None
                if v.has_attr is not None:
                    kw[v.has_attr] = True
                return self.results_cls(**kw)
        raise error


class _InterfaceSpec:
    """An interface node with its methods (its superclasses' included) and their table."""

    def __init__(self, module: Module, node: _schema.Node):
        self.node = node
        self.id = node.id
        self.name = type_name(node)
        self.own_methods = tuple(Method(module, node, m) for m in node.interface.methods)
        self.parents = tuple(module.interface_spec(s.id) for s in node.interface.superclasses)
        methods: dict[str, Method] = {}
        for parent in self.parents:
            methods.update(parent.methods)
        for m in self.own_methods:
            methods[m.name] = m
        self.methods = methods
        self.table = {(m.interface_id, m.ordinal): m for m in methods.values()}
        names = {m.capnp_name for m in methods.values()}
        self.is_callback = "call" in names and names <= {"call", "destroy"}
        self.construct = next((m for m in methods.values() if m.capnp_name == "construct"), None)
        self.destroy = next((m for m in methods.values() if m.capnp_name == "destroy"), None)


# --------------------------------------------------------------------------------------
# The classes users see.


class ProxyException(MpipcError):
    """Base of exceptions declared with ``$Proxy.exception``: ``value`` is the field's value."""

    declared_as: ClassVar[str] = ""

    def __init__(self, value: Any = ""):
        super().__init__(value)
        self.value = value


class Interface(abc.ABC):
    """Base of every abstract interface class; an instance can be served as it is.

    Subclass the generated class and implement its methods; pass the object as a
    Connection's ``bootstrap`` or as an argument or result of a call.
    """

    _mpipc_module: ClassVar[Module | None] = None
    _mpipc_interface_id: ClassVar[int | None] = None

    def mpipc_dispatch(self, ctx) -> Any:
        """Run one incoming call on this object (the transport calls this)."""
        return _dispatch(_table_of(type(self)), self, ctx)

    def mpipc_context_field(self, interface_id: int, method_id: int) -> int | None:
        """The pointer index of a method's ``Proxy.Context`` param (the transport routes by it)."""
        m = _table_of(type(self)).get((interface_id, method_id))
        return None if m is None else m.context_pointer


_tables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_tables_lock = threading.Lock()


def _table_of(cls: type) -> dict:
    """(interface id, method id) -> Method for every interface class ``cls`` derives from."""
    table = _tables.get(cls)
    if table is None:
        table = {}
        for base in reversed(cls.__mro__):
            module = base.__dict__.get("_mpipc_module")
            iid = base.__dict__.get("_mpipc_interface_id")
            if module is not None and iid is not None:
                table.update(module.interface_spec(iid).table)
        with _tables_lock:
            _tables[cls] = table
    return table


def _dispatch(table: dict, impl: Any, ctx) -> Any:
    m = table.get((ctx.interface_id, ctx.method_id))
    if m is None:
        raise NotImplementedError(f"{type(impl).__name__} has no method {ctx.interface_id:#x}.{ctx.method_id}")
    params = ctx.params(m.params_cls)
    args = m.params_to_args(params, ctx.connection)
    fn = getattr(impl, m.name)
    if m.exception_types:
        try:
            ret = fn(*args)
        except m.exception_types as error:
            _destination.connection = ctx.connection
            return m.exception_results(error)
    else:
        ret = fn(*args)
    if m.capnp_name == "construct":
        ret = _construct_served(m, params, ret, ctx.connection)
    _destination.connection = ctx.connection
    return m.make_results(ret)


def _no_op(*args):
    return None


class ProxyServer:
    """Serves a local object that implements an interface (duck-typed: any object with its methods).

    A generated ``<Name>Server`` class knows its interface; ``ProxyServer(obj, Iface)``
    is the same for an interface class given.
    """

    interface: ClassVar[type[Interface] | None] = None

    def __init__(self, impl: Any, interface: type[Interface] | None = None):
        self.impl = impl
        iface = interface if interface is not None else type(self).interface
        if iface is None:
            raise TypeError("ProxyServer needs an interface class")
        self._table = _table_of(iface)

    def mpipc_dispatch(self, ctx) -> Any:
        """Run one incoming call on the wrapped object."""
        return _dispatch(self._table, self.impl, ctx)

    def mpipc_context_field(self, interface_id: int, method_id: int) -> int | None:
        """The pointer index of a method's ``Proxy.Context`` param (the transport routes by it)."""
        m = self._table.get((interface_id, method_id))
        return None if m is None else m.context_pointer

    def __repr__(self):
        return f"{type(self).__name__}({self.impl!r})"


class _OnwardServer(ProxyServer):
    """Serves a client of another connection's object to this connection (each hop makes
    its own Context). The peer's ``destroy`` ends the peer's use only: it is not passed on,
    since the object has other users (this process holds the client); it is destroyed when
    its client here is closed."""

    def mpipc_dispatch(self, ctx) -> Any:
        m = self._table.get((ctx.interface_id, ctx.method_id))
        if m is not None and m.capnp_name == "destroy":
            ctx.params(m.params_cls)
            return m.make_results(None)
        return _dispatch(self._table, self.impl, ctx)


class _CallbackServer(ProxyServer):
    """Serves a Python callable as a callback interface: ``call`` runs it, ``destroy`` does nothing."""

    def __init__(self, fn: Callable, interface: type[Interface]):
        super().__init__(self, interface)
        self.fn = fn
        self._methods = {m.name: (fn if m.capnp_name == "call" else _no_op) for m in self._table.values()}

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_methods"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self):
        return f"<callback server of {self.fn!r}>"


class ProxyClient:
    """Base of every generated client: forwards each method over a Connection.

    ``Client(connection)`` calls the peer's bootstrap capability; ``Client(connection,
    cap)`` a capability received earlier. ``construct`` (where the schema has it) is
    called at once, with ``construct_args``; its results are kept in ``constructed``.
    ``close()``, or leaving a ``with``, calls ``destroy`` (where the schema has it) and
    releases the capability; calls after that raise ``mpipc.Disconnected``.
    """

    _mpipc_spec: ClassVar[_InterfaceSpec]

    def __init__(self, connection, cap: Any = None, *, construct: bool = True, **construct_args: Any):
        self._mpipc_connection = connection
        self._mpipc_cap = cap if cap is not None else connection.bootstrap()
        _hold(self._mpipc_cap)
        self.constructed: Any = None
        spec = type(self)._mpipc_spec
        if construct and spec.construct is not None:
            self.constructed = _construct(self, spec.construct, construct_args)

    def _mpipc_call(self, method: Method, args: Sequence, kwargs: dict | None = None) -> Any:
        cap = self._mpipc_cap
        if cap is None:
            raise Disconnected(f"{method.qualname}: called after the proxy was closed")
        connection = self._mpipc_connection
        params = method.build_params(method.bind(args, kwargs), connection)
        try:
            results = connection.call(cap, method.interface_id, method.ordinal, params, method.results_cls)
        except EncodeError as e:  # a safety net: values are checked before the call
            raise EncodeError(f"{method.qualname}(): {e}") from None
        return method.take_results(results, connection)

    @property
    def mpipc_connection(self):
        """The Connection the calls go over."""
        return self._mpipc_connection

    @property
    def mpipc_cap(self):
        """The capability reference (None once closed)."""
        return self._mpipc_cap

    def close(self) -> None:
        """Call ``destroy`` (where the schema has it) and release the capability; idempotent."""
        close(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        close(self)

    def __del__(self) -> None:
        # Collected without close(): the last client of a capability whose interface
        # has ``destroy`` still destroys it. Not here (this may run on any thread, even
        # one holding a lock): on the connection's worker.
        cap = getattr(self, "_mpipc_cap", None)
        connection = getattr(self, "_mpipc_connection", None)
        call_soon = getattr(connection, "call_soon", None)
        if cap is not None and call_soon is not None and getattr(connection, "alive", True):
            spec = self._mpipc_spec
            self._mpipc_cap = None
            call_soon(lambda: _collected(connection, cap, spec))

    def __repr__(self):
        state = "closed" if self._mpipc_cap is None else repr(self._mpipc_cap)
        return f"<{type(self).__name__} {state}>"


def _collected(connection, cap, spec) -> None:
    """A client was garbage-collected: one holder less; the last one destroys the object
    where the interface says how (its capability is released once nothing refers to
    it, as for any other)."""
    if not isinstance(cap, CapRef) or not _unhold(cap) or spec.destroy is None:
        return
    try:
        connection.call(cap, spec.destroy.interface_id, spec.destroy.ordinal,
                         spec.destroy.build_params(spec.destroy.bind((), None), connection),
                         spec.destroy.results_cls)
    except Disconnected:
        pass


def close(client: ProxyClient) -> None:
    """Close a client (``client.close()``, also when the interface has a method named ``close``)."""
    cap = client._mpipc_cap
    if cap is None:
        return
    destroy = type(client)._mpipc_spec.destroy
    try:
        if destroy is not None:
            try:
                client._mpipc_call(destroy, ())
            except Disconnected:
                pass  # nothing left to destroy
    finally:
        client._mpipc_cap = None
        release = getattr(client._mpipc_connection, "release", None)
        if release is not None and isinstance(cap, CapRef) and _unhold(cap):
            try:
                release(cap)
            except Disconnected:
                pass


# Clients holding each capability: one client closed must not release the capability
# under another client of it (the engine releases every reference at once).
_holders: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_holders_lock = threading.Lock()


def _hold(cap: Any) -> None:
    if isinstance(cap, CapRef):
        with _holders_lock:
            _holders[cap] = _holders.get(cap, 0) + 1


def _unhold(cap: CapRef) -> bool:
    """One client less for ``cap``; True if it was the last."""
    with _holders_lock:
        n = _holders.get(cap, 1) - 1
        if n > 0:
            _holders[cap] = n
            return False
        _holders.pop(cap, None)
        return True


def _construct(client: ProxyClient, method: Method, given: dict) -> Any:
    connection = client._mpipc_connection
    values = []
    for p in method.params:
        if p.name in given:
            values.append(given.pop(p.name))
        elif _is_thread_map(p):
            values.append(getattr(connection, "thread_map", None))
        else:
            values.append(None)
    if given:
        raise TypeError(f"{method.qualname}() got unexpected arguments {sorted(given)}")
    result = client._mpipc_call(method, values)
    if hasattr(connection, "peer_thread_map"):
        for i, v in enumerate(method.results):
            if _is_thread_map(v):
                value = result if len(method.results) == 1 else result[i]
                connection.peer_thread_map = value.mpipc_cap if isinstance(value, ProxyClient) else value
    return result


def _is_thread_map(v: _Value) -> bool:
    return v.type.which == "interface" and v.type.type_id == THREAD_MAP_ID


def _construct_served(m: Method, params: Any, ret: Any, connection) -> Any:
    """The threading layer's part of a served ``construct``: keep the peer's ThreadMap, give ours."""
    if hasattr(connection, "peer_thread_map"):
        for p in m.params:
            if _is_thread_map(p) and getattr(params, p.attr) is not None:
                connection.peer_thread_map = getattr(params, p.attr)
    mine = getattr(connection, "thread_map", None)
    if mine is None or not any(_is_thread_map(v) for v in m.results):
        return ret
    if len(m.results) == 1:
        return mine if ret is None else ret
    ret = list(ret) if ret is not None else [None] * len(m.results)
    for i, v in enumerate(m.results):
        if _is_thread_map(v) and ret[i] is None:
            ret[i] = mine
    return tuple(ret)


class Callback:
    """A callback capability received from the peer, as a plain callable.

    Calling it calls the peer; after the peer (or its connection) is gone that raises
    ``mpipc.Disconnected``. ``close()`` releases it now.
    """

    __slots__ = ("client", "__weakref__")

    def __init__(self, client: ProxyClient):
        self.client = client

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        client = self.client
        return client._mpipc_call(client._mpipc_spec.methods["call"], args, kwargs)

    def close(self) -> None:
        close(self.client)

    def __repr__(self):
        return f"<Callback {self.client!r}>"


def _abstract_method(m: Method) -> Callable:
    def method(self, *args):
        raise NotImplementedError(f"{m.qualname} is not implemented by {type(self).__name__}")

    method.__name__ = m.name
    method.__qualname__ = m.qualname
    if m.capnp_name == "construct":
        return _default_construct
    if m.capnp_name == "destroy":
        return _default_destroy
    return abc.abstractmethod(method)


def _default_construct(self, *args: Any) -> Any:
    """Called when the peer makes a client of this object; returns nothing unless overridden."""
    return None


def _default_destroy(self) -> None:
    """Called when the peer destroys the object; does nothing unless overridden."""


def _client_method(m: Method) -> Callable:
    def method(self, *args, **kwargs):
        return self._mpipc_call(m, args, kwargs)

    method.__name__ = m.name
    method.__qualname__ = m.qualname
    method.__doc__ = f"Call {m.qualname}({', '.join(m.param_names)}) on the peer."
    return method


# --------------------------------------------------------------------------------------
# The module: the classes of one schema set, and the conversions between their values.


class Module:
    """The Python classes of a loaded schema: one attribute per struct, enum, interface
    (``Name``, ``NameClient``, ``NameServer``) and declared exception.

    Made by ``load(path)``; a module written by ``mpipc-gen`` makes one from its
    embedded schema. Classes are made on first use and cached, so a module may be
    shared by threads.
    """

    def __init__(self, schema_set: _schema.SchemaSet, module_name: str = "mpipc.generated"):
        self.schema = schema_set
        self.module_name = module_name
        self._lock = threading.RLock()
        self._specs: dict[int, _InterfaceSpec] = {}
        self._classes: dict[int, tuple[type, type, type]] = {}
        self._exceptions: dict[str, type] = {}
        self._to_wire: dict[Any, Callable] = {}
        self._from_wire: dict[Any, Callable | None] = {}
        self._names: dict[str, Callable[[], Any]] = {}
        self._interface_names: dict[int, tuple[str, str, str]] = {}

    # ---------------------------------------------------------------- classes
    def struct_class(self, node_id: int) -> type:
        """The codec's generated class of a struct."""
        return codec.struct_class(self.schema, node_id)

    def enum_class(self, node_id: int) -> type:
        """The ``IntEnum`` of an enum."""
        return codec.enum_class(self.schema, node_id)

    def interface_spec(self, node_id: int) -> _InterfaceSpec:
        spec = self._specs.get(node_id)
        if spec is None:
            with self._lock:
                spec = self._specs.get(node_id)
                if spec is None:
                    node = self.schema.nodes.get(node_id)
                    if node is None or node.which != "interface":
                        raise SchemaError(f"no interface with id {node_id:#x}")
                    spec = _InterfaceSpec(self, node)
                    self._specs[node_id] = spec
        return spec

    def method(self, interface_id: int, ordinal: int) -> Method:
        """A method of an interface by the wire's method id."""
        return self.interface_spec(interface_id).table[(interface_id, ordinal)]

    def classes(self, node_id: int) -> tuple[type, type, type]:
        """(abstract interface class, client class, server class) of an interface."""
        found = self._classes.get(node_id)
        if found is None:
            with self._lock:
                found = self._classes.get(node_id)
                if found is None:
                    found = self._classes[node_id] = self._make_classes(self.interface_spec(node_id))
        return found

    def _make_classes(self, spec: _InterfaceSpec) -> tuple[type, type, type]:
        ns: dict[str, Any] = {
            "__module__": self.module_name,
            "__doc__": f"The interface {spec.node.display_name} (id {spec.id:#x}).",
            "_mpipc_module": self,
            "_mpipc_interface_id": spec.id,
        }
        for m in spec.own_methods:
            ns[m.name] = _abstract_method(m)
        bases = tuple(self.classes(p.id)[0] for p in spec.parents) or (Interface,)
        abstract = type(spec.name, bases, ns)
        client_ns: dict[str, Any] = {
            "__module__": self.module_name,
            "__doc__": f"A client of {spec.name}: calls go to the peer.",
            "_mpipc_spec": spec,
        }
        for m in spec.methods.values():
            client_ns[m.name] = _client_method(m)
        _, client_name, server_name = self.interface_names(spec.id)
        client = type(client_name, (ProxyClient, abstract), client_ns)
        server = type(server_name, (ProxyServer,), {
            "__module__": self.module_name,
            "__doc__": f"Serves a local implementation of {spec.name}.",
            "interface": abstract,
        })
        return abstract, client, server

    def exception_class(self, text: str) -> type:
        """The ``ProxyException`` subclass for a ``$Proxy.exception`` name (one per name)."""
        cls = self._exceptions.get(text)
        if cls is None:
            with self._lock:
                cls = self._exceptions.get(text)
                if cls is None:
                    cls = type(_identifier(text), (ProxyException,), {
                        "declared_as": text,
                        "__module__": self.module_name,
                        "__doc__": f"The exception declared as $Proxy.exception({text!r}).",
                    })
                    self._exceptions[text] = cls
        return cls

    # ---------------------------------------------------------------- names
    def names(self) -> dict[str, Callable[[], Any]]:
        """Python name -> maker of the class, for every type of the schema's own files."""
        if self._names:
            return self._names
        names: dict[str, Callable[[], Any]] = {}

        def add(name: str, maker: Callable[[], Any], node: _schema.Node) -> None:
            if name in names:
                raise SchemaError(f"two schema types are both named {name!r} in Python (one is {node.display_name})")
            names[name] = maker

        nodes = list(user_nodes(self.schema))
        for node in nodes:  # the schema's own names first: they win over generated ones
            name = type_name(node)
            nid = node.id
            if node.which == "struct":
                add(name, lambda nid=nid: self.struct_class(nid), node)
            elif node.which == "enum":
                add(name, lambda nid=nid: self.enum_class(nid), node)
            elif node.which == "interface":
                add(name, lambda nid=nid: self.classes(nid)[0], node)
        for node in nodes:
            if node.which != "interface":
                continue
            name, nid = type_name(node), node.id
            # Chain's client is ChainClient, unless the schema has its own ChainClient
            # (Bitcoin's chain.capnp does): then it is ChainProxyClient.
            made = []
            for i, suffix in ((1, "Client"), (2, "Server")):
                generated = name + suffix if name + suffix not in names else name + "Proxy" + suffix
                add(generated, lambda nid=nid, i=i: self.classes(nid)[i], node)
                made.append(generated)
            self._interface_names[nid] = (name, made[0], made[1])
        for node in nodes:
            if node.which == "interface":
                for m in node.interface.methods:
                    for sid in (m.result_struct_type,):
                        for f in self.schema.nodes[sid].struct.fields:
                            text = _annotation(f.annotations, PROXY_EXCEPTION)
                            if text is not None and _identifier(text) not in names:
                                add(_identifier(text), lambda text=text: self.exception_class(text), node)
        self._names = names
        return names

    def interface_names(self, node_id: int) -> tuple[str, str, str]:
        """The Python names of an interface's (abstract, client, server) classes."""
        self.names()
        found = self._interface_names.get(node_id)
        if found is None:  # an interface of an imported file: no clash to avoid here
            name = type_name(self.schema.nodes[node_id])
            found = (name, name + "Client", name + "Server")
        return found

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        maker = self.names().get(name)
        if maker is None:
            raise AttributeError(f"schema module has no type {name!r}")
        value = maker()
        setattr(self, name, value)
        return value

    def __dir__(self) -> Iterable[str]:
        return [*super().__dir__(), *self.names()]

    # ---------------------------------------------------------------- conversions
    def to_wire(self, t: _schema.Type) -> Callable[[Any], Any]:
        """A function checking a Python value of type ``t`` and giving what the codec takes."""
        key = _type_key(t)
        conv = self._to_wire.get(key)
        if conv is None:
            conv = self._make_to_wire(t)
            self._to_wire[key] = conv
        return conv

    def from_wire(self, t: _schema.Type) -> Callable[[Any, Any], Any] | None:
        """A function turning a decoded value of type ``t`` into the Python one (None: as it is)."""
        key = _type_key(t)
        if key in self._from_wire:
            return self._from_wire[key]
        self._from_wire[key] = None  # a recursive struct refers to itself: filled in below
        conv = self._make_from_wire(t)
        self._from_wire[key] = conv
        return conv

    def _make_to_wire(self, t: _schema.Type) -> Callable[[Any], Any]:
        w = t.which
        if w in _INT_RANGES:
            return _int_conv(w)
        if w in ("float32", "float64"):
            return _float_conv(w)
        simple = {"bool": _bool_conv, "void": _void_conv, "text": _text_conv, "data": _data_conv,
                  "anyPointer": _any_conv}.get(w)
        if simple is not None:
            return simple
        if w == "enum":
            return self._enum_to_wire(t.type_id)
        if w == "list":
            return self._list_to_wire(t.element_type)
        if w == "struct":
            return self._struct_to_wire(t.type_id)
        if w == "interface":
            return self._interface_to_wire(t.type_id)
        raise SchemaError(f"type {w!r} is not supported")

    def _enum_to_wire(self, node_id: int) -> Callable[[Any], Any]:
        enum_cls = self.enum_class(node_id)

        def conv(v):
            if v.__class__ is enum_cls:
                return v
            if (not isinstance(v, int) or isinstance(v, (bool, enum.Enum))) or not 0 <= v <= 0xFFFF:
                raise _Bad(f"expected {enum_cls.__name__}, got {_got(v)}"
                           + (f" {v}" if isinstance(v, int) else ""))
            return v

        return conv

    def _list_to_wire(self, element: _schema.Type) -> Callable[[Any], Any]:
        holder: list = []

        def conv(v):
            if v is None:
                return None
            if not isinstance(v, (list, tuple)):
                raise _Bad(f"expected list, got {_got(v)}")
            item = holder[0]
            out = None
            for i, x in enumerate(v):
                try:
                    y = item(x)
                except _Bad as bad:
                    bad.path.append(f"[{i}]")
                    raise
                if y is not x:
                    if out is None:
                        out = list(v)
                    out[i] = y
            if out is not None:
                return out
            return v if v.__class__ is list else list(v)

        self._to_wire[_type_key(_schema.Type("list", element_type=element))] = conv
        holder.append(self.to_wire(element))
        return conv

    def _struct_to_wire(self, node_id: int) -> Callable[[Any], Any]:
        cls = self.struct_class(node_id)
        plain: list[tuple[str, Callable]] = []
        members: dict[str, tuple[str, Callable]] = {}

        def conv(v):
            if v is None:
                return None
            if v.__class__ is not cls:
                raise _Bad(f"expected {cls.__qualname__}, got {_got(v)}")
            out = None
            fields = plain
            if members:
                w = v.which
                member = members.get(w)
                if member is not None:
                    fields = [*plain, member]
                elif not (w.__class__ is int and 0 <= w <= 0xFFFF):
                    raise _Bad(f"which={w!r} is not a member of the union ({', '.join(members)})")
            for attr, field_conv in fields:
                x = getattr(v, attr)
                try:
                    y = field_conv(x)
                except _Bad as bad:
                    bad.path.append(attr)
                    raise
                if y is not x:
                    if out is None:
                        out = copy.copy(v)
                    setattr(out, attr, y)
            return v if out is None else out

        self._to_wire[("struct", node_id)] = conv
        for f in self.schema.nodes[node_id].struct.fields:
            if f.which == "group":
                field_conv = self._struct_to_wire(f.group.type_id)
            else:
                field_conv = self.to_wire(f.slot.type)
            if f.in_union:
                members[f.name] = (_attr(f.name), field_conv)
            else:
                plain.append((_attr(f.name), field_conv))
        return conv

    def _interface_to_wire(self, node_id: int) -> Callable[[Any], Any]:
        holder: list = []

        def conv(v):
            if v is None:
                return None
            if not holder:
                spec = self.interface_spec(node_id)
                needs = any(m.context_attr is not None for m in spec.methods.values())
                holder[:] = (self.classes(node_id)[0], spec.is_callback, needs)
            abstract, is_callback, needs_context = holder
            if isinstance(v, ProxyClient):
                if not isinstance(v, abstract):
                    raise _Bad(f"expected {abstract.__name__}, got {_got(v)}")
                if v._mpipc_cap is None:
                    raise _Bad(f"{_got(v)} is closed")
                if needs_context and v._mpipc_connection is not getattr(_destination, "connection", None):
                    # Onward to another connection: served here, so each hop makes its own Context.
                    return _OnwardServer(v, abstract)
                return v._mpipc_cap
            if isinstance(v, Callback):
                if needs_context and v.client._mpipc_connection is not getattr(_destination, "connection", None):
                    return _CallbackServer(v, abstract)
                return conv(v.client)
            if isinstance(v, abstract):
                return v
            if isinstance(v, Interface):
                raise _Bad(f"expected {abstract.__name__}, got {_got(v)}")
            if isinstance(v, (CapRef, ProxyServer)) or hasattr(v, "mpipc_dispatch"):
                return v
            if is_callback and callable(v):
                return _CallbackServer(v, abstract)
            raise _Bad(f"expected {abstract.__name__}{' or a callable' if is_callback else ''}, got {_got(v)}")

        return conv

    def _make_from_wire(self, t: _schema.Type) -> Callable[[Any, Any], Any] | None:
        w = t.which
        if w == "interface":
            return self._interface_from_wire(t.type_id)
        if w == "list":
            item = self.from_wire(t.element_type)
            if item is None and not self._may_hold_caps(t.element_type):
                return None

            def conv_list(v, connection):
                f = item or self.from_wire(t.element_type)
                return [x if x is None else f(x, connection) for x in v] if f is not None else v

            return conv_list
        if w == "struct":
            if not self._may_hold_caps(t):
                return None
            node_id = t.type_id
            state: dict = {}

            def conv_struct(v, connection):
                fields = state.get("fields")
                if fields is None:
                    fields = state["fields"] = self._cap_fields(node_id)
                for attr, member, field_conv in fields:
                    if member is not None and v.which != member:
                        continue
                    x = getattr(v, attr)
                    if x is not None:
                        y = field_conv(x, connection)
                        if y is not x:
                            setattr(v, attr, y)
                return v

            return conv_struct
        return None

    @staticmethod
    def _field_type(f: _schema.Field) -> _schema.Type:
        return _schema.Type("struct", type_id=f.group.type_id) if f.which == "group" else f.slot.type

    def _cap_fields(self, node_id: int) -> list:
        """(attribute, union member or None, converter) of a struct's fields that may hold caps."""
        out = []
        for f in self.schema.nodes[node_id].struct.fields:
            field_conv = self.from_wire(self._field_type(f))
            if field_conv is not None:
                out.append((_attr(f.name), f.name if f.in_union else None, field_conv))
        return out

    def _may_hold_caps(self, t: _schema.Type, seen: set | None = None) -> bool:
        w = t.which
        if w == "interface":
            return True
        if w == "list":
            return self._may_hold_caps(t.element_type, seen)
        if w == "struct":
            seen = set() if seen is None else seen
            if t.type_id in seen:
                return False
            seen.add(t.type_id)
            return any(self._may_hold_caps(self._field_type(f), seen)
                       for f in self.schema.nodes[t.type_id].struct.fields)
        return False

    def _interface_from_wire(self, node_id: int) -> Callable[[Any, Any], Any]:
        def conv(v, connection):
            if isinstance(v, LocalCap):
                v = v.server
            if isinstance(v, _CallbackServer):
                return v.fn
            if isinstance(v, ProxyServer):
                return v.impl
            if isinstance(v, Interface):
                return v
            if isinstance(v, CapRef):
                owner = getattr(v.engine, "owner", None) or connection
            else:  # a hand-written local server object
                owner, v = connection, LocalCap(v)
            client = self.classes(node_id)[1](owner, v)
            if self.interface_spec(node_id).is_callback:
                return Callback(client)
            return client

        return conv


def _type_key(t: _schema.Type) -> Any:
    w = t.which
    if w == "list":
        return ("list", _type_key(t.element_type))
    if w in ("struct", "enum", "interface"):
        return (w, t.type_id)
    return w


def user_nodes(schema_set: _schema.SchemaSet) -> list[_schema.Node]:
    """Struct, enum and interface nodes of the schema's own files (not Cap'n Proto's or mpipc's own)."""
    library = set()
    for node in schema_set.nodes.values():
        if node.which == "file" and (node.display_name.startswith("capnp/") or node.display_name in _LIBRARY_FILES):
            library.add(node.id)
    out = []
    for node in schema_set.nodes.values():
        if node.which not in ("struct", "enum", "interface") or "$" in node.display_name:
            continue
        if node.which == "struct" and node.struct.is_group:
            continue
        if node.is_generic:
            continue
        file_id = schema_set.file_of(node.id)
        if file_id is None or file_id in library:
            continue
        out.append(node)
    out.sort(key=lambda n: (n.display_name.partition(":")[0], n.id))
    return out


def load(path: str | os.PathLike | Sequence[str | os.PathLike], imports: Iterable[str | os.PathLike] = ()) -> Module:
    """Load schema file(s) and give their classes as a ``Module`` (made at run time)."""
    return Module(_schema.load(path, imports))
