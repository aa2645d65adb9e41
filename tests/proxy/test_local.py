"""Serving through ProxyServer: any object with the methods (duck-typed), in this process."""

from __future__ import annotations

import socket

import pytest

import mpipc
from mpipc.transport import Connection


def test_duck_typed_object_served_by_its_server_class(m):
    class Duck:
        def add_ints(self, a, b):
            return a * 10 + b

    a, b = socket.socketpair()
    server = Connection(b, bootstrap=m.StoreServer(Duck()), name="duck-server")
    client = Connection(a, name="duck-client")
    try:
        store = m.StoreClient(client)
        assert store.add_ints(4, 2) == 42
        with pytest.raises(mpipc.RemoteError) as info:
            store.get_pid()
        assert info.value.type_name == "AttributeError" and "get_pid" in info.value.message
        assert store.add_ints(1, 1) == 11
        store.close()
    finally:
        client.close()
        server.close()


def test_server_class_needs_an_interface():
    from mpipc.proxy import ProxyServer

    with pytest.raises(TypeError):
        ProxyServer(object())
