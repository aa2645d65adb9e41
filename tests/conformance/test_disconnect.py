"""A pycapnp peer killed while mpipc waits on it: mpipc's caller gets Disconnected promptly,
later calls fail at once, and the process goes on serving its other connections."""

from __future__ import annotations

import os
import threading
import time

import pytest

from mpipc import Disconnected

from .peer import PycapnpClient, close_and_check, connect_to_pycapnp
from .support import C, O, ConfServer, call, wait_until

pytestmark = pytest.mark.timeout(60)

PROMPT = 1.0  # seconds from the peer's death to the caller's Disconnected


def test_server_killed_mid_call(own_peer, transport, sock_dir):
    peer = own_peer("pycapnp-victim-server")
    path = None
    if transport == "unix":
        path = os.path.join(sock_dir, f"victim-{os.getpid()}-{peer.pid}.sock")
        peer.request({"op": "listen", "path": path})
    conn = connect_to_pycapnp(peer, transport, path, f"mpipc-client-victim-{transport}")
    try:
        boot = conn.bootstrap()
        assert call(conn, boot, C["ping"], n=1).n == 2
        obj = call(conn, boot, C["makeObj"], tag="k").obj
        boxes: list = [{} for _ in range(3)]

        def slow_call(box):
            try:
                box["result"] = conn.call(boot, C["slow"].interface_id, C["slow"].id,
                                          C["slow"].Params(ms=30000, n=1), C["slow"].Results)
            except Exception as exc:  # noqa: BLE001
                box["error"] = exc
            box["at"] = time.monotonic()

        # Three callers wait at once: one holds the read role, the others wait for it.
        waiters = [threading.Thread(target=slow_call, args=(box,), daemon=True) for box in boxes]
        for waiter in waiters:
            waiter.start()
        assert wait_until(lambda: len([m for m in conn.engine.messages("out", "call")
                                       if m[4:6] == (C["slow"].interface_id, C["slow"].id)]) == 3, 5)
        time.sleep(0.1)  # the peer is inside slow()
        assert not any("at" in box for box in boxes)
        peer.kill()
        killed = time.monotonic()
        for waiter in waiters:
            waiter.join(max(0.1, killed + 5 - time.monotonic()))
        assert not any(w.is_alive() for w in waiters), "a caller still waits 5 s after the peer died"
        for box in boxes:
            assert isinstance(box.get("error"), Disconnected), box
            assert box["at"] - killed < PROMPT, f"Disconnected came {box['at'] - killed:.2f} s after the kill"
            assert "disconnect" in str(box["error"])

        for cap, method, params in ((boot, C["ping"], {"n": 1}), (obj, O["get"], {"n": 2})):
            start = time.monotonic()
            with pytest.raises(Disconnected) as info:
                call(conn, cap, method, timeout=5, **params)
            assert time.monotonic() - start < 0.5, "a call after the disconnect did not fail at once"
            assert "called after disconnect" in str(info.value)
        assert not conn.alive
        assert conn.wait_closed(1)
    finally:
        close_and_check(conn)


def test_client_killed_while_server_calls_back(own_peer, client_peer, transport, sock_dir):
    """mpipc serves callObj and is calling back pycapnp's Obj when pycapnp dies."""
    peer = own_peer("pycapnp-victim-client")
    runner = PycapnpClient(peer, transport, sock_dir)
    try:
        server = ConfServer()
        _cid, conn, _ = runner.start("hang_callback", server=server)
        assert server.entered.wait(5), "callObj never ran"
        assert wait_until(lambda: conn.engine.messages("out", "call"), 5)
        time.sleep(0.1)  # pycapnp's Obj.get is running (and never answers)
        peer.kill()
        killed = time.monotonic()
        assert wait_until(lambda: server.errors, 5), "the callback call still waits 5 s after the peer died"
        error, at = server.errors[0]
        assert isinstance(error, Disconnected), error
        assert at - killed < PROMPT, f"Disconnected came {at - killed:.2f} s after the kill"
        assert conn.wait_closed(2) and not conn.alive

        # The process keeps serving its other connections.
        other = PycapnpClient(client_peer, transport, sock_dir)
        try:
            assert other.run("bootstrap").result == [42, 2]
        finally:
            other.close()
    finally:
        runner.close()
