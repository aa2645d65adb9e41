"""The mpipc module of the interfaces' .capnp schemas, loaded once per process."""

from __future__ import annotations

import glob
import os
import threading

from mpipc import proxy

from ..interfaces import SCHEMA_DIR

#: ``$Proxy.wrap`` (struct, interface): the Python type a capnp type stands for.
PROXY_WRAP = 0xE6F46079B7B1405E

_lock = threading.Lock()
_module: proxy.Module | None = None


def module() -> proxy.Module:
    """The generated classes of every schema in ``dashcore/interfaces`` (one parse per process)."""
    global _module
    if _module is None:
        with _lock:
            if _module is None:
                files = sorted(glob.glob(os.path.join(SCHEMA_DIR, "*.capnp")))
                _module = proxy.load(files, imports=[SCHEMA_DIR])
    return _module


def node(name: str):
    """The schema node of a struct or interface by its short name (``"Chain"``)."""
    return module().schema.find(name)


def classes(name: str) -> tuple[type, type, type]:
    """(abstract, client, server) classes of an interface by its schema name.

    By id: ``Chain``'s client is not ``module().ChainClient``, which is the schema's own
    interface ``ChainClient`` (mpipc names Chain's client ``ChainProxyClient``).
    """
    return module().classes(node(name).id)


def struct(name: str) -> type:
    """The codec class of a struct by name."""
    return module().struct_class(node(name).id)


def wrap_of(schema_node) -> str | None:
    """The ``$Proxy.wrap`` text of a node, if any."""
    for a in schema_node.annotations:
        if a.id == PROXY_WRAP:
            return a.value.value
    return None
