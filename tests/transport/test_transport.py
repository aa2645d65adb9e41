"""The transport: concurrent callers, a reader left behind, disconnects and garbage bytes."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref

import pytest

import mpipc
from mpipc.demo.adder import ADDER, ECHO, AdderClient, AdderServer, CallbackServer, EchoParams, EchoResults
from mpipc.transport import Connection


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    server = Connection(b, bootstrap=AdderServer(), name="server")
    client = Connection(a, name="client")
    yield client, server
    client.close()
    server.close()


def test_many_threads_each_get_their_own_answer(pair):
    client, _ = pair
    adder = AdderClient(client)
    wrong = []

    def work(k):
        for i in range(50):
            if adder.add(k, i) != k + i:
                wrong.append((k, i))

    threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert wrong == []


def test_callback_and_large_data(pair):
    client, _ = pair
    adder = AdderClient(client)
    seen = []
    assert adder.add_with_callback(20, 1, CallbackServer(lambda v: seen.append(v) or v * 2)) == 41
    assert seen == [20]
    blob = os.urandom(1 << 20)
    assert adder.echo(blob) == blob


def test_release_reaches_an_idle_peer(pair):
    """With no thread waiting on either side, the peer still reads our Release."""
    client, server = pair
    adder = AdderClient(client)
    callback = CallbackServer()
    ref = weakref.ref(callback)
    assert adder.add_with_callback(1, 1, callback) == 3
    del callback
    gc.collect()
    deadline = time.monotonic() + 5
    while ref() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.01)
    assert ref() is None, "the callback export was never released"


def test_garbage_bytes_end_the_connection_not_the_process():
    a, b = socket.socketpair()
    server = Connection(b, bootstrap=AdderServer(), name="server")
    try:
        a.sendall(b"\xff\xff\xff\x7f" + b"\x00" * 60)  # a segment count no frame has
        a.settimeout(5)
        rest = b""
        while True:
            chunk = a.recv(4096)
            if not chunk:
                break
            rest += chunk
        assert server.wait_closed(5)
        assert not server.alive
    finally:
        a.close()
        server.close()


def test_peer_killed_mid_call_raises_disconnected_then_fails_fast(tmp_path):
    parent, child = socket.socketpair()
    proc = subprocess.Popen([sys.executable, "-m", "mpipc.demo", "--serve", str(child.fileno())],
                            pass_fds=[child.fileno()])
    child.close()
    conn = Connection(parent, name="client")
    try:
        adder = AdderClient(conn)
        assert adder.add(1, 2) == 3
        errors = []

        def slow_callback(v):
            os.kill(proc.pid, signal.SIGKILL)  # the peer dies while our call is in flight
            time.sleep(0.2)
            return v

        def call():
            try:
                adder.add_with_callback(1, 2, CallbackServer(slow_callback))
            except mpipc.Disconnected as exc:
                errors.append((time.monotonic(), exc))

        start = time.monotonic()
        t = threading.Thread(target=call)
        t.start()
        t.join(10)
        assert not t.is_alive()
        assert errors and errors[0][0] - start < 2
        assert "disconnect" in str(errors[0][1])
        start = time.monotonic()
        with pytest.raises(mpipc.Disconnected, match="after disconnect"):
            adder.add(1, 2)
        assert time.monotonic() - start < 1
    finally:
        conn.close()
        proc.kill()
        proc.wait(10)


def test_remote_exception_carries_type_and_message(pair):
    client, _ = pair
    adder = AdderClient(client)
    with pytest.raises(mpipc.RemoteError) as info:
        client.call(adder.cap, ADDER.id, 99, None)
    assert info.value.type_name == "NotImplementedError"
    assert "method 99" in info.value.message
    assert adder.add(2, 2) == 4  # the server keeps serving


def test_large_results_still_unread_keep_their_buffer(pair):
    """Large frames reuse one receive buffer only once nothing reads the last one: results
    taken but not yet decoded stay intact while more large frames arrive."""
    client, _ = pair
    cap = client.bootstrap()
    first, second = os.urandom(1 << 20), os.urandom(1 << 20)
    question, content, caps = client.call_raw(cap, ADDER.id, ECHO, EchoParams(data=first))
    try:
        assert AdderClient(client, cap).echo(second) == second
        assert AdderClient(client, cap).echo(second[:-8]) == second[:-8]  # a smaller one
        assert content.as_struct(EchoResults, cap_table=caps).data == first
    finally:
        client._done(question)
