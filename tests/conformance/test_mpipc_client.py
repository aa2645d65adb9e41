"""mpipc as the client of a pycapnp (C++ capnp-rpc) TwoPartyServer, over a socketpair and a unix socket."""

from __future__ import annotations

import gc
import os
import threading
import time
import weakref

import pytest

from mpipc import Disconnected, RemoteError
from mpipc.rpc.caps import ImportCap, LocalCap

from .support import C, O, Batch, ObjServer, PendingCall, ReentrantObj, bounded, call, wait_until

pytestmark = pytest.mark.timeout(60)


def test_bootstrap_with_call_pipelined_before_it_returns(mpipc_client):
    conn = mpipc_client
    with Batch(conn) as b:
        boot = b.bootstrap()
        first = b.call(boot, C["ping"], n=41)
        second = b.call(boot, C["ping"], n=-8)
    assert first.wait().n == 42
    assert second.wait().n == -7
    out = conn.engine.messages("out")
    assert out[0] == ("out", "bootstrap", 0)
    # Both calls target the bootstrap's promised answer: they left before its Return.
    assert out[1][:3] == ("out", "call", 1) and out[1][3] == ("promisedAnswer", 0, ())
    assert out[2][3] == ("promisedAnswer", 0, ())
    # Once the bootstrap has returned, calls go to the imported capability.
    assert call(conn, boot, C["ping"], n=1).n == 2
    calls = conn.engine.messages("out", "call")
    assert calls[-1][3][0] == "importedCap", calls[-1]


def test_capabilities_as_results_and_params(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    obj = call(conn, boot, C["makeObj"], tag="a").obj
    assert isinstance(obj, ImportCap)
    assert call(conn, obj, O["get"], n=5).result == "a:5"
    # The peer's own capability sent back to it: receiverHosted.
    assert call(conn, boot, C["callObj"], obj=obj, n=6).result == "a:6"
    sent = conn.engine.messages("out", "call")[-1]
    assert sent[7] == [("receiverHosted", obj.import_id)], sent
    echoed = call(conn, boot, C["echoCap"], obj=obj).obj
    assert call(conn, echoed, O["get"], n=7).result == "a:7"
    # A call pipelined on a capability in results not yet returned.
    with Batch(conn) as b:
        made = b.call(boot, C["makeObj"], tag="b")
        got = b.call(made.pipeline(0), O["get"], n=8)
    assert got.wait().result == "b:8"
    assert made.wait().obj is not None
    assert conn.engine.messages("out", "call")[-1][3] == ("promisedAnswer", made.question.id, (0,))


def test_callback_called_during_the_call(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    mine = ObjServer("cb")
    assert call(conn, boot, C["callObj"], obj=mine, n=7).result == "cb:7"
    assert mine.calls == [7]
    # Held by the peer beyond the call, then called back from another call.
    call(conn, boot, C["holdObj"], obj=mine)
    assert call(conn, boot, C["callHeld"], n=9).result == "cb:9"
    assert mine.calls == [7, 9]
    call(conn, boot, C["dropObj"])


def test_pipelined_capability_passed_in_params(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    with Batch(conn) as b:
        made = b.call(boot, C["makeObj"], tag="pp")
        promised = made.pipeline(0)
        used = b.call(boot, C["callObj"], obj=promised, n=8)
        echoed = b.call(boot, C["echoCap"], obj=promised)
    assert used.wait().result == "pp:8"
    assert call(conn, echoed.wait().obj, O["get"], n=9).result == "pp:9"
    obj = made.wait().obj
    assert call(conn, obj, O["get"], n=10).result == "pp:10"
    sent = [m for m in conn.engine.messages("out", "call") if m[2] == used.question.id][0]
    assert sent[7] == [("receiverAnswer", (made.question.id, (0,)))], sent


def test_promise_resolving_to_own_capability_embargo(mpipc_client):
    """echoCap(mine) gives back mpipc's own capability: calls pipelined on the promise
    go to the peer and come back; after the Return the capability is local, so mpipc
    must embargo it (Disembargo senderLoopback) and run later calls only once the
    peer has reflected it, after the earlier ones."""
    conn = mpipc_client
    boot = conn.bootstrap()
    call(conn, boot, C["ping"], n=0)  # the bootstrap has returned
    mine = ObjServer("mine")
    with Batch(conn) as b:
        echoed = b.call(boot, C["echoCap"], obj=mine)
        promised = echoed.pipeline(0)
        early = [b.call(promised, O["get"], n=1), b.call(promised, O["get"], n=2)]
    results = echoed.wait()
    assert isinstance(results.obj, LocalCap) and results.obj.server is mine
    late = call(conn, promised, O["get"], n=3)
    assert [p.wait().result for p in early] == ["mine:1", "mine:2"]
    assert late.result == "mine:3"
    # All three ran here. (Their order is what the next test checks, deterministically:
    # here the late call races with the worker running the first two.)
    assert sorted(mine.calls) == [1, 2, 3]
    sent = conn.engine.messages("out", "disembargo")
    assert sent and sent[0][2] == "senderLoopback", conn.engine.log
    assert sent[0][4] == ("promisedAnswer", echoed.question.id, (0,))
    got = conn.engine.messages("in", "disembargo")
    assert got and got[0][2] == "receiverLoopback" and got[0][3] == sent[0][3]
    # Direct calls on the resolved capability stay local.
    assert call(conn, results.obj, O["get"], n=4).result == "mine:4"
    assert sorted(mine.calls) == [1, 2, 3, 4] and mine.calls[-1] == 4


def test_promise_capability_resolved_by_the_peer(mpipc_client):
    """pycapnp returns a promise (senderPromise) that it later resolves (Resolve) to
    the real Obj: calls made on the promise before and after the Resolve all arrive,
    in order, and the promise import is released."""
    conn = mpipc_client
    boot = conn.bootstrap()
    obj = call(conn, boot, C["promiseObj"], tag="pr", ms=200).obj
    ret = [m for m in conn.engine.messages("in", "return") if m[4]][-1]
    assert ret[4][0][0] == "senderPromise", ret
    promise_id = ret[4][0][1]
    early = [PendingCall(conn, obj, O["get"], n=1), PendingCall(conn, obj, O["get"], n=2)]
    assert wait_until(lambda: conn.engine.messages("in", "resolve"), 5), "no Resolve came"
    late = call(conn, obj, O["get"], n=3)
    assert [p.wait().result for p in early] == ["pr:1", "pr:2"]
    assert late.result == "pr:3"
    assert call(conn, obj, O["history"]).calls == [1, 2, 3]
    resolve = conn.engine.messages("in", "resolve")[0]
    assert resolve[2] == promise_id and resolve[3] == "cap"
    last = conn.engine.messages("out", "call")[-1]
    assert last[3][0] == "importedCap" and last[3][1] != promise_id, "calls still go to the promise"
    # The promise itself is released once resolved; the Obj when its last reference goes.
    assert wait_until(lambda: any(m[2] == promise_id for m in conn.engine.messages("out", "release")), 5)
    del obj, early, late
    gc.collect()
    assert wait_until(lambda: call(conn, boot, C["liveObjs"]).count == 0, 5)


def test_embargo_keeps_order_behind_calls_still_queued(mpipc_client):
    """As above, but mpipc's worker is busy when the calls pipelined on the promise
    come back: they wait in its inbox. The call made after the resolution must still
    run after them (E-order), not as soon as the Disembargo comes back."""
    conn = mpipc_client
    boot = conn.bootstrap()
    call(conn, boot, C["ping"], n=0)
    release = threading.Event()
    blocker = ObjServer("blk", hang=release)
    busy = PendingCall(conn, boot, C["callObj"], obj=blocker, n=0)  # occupies mpipc's worker
    try:
        assert wait_until(lambda: blocker.calls == [0], 5), "the peer did not call back"
        mine = ObjServer("mine")
        with Batch(conn) as b:
            echoed = b.call(boot, C["echoCap"], obj=mine)
            promised = echoed.pipeline(0)
            early = [b.call(promised, O["get"], n=1), b.call(promised, O["get"], n=2)]
        echoed.wait()
        box: dict = {}
        late = threading.Thread(target=lambda: box.setdefault(
            "r", conn.call(promised, O["get"].interface_id, O["get"].id, O["get"].Params(n=3),
                           O["get"].Results)), daemon=True)
        late.start()
        wait_until(lambda: conn.engine.messages("in", "disembargo"), 2)
        time.sleep(0.2)
        order_while_busy = list(mine.calls)
    finally:
        release.set()
    assert busy.wait().result == "blk:0"
    assert [p.wait().result for p in early] == ["mine:1", "mine:2"]
    late.join(5)
    assert box.get("r") is not None and box["r"].result == "mine:3"
    assert mine.calls == [1, 2, 3], (
        f"E-order broken: ran {mine.calls} (while the worker was busy: {order_while_busy})")


def test_pipelining_two_pointers_deep(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    with Batch(conn) as b:
        made = b.call(boot, C["makePair"], tag="p")
        first = b.call(made.pipeline(0, 1), O["get"], n=1)
        second = b.call(made.pipeline(0, 2), O["get"], n=2)
        passed = b.call(boot, C["callObj"], obj=made.pipeline(0, 2), n=3)
    assert first.wait().result == "p1:1"
    assert second.wait().result == "p2:2"
    assert passed.wait().result == "p2:3"
    pair = made.wait().pair
    assert pair.label == "p"
    assert call(conn, pair.first, O["get"], n=4).result == "p1:4"
    targets = [m[3] for m in conn.engine.messages("out", "call")]
    qid = made.question.id
    assert ("promisedAnswer", qid, (0, 1)) in targets and ("promisedAnswer", qid, (0, 2)) in targets
    sent = [m for m in conn.engine.messages("out", "call") if m[2] == passed.question.id][0]
    assert sent[7] == [("receiverAnswer", (qid, (0, 2)))], sent


def test_reentrant_callback(mpipc_client):
    # pycapnp, serving callObj, calls mpipc's Obj, which calls pycapnp's ping meanwhile.
    conn = mpipc_client
    boot = conn.bootstrap()
    mine = ReentrantObj(conn, boot)
    assert call(conn, boot, C["callObj"], obj=mine, n=5).result == "re:6"


def test_server_bug_in_results(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    with pytest.raises(RemoteError):
        call(conn, boot, C["badResult"])
    assert call(conn, boot, C["ping"], n=1).n == 2


def test_unimplemented_method(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    with pytest.raises(RemoteError) as info:
        bounded(lambda: conn.call(boot, C["ping"].interface_id, 99, C["ping"].Params(n=1), C["ping"].Results))
    assert info.value.kind == "unimplemented", info.value
    assert call(conn, boot, C["ping"], n=1).n == 2


def test_resolve_to_own_capability_embargo(mpipc_client):
    """delayedEcho(mine) gives a promise (senderPromise) that pycapnp resolves (Resolve,
    receiverHosted) to mpipc's own capability. Calls made on the promise before go
    round through pycapnp; after the Resolve mpipc must embargo (Disembargo
    senderLoopback on the promise import) before calling locally."""
    conn = mpipc_client
    boot = conn.bootstrap()
    mine = ObjServer("own")
    obj = call(conn, boot, C["delayedEcho"], obj=mine, ms=200).obj
    assert isinstance(obj, ImportCap) and obj.entry.is_promise, obj
    promise_id = obj.import_id
    early = [PendingCall(conn, obj, O["get"], n=1), PendingCall(conn, obj, O["get"], n=2)]
    assert wait_until(lambda: conn.engine.messages("in", "resolve"), 5), "no Resolve came"
    late = call(conn, obj, O["get"], n=3)
    assert [p.wait().result for p in early] == ["own:1", "own:2"]
    assert late.result == "own:3"
    assert sorted(mine.calls) == [1, 2, 3]  # order: see test_embargo_keeps_order_behind_calls_still_queued
    sent = conn.engine.messages("out", "disembargo")
    assert sent and sent[0][2] == "senderLoopback" and sent[0][4] == ("importedCap", promise_id), conn.engine.log
    got = conn.engine.messages("in", "disembargo")
    assert got and got[0][2] == "receiverLoopback" and got[0][3] == sent[0][3]
    assert obj.resolved() is not obj and obj.resolved().server is mine


def test_pipelined_on_a_failed_call(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    with Batch(conn) as b:
        made = b.call(boot, C["makeObj"], tag="!nope")
        promised = made.pipeline(0)
        got = b.call(promised, O["get"], n=1)
    for pending in (made, got):
        with pytest.raises(RemoteError) as info:
            pending.wait()
        assert "ValueError: !nope" in info.value.reason, info.value.reason
    # Once failed, the promised capability is broken: calls fail at once, locally.
    start = time.monotonic()
    with pytest.raises(RemoteError) as info:
        call(conn, promised, O["get"], n=2)
    assert "ValueError: !nope" in info.value.reason
    assert time.monotonic() - start < 0.5
    assert call(conn, boot, C["ping"], n=1).n == 2


def test_close_while_calls_wait(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    assert call(conn, boot, C["ping"], n=1).n == 2
    box: dict = {}

    def slow():
        try:
            conn.call(boot, C["slow"].interface_id, C["slow"].id, C["slow"].Params(ms=30000, n=1),
                      C["slow"].Results)
        except Exception as exc:  # noqa: BLE001
            box["error"] = exc
        box["at"] = time.monotonic()

    waiter = threading.Thread(target=slow, daemon=True)
    waiter.start()
    assert wait_until(lambda: any(m[5] == C["slow"].id for m in conn.engine.messages("out", "call")), 5)
    time.sleep(0.05)
    start = time.monotonic()
    bounded(conn.close, 3, "close")
    assert time.monotonic() - start < 1.0, "close() took over 1 s with a call waiting"
    waiter.join(2)
    assert isinstance(box.get("error"), Disconnected), box
    assert box["at"] - start < 1.0
    with pytest.raises(Disconnected):
        call(conn, boot, C["ping"], n=1, timeout=2)


def test_release_of_peer_capability(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()

    def live():
        return call(conn, boot, C["liveObjs"]).count

    obj = call(conn, boot, C["makeObj"], tag="r1").obj
    assert live() == 1
    import_id = obj.import_id
    conn.release(obj)
    assert wait_until(lambda: live() == 0), "pycapnp's Obj still alive after an explicit release"
    assert ("in", "release") not in [m[:2] for m in conn.engine.messages("in")]
    assert [m for m in conn.engine.messages("out", "release") if m[2] == import_id]

    # The same by garbage collection of the last reference, while no call is made:
    # the connection's own thread sends the Release.
    results = call(conn, boot, C["makeObj"], tag="r2")
    obj2 = results.obj
    assert obj2 is not None and live() == 1
    import_id = obj2.import_id
    del results, obj2
    gc.collect()
    assert wait_until(lambda: [m for m in conn.engine.messages("out", "release") if m[2] == import_id], 2), \
        "no Release sent for a collected CapRef while the connection was idle"
    assert wait_until(lambda: live() == 0, 5), "pycapnp's Obj still alive after its CapRef was collected"

    # Received twice (two Returns), released once with both references.
    r1 = call(conn, boot, C["makeObj"], tag="r3").obj
    r2 = call(conn, boot, C["echoCap"], obj=r1).obj
    assert r2 is r1
    conn.release(r1)
    del r1, r2
    assert wait_until(lambda: live() == 0)
    rel = conn.engine.messages("out", "release")[-1]
    assert rel[3] == 2, rel


def test_release_of_own_capability(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    mine = ObjServer("held")
    ref = weakref.ref(mine)
    # Sent three times: the export is counted and released as often.
    assert call(conn, boot, C["callObj"], obj=mine, n=1).result == "held:1"
    call(conn, boot, C["holdObj"], obj=mine)
    assert call(conn, boot, C["callObj"], obj=mine, n=2).result == "held:2"
    del mine
    gc.collect()
    assert ref() is not None, "freed while the peer still holds it"
    assert len(conn.engine.exports) == 1
    call(conn, boot, C["dropObj"])

    def freed():
        gc.collect()
        return ref() is None
    assert wait_until(freed, 5), "mpipc's Obj still alive after the peer released it"
    assert len(conn.engine.exports) == 0
    assert conn.engine.messages("in", "release")


def test_exceptions_both_ways(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    with pytest.raises(RemoteError) as info:
        call(conn, boot, C["fail"], message="boom from mpipc's peer")
    assert "ValueError: boom from mpipc's peer" in info.value.reason
    assert info.value.kind == "failed"
    # mpipc's callback raises: the peer sees "TypeName: message".
    reason = call(conn, boot, C["callFail"], obj=ObjServer("f"), message="denied").reason
    assert reason.endswith("PermissionError: denied"), reason
    sent = [m for m in conn.engine.messages("out", "return") if m[3] == "exception"]
    assert sent and sent[-1][5] == "PermissionError: denied", sent
    # The connection is still fine.
    assert call(conn, boot, C["ping"], n=1).n == 2


def test_one_mebibyte_data(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    data = os.urandom(1 << 20)
    back = call(conn, boot, C["echoData"], data=data, timeout=20).data
    assert len(back) == len(data) and back == data


def test_many_calls_in_flight(mpipc_client):
    conn = mpipc_client
    boot = conn.bootstrap()
    assert call(conn, boot, C["ping"], n=0).n == 1
    errors: list = []
    results: dict = {}

    def worker(k):
        try:
            for i in range(25):
                n = k * 1000 + i
                if i % 5 == 0:
                    r = conn.call(boot, C["slow"].interface_id, C["slow"].id,
                                  C["slow"].Params(ms=5, n=n), C["slow"].Results).n
                elif i % 5 == 1:  # with a callback into this process
                    text = conn.call(boot, C["callObj"].interface_id, C["callObj"].id,
                                     C["callObj"].Params(obj=ObjServer(f"t{k}"), n=n),
                                     C["callObj"].Results).result
                    r = n if text == f"t{k}:{n}" else text
                else:
                    r = conn.call(boot, C["ping"].interface_id, C["ping"].id,
                                  C["ping"].Params(n=n), C["ping"].Results).n - 1
                results[n] = r
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(8)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.1, 20 - (time.monotonic() - start)))
    assert not [t for t in threads if t.is_alive()], "calls still waiting after 20 s"
    assert not errors, errors
    assert results == {n: n for n in results} and len(results) == 200
    # And many outstanding at once from one thread, pipelined.
    with Batch(conn) as b:
        pending = [b.call(boot, C["ping"], n=i) for i in range(100)]
    assert [p.wait().n for p in pending] == list(range(1, 101))
    assert len(conn.engine.questions) == 0, "questions left in the table"
