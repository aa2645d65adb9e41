"""mpipc as the server of a pycapnp (C++ capnp-rpc) TwoPartyClient, over a socketpair and a unix socket.

Each scenario of peer_capnp.py runs on a new connection to a new mpipc ConfServer;
the scenario's result says what the pycapnp client saw, the mpipc engine's record
what went over the wire.
"""

from __future__ import annotations

import gc
import weakref

import pytest

from .support import ConfServer, wait_until

pytestmark = pytest.mark.timeout(60)


def test_bootstrap_with_call_pipelined_before_it_returns(pycapnp_client):
    run = pycapnp_client.run("bootstrap")
    assert run.result == [42, 2]
    incoming = run.conn.engine.messages("in")
    boot = [m for m in incoming if m[1] == "bootstrap"]
    assert len(boot) == 1
    calls = [m for m in incoming if m[1] == "call"]
    # pycapnp pipelines on the bootstrap's answer; mpipc answered the bootstrap first.
    assert calls[0][3] == ("promisedAnswer", boot[0][2], ()), calls[0]


def test_capabilities_as_results_and_params(pycapnp_client):
    run = pycapnp_client.run("caps")
    assert run.result == {"get": "a:5", "call_back_own": "a:6", "echo_own": "a:7", "pipelined_get": "b:8"}
    descs = [d for m in run.conn.engine.messages("in", "call") for d in m[7]]
    assert any(d[0] == "receiverHosted" for d in descs), run.conn.engine.log
    returned = [d for m in run.conn.engine.messages("out", "return") for d in m[4]]
    assert any(d[0] == "senderHosted" for d in returned)


def test_callback_called_during_the_call(pycapnp_client):
    run = pycapnp_client.run("callback")
    assert run.result == {"result": "cb:7", "again": "cb:9", "calls": [7, 9]}
    assert run.server.held is None
    # mpipc called back into pycapnp's capability while serving callObj.
    out_calls = run.conn.engine.messages("out", "call")
    assert len(out_calls) == 2 and all(m[3][0] == "importedCap" for m in out_calls)


SLOW = {"makeObj": 0.1, "echoCap": 0.1}


@pytest.mark.parametrize("delays", [{}, SLOW], ids=["fast", "slow"])
def test_pipelined_capability_passed_in_params(pycapnp_client, delays):
    # "slow": the calls pipelined on makeObj's answer arrive while it still runs.
    run = pycapnp_client.run("pipelined_param", server=ConfServer(delays))
    assert run.result == {"first": "pp:8", "second": "pp:9", "direct": "pp:10"}
    descs = [d for m in run.conn.engine.messages("in", "call") for d in m[7]]
    assert any(d[0] == "receiverAnswer" for d in descs), run.conn.engine.log


@pytest.mark.parametrize("delays", [{}, SLOW], ids=["fast", "slow"])
def test_promise_resolving_to_callers_own_capability(pycapnp_client, delays):
    """pycapnp passes its own Obj to echoCap and calls the promised result before the
    Return: mpipc must send those calls back to pycapnp (a tail call answered by
    takeFromOtherQuestion, or a forwarded call) and reflect pycapnp's Disembargo, so
    that the calls made after the resolution run after them."""
    run = pycapnp_client.run("loopback", server=ConfServer(delays))
    assert run.result["results"] == ["mine:1", "mine:2", "mine:3", "mine:4"]
    assert run.result["calls"] == [1, 2, 3, 4]
    log = run.conn.engine
    dis_in = log.messages("in", "disembargo")
    dis_out = log.messages("out", "disembargo")
    assert dis_in and dis_in[0][2] == "senderLoopback", log.log
    assert dis_out and dis_out[0][2] == "receiverLoopback" and dis_out[0][3] == dis_in[0][3]


def test_calls_pipelined_on_a_running_answer(pycapnp_client):
    # pycapnp pipelines get() on promiseObj's result while mpipc still runs promiseObj:
    # mpipc queues them on the answer and delivers them, in order, once it returns.
    server = ConfServer()
    run = pycapnp_client.run("promise", server=server, args={"ms": 150})
    assert run.result == {"results": ["pr:1", "pr:2", "pr:3", "pr:4"], "history": [1, 2, 3, 4]}
    calls = run.conn.engine.messages("in", "call")
    promised = [m for m in calls if m[3][0] == "promisedAnswer" and m[3][2] == (0,)]
    assert len(promised) >= 2, calls


@pytest.mark.parametrize("delays", [{}, {"makePair": 0.1}], ids=["fast", "slow"])
def test_pipelining_two_pointers_deep(pycapnp_client, delays):
    run = pycapnp_client.run("pair", server=ConfServer(delays))
    assert run.result == {"label": "p", "first": "p1:1", "second": "p2:2", "passed": "p2:3"}
    targets = [m[3] for m in run.conn.engine.messages("in", "call")]
    assert any(t[0] == "promisedAnswer" and t[2] == (0, 1) for t in targets), targets


def test_reentrant_callback(pycapnp_client):
    # mpipc, serving callObj, calls pycapnp's Obj, whose get calls mpipc's ping meanwhile:
    # a plain Cap'n Proto peer expects this nested call to be served.
    run = pycapnp_client.run("reentrant", timeout=2)
    assert run.result == "re:6"


def test_server_bug_in_results(pycapnp_client):
    run = pycapnp_client.run("bad_result", timeout=5)
    assert run.result["error"] is not None and run.result["after"] == 2, run.result


def test_cancellation_by_the_peer(pycapnp_client):
    server = ConfServer({"makeObj": 0.3})
    run = pycapnp_client.run("cancel", server=server)
    assert run.result == {"after": 2, "freed": True}
    log = run.conn.engine.log
    early = [m[2] for i, m in enumerate(log) if m[:2] == ("in", "finish")
             and not any(r[:3] == ("out", "return", m[2]) for r in log[:i])]
    assert early, "pycapnp canceled nothing (no Finish before the Return)"
    # Every call got its Return, canceled or not (C++ frees the question id only then).
    for i, m in enumerate(log):
        if m[:2] == ("in", "call"):
            assert any(r[:3] == ("out", "return", m[2]) for r in log[i + 1:]), f"no Return for {m}"
    assert wait_until(lambda: not run.conn.engine.answers, 2), run.conn.engine.answers
    assert len(run.conn.engine.exports) <= 1


@pytest.mark.parametrize("delays", [{}, {"makeObj": 0.1}], ids=["fast", "slow"])
def test_pipelined_on_a_failed_call(pycapnp_client, delays):
    run = pycapnp_client.run("pipeline_error", server=ConfServer(delays))
    assert run.result["call"].endswith("ValueError: !nope"), run.result
    assert run.result["pipelined"].endswith("ValueError: !nope"), run.result
    assert run.result["after"] == 2


def test_release_counts(pycapnp_client):
    server = ConfServer()
    run = pycapnp_client.run("release", server=server)
    assert run.result == {"live_before": 1, "peer_freed": True, "alive_while_held": True, "own_freed": True}
    assert run.conn.engine.messages("in", "release"), "pycapnp sent no Release"
    assert run.conn.engine.messages("out", "release"), "mpipc sent no Release"
    assert len(run.conn.engine.exports) <= 1  # only the bootstrap may remain exported


def test_server_object_freed_when_peer_drops_it(pycapnp_client):
    # The Obj pycapnp got from makeObj is gone from the mpipc process, not just from the count.
    server = ConfServer()
    run = pycapnp_client.run("caps", server=server)
    assert run.result["get"] == "a:5"

    def freed():
        gc.collect()
        return len(server.objs) == 0
    assert wait_until(freed, 5), f"{len(server.objs)} Obj still alive in mpipc after pycapnp dropped them"


def test_exceptions_both_ways(pycapnp_client):
    run = pycapnp_client.run("exceptions")
    fail = run.result["fail"]
    assert fail["type"] == "FAILED"
    assert fail["description"] == "remote exception: ValueError: boom from pycapnp", fail
    sent = [m for m in run.conn.engine.messages("out", "return") if m[3] == "exception"]
    assert sent and sent[0][5] == "ValueError: boom from pycapnp", sent
    # pycapnp's Obj.fail raised PermissionError; mpipc's RemoteError reason carries it.
    assert "PermissionError: denied here" in run.result["callFail"], run.result["callFail"]
    assert run.result["after"] == 2


def test_one_mebibyte_data(pycapnp_client):
    run = pycapnp_client.run("big")
    assert run.result == {"same": True, "len": 1 << 20}


def test_many_calls_in_flight(pycapnp_client):
    run = pycapnp_client.run("many", args={"count": 200})
    assert run.result == {"ok": True}
    assert len(run.conn.engine.answers) == 0 or all(a.returned for a in run.conn.engine.answers.values())
