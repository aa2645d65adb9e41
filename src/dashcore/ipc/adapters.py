"""dashcore's interface objects across a connection: its Python classes on one side, mpipc proxies on the wire.

The schemas name, with ``$Proxy.wrap``, the Python type each capnp type stands for:
a struct wraps a dataclass of ``dashcore.interfaces`` (fields by PEP 8 name), an
interface wraps one of its abstract classes, and ``typing.Callable[...]`` marks a
callback. From that, for every interface:

- ``client(name, proxy_client)`` gives an object of the dashcore class (``Chain``,
  ``WalletLoader`` ...) whose methods call the peer, converting values both ways and
  raising ``InterfaceError`` where the peer raised it;
- ``server(name, obj)`` gives what mpipc serves for a dashcore object.

An object that goes to the peer and comes back arrives as itself, in both directions,
so code on either side never sees the difference from one process. Conversion is
decided once per type, so a call costs a few attribute reads beyond mpipc's own work.
"""

from __future__ import annotations

import importlib
import inspect
import keyword
import threading
from typing import Any, Callable

import mpipc
from mpipc import proxy

from ..interfaces import InterfaceError
from . import capnp

_CALLBACK_WRAP = "typing.Callable"


def _attr(name: str) -> str:
    """The codec's attribute for a capnp field name."""
    return name + "_" if keyword.iskeyword(name) or name == "which" else name


def _python_class(text: str) -> type:
    module, _, name = text.rpartition(".")
    return getattr(importlib.import_module(module), name)


class ClientAdapter:
    """Base of the adapters that give a peer's object the dashcore interface it implements."""

    def __init__(self, client: proxy.ProxyClient):
        self._ipc_client = client

    @property
    def ipc_client(self) -> proxy.ProxyClient:
        return self._ipc_client

    def close(self) -> None:
        """Release the peer's object now (``destroy``, then release the capability)."""
        self._ipc_client.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._ipc_client!r}>"


class ServerAdapter:
    """Base of the adapters that serve a local dashcore object to the peer."""

    def __init__(self, impl: Any):
        self._ipc_impl = impl

    @property
    def ipc_impl(self) -> Any:
        return self._ipc_impl

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._ipc_impl!r}>"


class _Adapters:
    """Converters per schema type and adapter classes per interface, made on first use."""

    def __init__(self, module: proxy.Module):
        self.m = module
        self._lock = threading.RLock()
        self._to: dict[Any, Callable | None] = {}
        self._from: dict[Any, Callable | None] = {}
        self._clients: dict[int, type] = {}
        self._servers: dict[int, type] = {}

    # ------------------------------------------------------------------ converters
    def to_wire(self, t) -> Callable[[Any], Any] | None:
        """Python value -> what mpipc takes, for schema type ``t`` (None: the value as it is)."""
        key = _key(t)
        if key not in self._to:
            with self._lock:
                if key not in self._to:
                    self._to[key] = self._make_to(t)
        return self._to[key]

    def from_wire(self, t) -> Callable[[Any], Any] | None:
        """What mpipc gives -> Python value, for schema type ``t`` (None: the value as it is)."""
        key = _key(t)
        if key not in self._from:
            with self._lock:
                if key not in self._from:
                    self._from[key] = self._make_from(t)
        return self._from[key]

    def _make_to(self, t) -> Callable | None:
        w = t.which
        if w == "list":
            item = self.to_wire(t.element_type)
            return None if item is None else (lambda v: [x if x is None else item(x) for x in v])
        if w == "struct":
            node = self.m.schema.nodes[t.type_id]
            wrap = capnp.wrap_of(node)
            if wrap is None or not wrap.startswith("dashcore."):
                return None
            cls = self.m.struct_class(t.type_id)
            fields = [(_attr(f.name), proxy.python_name(f.name), self.to_wire(f.slot.type)) for f in node.struct.fields]

            def struct_to(v):
                if v.__class__ is cls:
                    return v
                kw = {}
                for attr, name, conv in fields:
                    x = getattr(v, name)
                    kw[attr] = x if conv is None or x is None else conv(x)
                return cls(**kw)
            return struct_to
        if w == "interface":
            node = self.m.schema.nodes[t.type_id]
            if (capnp.wrap_of(node) or "").startswith(_CALLBACK_WRAP):
                return self._callback_to(t.type_id)
            server_cls = self.server_class(t.type_id)

            def interface_to(v):
                if isinstance(v, ClientAdapter):
                    return v._ipc_client
                if isinstance(v, (ServerAdapter, proxy.ProxyClient)):
                    return v
                return server_cls(v)
            return interface_to
        return None

    def _make_from(self, t) -> Callable | None:
        w = t.which
        if w == "list":
            item = self.from_wire(t.element_type)
            return None if item is None else (lambda v: [x if x is None else item(x) for x in v])
        if w == "struct":
            node = self.m.schema.nodes[t.type_id]
            wrap = capnp.wrap_of(node)
            if wrap is None or not wrap.startswith("dashcore."):
                return None
            dc = _python_class(wrap)
            fields = [(_attr(f.name), proxy.python_name(f.name), self.from_wire(f.slot.type))
                      for f in node.struct.fields]

            def struct_from(v):
                kw = {}
                for attr, name, conv in fields:
                    x = getattr(v, attr)
                    kw[name] = x if conv is None or x is None else conv(x)
                return dc(**kw)
            return struct_from
        if w == "interface":
            node = self.m.schema.nodes[t.type_id]
            if (capnp.wrap_of(node) or "").startswith(_CALLBACK_WRAP):
                return self._callback_from(t.type_id)
            iid = t.type_id

            def interface_from(v):
                if isinstance(v, ServerAdapter):
                    return v._ipc_impl  # our own object came back
                if isinstance(v, proxy.ProxyClient):
                    return self.client_class(iid)(v)
                return v
            return interface_from
        return None

    def _callback_to(self, iid: int) -> Callable:
        call = self.m.interface_spec(iid).methods["call"]
        args_from = [self.from_wire(p.type) for p in call.params]
        result_to = self.to_wire(call.results[0].type) if call.results else None

        def callback_to(fn):
            back = getattr(fn, "_ipc_callback", None)
            if back is not None:
                return back  # the peer's callable going home

            def served(*args):
                ret = fn(*[a if c is None or a is None else c(a) for c, a in zip(args_from, args)])
                return ret if result_to is None or ret is None else result_to(ret)
            served._ipc_fn = fn  # type: ignore[attr-defined]
            return served
        return callback_to

    def _callback_from(self, iid: int) -> Callable:
        call = self.m.interface_spec(iid).methods["call"]
        args_to = [self.to_wire(p.type) for p in call.params]
        result_from = self.from_wire(call.results[0].type) if call.results else None

        def callback_from(cb):
            mine = getattr(cb, "_ipc_fn", None)
            if mine is not None:
                return mine  # our own callable came back

            def call_peer(*args):
                ret = cb(*[a if c is None or a is None else c(a) for c, a in zip(args_to, args)])
                return ret if result_from is None or ret is None else result_from(ret)
            call_peer._ipc_callback = cb  # type: ignore[attr-defined]
            return call_peer
        return callback_from

    # ------------------------------------------------------------------ adapter classes
    def client_class(self, iid: int) -> type:
        cls = self._clients.get(iid)
        if cls is None:
            with self._lock:
                cls = self._clients.get(iid)
                if cls is None:
                    cls = self._clients[iid] = self._make_client_class(iid)
        return cls

    def server_class(self, iid: int) -> type:
        cls = self._servers.get(iid)
        if cls is None:
            with self._lock:
                cls = self._servers.get(iid)
                if cls is None:
                    cls = self._servers[iid] = self._make_server_class(iid)
        return cls

    def _make_client_class(self, iid: int) -> type:
        node = self.m.schema.nodes[iid]
        base = _python_class(capnp.wrap_of(node))
        spec = self.m.interface_spec(iid)
        ns: dict[str, Any] = {"__module__": __name__, "__doc__": f"{base.__name__} of the peer process."}
        for m in spec.methods.values():
            if m.capnp_name in ("construct", "destroy"):
                continue
            ns[m.name] = self._client_method(m, getattr(base, m.name, None), quiet=(node.scoped_name == "Handler"))
        return type(f"{base.__name__}Client", (ClientAdapter, base), ns)

    def _client_method(self, m, declared: Callable | None, quiet: bool) -> Callable:
        name = m.name
        convs = [self.to_wire(p.type) for p in m.params]
        n = len(convs)
        result_from = self.from_wire(m.results[0].type) if len(m.results) == 1 else None
        signature = inspect.signature(declared) if declared is not None else None
        exceptions = m.exception_types

        def method(self, *args, **kwargs):
            if kwargs or len(args) != n:
                if signature is None:
                    raise TypeError(f"{name}() takes {n} arguments")
                bound = signature.bind(self, *args, **kwargs)
                bound.apply_defaults()
                args = tuple(bound.arguments.values())[1:]
            wire = [a if c is None or a is None else c(a) for c, a in zip(convs, args)]
            try:
                ret = getattr(self._ipc_client, name)(*wire)
            except exceptions as e:
                raise InterfaceError(e.value.message or "", e.value.code) from None
            except mpipc.Disconnected:
                if quiet:
                    return None  # a handler whose peer is gone is disconnected already
                raise
            return ret if result_from is None or ret is None else result_from(ret)
        method.__name__ = name
        method.__qualname__ = f"client.{name}"
        return method

    def _make_server_class(self, iid: int) -> type:
        node = self.m.schema.nodes[iid]
        abstract = self.m.classes(iid)[0]
        spec = self.m.interface_spec(iid)
        ns: dict[str, Any] = {"__module__": __name__, "__doc__": f"Serves a local {node.scoped_name} to the peer."}
        for m in spec.methods.values():
            if m.capnp_name == "destroy":
                continue
            ns[m.name] = self._construct_method(m) if m.capnp_name == "construct" else self._server_method(m)
        return type(f"{node.scoped_name}Server", (ServerAdapter, abstract), ns)

    def _server_method(self, m) -> Callable:
        name = m.name
        convs = [self.from_wire(p.type) for p in m.params]
        result_to = self.to_wire(m.results[0].type) if len(m.results) == 1 else None
        error_cls = m.exception_types[0] if m.exception_types else None
        error_struct = self.m.struct_class(m.exceptions[0][1].type.type_id) if m.exceptions else None

        def method(self, *wire):
            args = [a if c is None or a is None else c(a) for c, a in zip(convs, wire)]
            if error_cls is None:
                ret = getattr(self._ipc_impl, name)(*args)
            else:
                try:
                    ret = getattr(self._ipc_impl, name)(*args)
                except InterfaceError as e:
                    raise error_cls(error_struct(message=e.message, code=e.code)) from None
            return ret if result_to is None or ret is None else result_to(ret)
        method.__name__ = name
        return method

    def _construct_method(self, m) -> Callable:
        """``construct``: mpipc exchanges the ThreadMaps; the rest goes to ``impl.ipc_construct``."""
        keep = [i for i, p in enumerate(m.params) if not (p.type.which == "interface"
                                                            and p.type.type_id == proxy.THREAD_MAP_ID)]

        def construct(self, *wire):
            hook = getattr(self._ipc_impl, "ipc_construct", None)
            if hook is not None:
                hook(*[wire[i] for i in keep])
            return None
        return construct


_adapters: _Adapters | None = None
_adapters_lock = threading.Lock()


def _get() -> _Adapters:
    global _adapters
    if _adapters is None:
        with _adapters_lock:
            if _adapters is None:
                _adapters = _Adapters(capnp.module())
    return _adapters


def client(name: str, proxy_client: proxy.ProxyClient) -> Any:
    """The dashcore object (of the interface ``name``) for a proxy client of the peer's object."""
    return _get().client_class(capnp.node(name).id)(proxy_client)


def server(name: str, obj: Any) -> ServerAdapter:
    """What to serve for a local dashcore object of the interface ``name``."""
    return _get().server_class(capnp.node(name).id)(obj)


def _key(t) -> Any:
    w = t.which
    if w == "list":
        return ("list", _key(t.element_type))
    if w in ("struct", "enum", "interface"):
        return (w, t.type_id)
    return w
