"""1:1 threading between two real processes: each calling thread gets its own worker in
the peer, and callbacks run on the thread that made the call."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

import mpipc
from mpipc.transport import Connection

from .service import CALL_BACK, MAKE_SVC, NO_CONTEXT, SLEEP, WHOAMI, WORKER_COUNT, Served, connect_client, whoami

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def child():
    """A child process serving TInit; its Connection and the Init and Svc caps."""
    parent, theirs = socket.socketpair()
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "service.py"), str(theirs.fileno())],
                            pass_fds=[theirs.fileno()])
    theirs.close()
    conn, init = connect_client(parent)
    svc = MAKE_SVC(conn, init).result
    yield conn, init, svc
    conn.close()
    proc.wait(10)


class Callback(Served):
    """A Cb that records where it ran, then calls the service again while depth > 0."""

    def __init__(self, svc, on_call=None):
        self.svc = svc
        self.on_call = on_call
        self.seen = []

    def call(self, conn, p):
        self.seen.append((p.depth, threading.get_ident()))
        if self.on_call is not None:
            self.on_call()
        if p.depth > 0:
            return f"cb{p.depth}:{whoami()}|" + CALL_BACK(conn, self.svc, cb=self, depth=p.depth - 1).result
        return f"cb0:{whoami()}"


def test_callback_runs_on_the_calling_thread(child):
    conn, _, svc = child
    local = threading.local()
    local.value = "mine"
    seen_local = []
    cb = Callback(svc, on_call=lambda: seen_local.append(getattr(local, "value", None)))
    out = CALL_BACK(conn, svc, cb=cb, depth=0).result
    assert cb.seen == [(0, threading.get_ident())]
    assert seen_local == ["mine"]
    assert out.endswith(f"cb0:{whoami()}")


def test_an_rlock_held_by_the_caller_is_reacquired_in_the_callback(child):
    conn, _, svc = child
    lock = threading.RLock()
    got = []

    def take():
        got.append(lock.acquire(timeout=2))
        lock.release()

    with lock:
        CALL_BACK(conn, svc, cb=Callback(svc, on_call=take), depth=0)
    assert got == [True]


def test_recursion_twenty_levels_deep(child):
    conn, _, svc = child
    cb = Callback(svc)
    out = CALL_BACK(conn, svc, cb=cb, depth=20).result
    hops = out.split("|")
    assert len(hops) == 42  # svc20 cb20 svc19 cb19 ... svc0 cb0
    assert [d for d, _ in cb.seen] == list(range(20, -1, -1))
    assert {ident for _, ident in cb.seen} == {threading.get_ident()}
    # Every level of the service ran on the one worker that serves this thread.
    assert len({h.split(":", 1)[1] for h in hops if h.startswith("svc")}) == 1


def test_eight_threads_run_in_parallel_each_on_its_own_worker(child):
    conn, _, svc = child
    results, errors = {}, []

    def work(k):
        try:
            results[k] = SLEEP(conn, svc, seconds=0.2, tag=k).result
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,), name=f"caller-{k}") for k in range(8)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    elapsed = time.monotonic() - start
    assert not errors, errors
    assert sorted(results) == list(range(8))
    workers = {r.split(":")[1] for r in results.values()}
    assert len(workers) == 8, results
    assert all(w.startswith("test/caller-") for w in workers), workers
    assert elapsed < 0.6, f"8 calls of 0.2 s took {elapsed:.2f} s"


def test_calls_from_one_thread_stay_in_order_on_one_worker(child):
    conn, _, svc = child
    runs = [SLEEP(conn, svc, seconds=0, tag=i).result.split(":") for i in range(30)]
    assert [int(r[0]) for r in runs] == list(range(30))
    assert len({r[1] for r in runs}) == 1
    starts = [float(r[3]) for r in runs]
    assert starts == sorted(starts)


def test_a_worker_per_thread_and_it_ends_with_the_thread(child):
    conn, init, svc = child
    before = WORKER_COUNT(conn, init).result
    names, called, finish = [], threading.Event(), threading.Event()

    def once():
        names.append(WHOAMI(conn, svc).result)
        called.set()
        finish.wait(10)

    t = threading.Thread(target=once, name="short-lived")
    t.start()
    assert called.wait(10)
    assert names[0].startswith("test/short-lived:")
    assert WORKER_COUNT(conn, init).result == before + 1
    finish.set()
    t.join(10)
    # The thread's reference to its worker goes with it; the peer's worker then ends.
    deadline = time.monotonic() + 5
    while WORKER_COUNT(conn, init).result != before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert WORKER_COUNT(conn, init).result == before


def test_calls_without_context_run_on_the_connection_worker(child):
    conn, _, svc = child
    assert NO_CONTEXT(conn, svc, x=41).result == 42


def test_a_context_naming_no_thread_is_a_clear_error_until_a_pool_is_made():
    a, b = socket.socketpair()
    from .service import Context, InitServer, SvcServer  # noqa: F401 (same process is enough here)
    server = Connection(b, bootstrap=InitServer(), name="server")
    client, init = connect_client(a)
    try:
        svc = MAKE_SVC(client, init).result
        params = WHOAMI.Params(context=Context())
        with pytest.raises(mpipc.RemoteError, match="names no thread"):
            client.call(svc, WHOAMI.iface, WHOAMI.id, params, WHOAMI.Results)
        from mpipc.threads import MAKE_POOL, THREAD_MAP, MakePoolParams, MakePoolResults
        client.call(client.peer_thread_map, THREAD_MAP.id, MAKE_POOL, MakePoolParams(count=2), MakePoolResults)
        assert client.call(svc, WHOAMI.iface, WHOAMI.id, params, WHOAMI.Results).result.startswith("server-pool-")
    finally:
        client.close()
        server.close()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_worker_threads_and_descriptors_end_with_the_connection():
    before = set(threading.enumerate())
    fds_before = _open_fds()
    a, b = socket.socketpair()
    from .service import InitServer
    server = Connection(b, bootstrap=InitServer(), name="srv")
    client, init = connect_client(a)
    svc = MAKE_SVC(client, init).result
    done = []
    threads = [threading.Thread(target=lambda: done.append(WHOAMI(client, svc).result)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(done) == 3
    client.close()
    server.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and set(threading.enumerate()) - before:
        time.sleep(0.02)
    assert not (set(threading.enumerate()) - before)
    assert _open_fds() == fds_before  # sockets and wake pipes are all closed


def test_send_then_wait_and_pipelining(child):
    conn, init, _ = child
    made = MAKE_SVC.send(conn, init)
    # A call pipelined on the Svc that makeSvc has not returned yet.
    pipelined = WHOAMI.send(conn, made.pipeline(0))
    assert pipelined.wait(10).result.startswith("test/MainThread:")
    assert made.done and made.wait(10).result is not None


def test_a_timeout_cancels_the_call_and_the_connection_goes_on(child):
    conn, _, svc = child
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        SLEEP(conn, svc, seconds=0.5, tag=1, timeout=0.1)
    assert time.monotonic() - start < 0.4
    # The canceled call still runs to its end in the child; calls after it are answered.
    assert SLEEP(conn, svc, seconds=0, tag=2, timeout=5).result.startswith("2:")


def test_wait_with_a_timeout_keeps_the_call_pending(child):
    conn, _, svc = child
    pending = SLEEP.send(conn, svc, seconds=0.3, tag=3)
    with pytest.raises(TimeoutError):
        pending.wait(0.05)
    assert not pending.done
    assert pending.wait(5).result.startswith("3:")
    with pytest.raises(mpipc.MpipcError, match="already taken"):
        pending.wait(1)


def test_a_callers_callback_thread_is_not_released_after_every_call():
    """libmultiprocess callers send their callbackThread with each call: the worker keeps
    it (no Release frame per call) and lets it go when the calling thread ends."""
    from .service import InitServer
    a, b = socket.socketpair()
    server = Connection(b, bootstrap=InitServer(), name="srv")
    client, init = connect_client(a)
    try:
        svc = MAKE_SVC(client, init).result
        seen = []
        decode = client.engine.decode
        client.engine.decode = lambda segments: seen.append(decode(segments)) or seen[-1]
        exports = []

        releases_while_calling = []

        def calls():
            for _ in range(30):
                WHOAMI(client, svc)
            # Counted before the thread ends (its end starts the releases).
            releases_while_calling.append([m.which for m in seen].count("release"))
            exports.append(len(list(client.engine.exports)))

        t = threading.Thread(target=calls)
        t.start()
        t.join(10)
        assert releases_while_calling == [0]
        # The thread is gone: its worker ends, and the callbackThread it held is released.
        deadline = time.monotonic() + 5
        while len(list(client.engine.exports)) >= exports[0] and time.monotonic() < deadline:
            WHOAMI(client, svc)  # keeps frames flowing; the Release rides along
            time.sleep(0.01)
        assert len(list(client.engine.exports)) < exports[0]
        assert any(m.which == "release" for m in seen)
    finally:
        client.close()
        server.close()
