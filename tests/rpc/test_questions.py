"""Question lifetimes: noFinishNeeded (rpc.capnp, Return), releases of pipelined caps, params that fail to encode."""

from __future__ import annotations

import pytest

from mpipc import EncodeError, ProtocolError, codec
from mpipc.demo.adder import ADD, ADDER, AddParams, AddResults, AdderServer
from mpipc.rpc import events as ev
from mpipc.rpc import messages as M
from mpipc.rpc.engine import CapWriter, RpcEngine


def _deliver(src: RpcEngine, dst: RpcEngine) -> tuple[list, list]:
    """Move src's frames to dst: (the messages sent, the events dst gave)."""
    sent, events = [], []
    for frame in src.take_outbox():
        segments, _ = codec.read_frame(frame)
        sent.append(codec.decode_segments(M.Message, segments))
        events += dst.receive(segments)
    return sent, events


@pytest.fixture
def pair():
    client, server = RpcEngine(None, "client"), RpcEngine(AdderServer(), "server")
    cap = client.bootstrap()
    _deliver(client, server)
    _deliver(server, client)
    return client, server, cap


def _call(client, server, cap):
    question = client.call(cap, ADDER.id, ADD, AddParams(a=2, b=3))
    _, events = _deliver(client, server)
    (call,) = [e for e in events if isinstance(e, ev.IncomingCall)]
    return question, call


def test_capless_results_say_no_finish_needed_and_the_caller_sends_none(pair):
    client, server, cap = pair
    question, call = _call(client, server, cap)
    server.return_results(call.answer, AddResults(result=5))
    (ret,), _ = _deliver(server, client)
    assert ret.return_.noFinishNeeded is True
    assert call.answer.id not in server.answers  # forgotten at once
    assert question.content.as_struct(AddResults).result == 5
    client.done(question)
    assert client.take_outbox() == []  # no Finish
    # The question id is free again: the next call reuses it, and the server takes it.
    question2, call2 = _call(client, server, cap)
    assert question2.id == question.id and call2.answer.id == call.answer.id


def test_a_finish_an_older_peer_sends_anyway_is_ignored(pair):
    client, server, cap = pair
    _, call = _call(client, server, cap)
    server.return_results(call.answer, AddResults(result=5))
    server.take_outbox()
    late = M.Message(finish=M.Finish(questionId=call.answer.id, releaseResultCaps=False))
    assert server.receive(codec.read_frame(codec.encode(late))[0]) == []
    assert server.error is None
    # A second Finish for that id is a real protocol error.
    events = server.receive(codec.read_frame(codec.encode(late))[0])
    assert any(isinstance(e, ev.Aborted) for e in events)
    assert isinstance(server.error, ProtocolError)


def test_results_that_may_hold_capabilities_still_need_a_finish(pair):
    client, server, cap = pair
    question, call = _call(client, server, cap)
    server.return_results(call.answer, None, caps=[AdderServer()])
    (ret,), _ = _deliver(server, client)
    assert ret.return_.noFinishNeeded is False
    client.done(question)
    (finish,), _ = _deliver(client, server)
    assert finish.which == "finish" and finish.finish.questionId == question.id


def test_may_hold_caps_follows_the_schema():
    rpc_payload, rpc_finish = M.Payload, M.Finish
    assert rpc_payload.may_hold_caps is True  # AnyPointer content
    assert rpc_finish.may_hold_caps is False
    assert AddResults.may_hold_caps is False


def test_release_of_a_pipelined_capability_lets_the_question_finish(pair):
    client, server, cap = pair
    _deliver(client, server)  # what the bootstrap left (its Finish)
    question = client.call(cap, ADDER.id, ADD, AddParams(a=1, b=1))
    piped = client.pipeline(question, (0,))
    client.done(question)
    sent, _ = _deliver(client, server)
    finishes = lambda msgs: [m.finish.questionId for m in msgs if m.which == "finish"]  # noqa: E731
    assert question.id not in finishes(sent)  # the pipelined cap still holds the question
    client.release(piped)
    sent, _ = _deliver(client, server)
    assert finishes(sent) == [question.id]
    client.release(piped)  # twice is harmless
    assert client.take_outbox() == []


def test_release_of_a_resolved_pipelined_capability_releases_its_import(pair):
    client, server, cap = pair
    question = client.call(cap, ADDER.id, ADD, AddParams(a=1, b=1))
    piped = client.pipeline(question, ())
    _, events = _deliver(client, server)
    (call,) = [e for e in events if isinstance(e, ev.IncomingCall)]
    server.return_results(call.answer, codec.Cap(0), caps=[AdderServer()])  # the results are a cap
    _deliver(server, client)  # the results carry a capability: the pipelined cap resolves to it
    client.done(question)
    client.release(piped)
    sent, _ = _deliver(client, server)
    assert "release" in [m.which for m in sent]


def test_params_that_cannot_be_encoded_leave_no_question_or_export(pair):
    client, server, cap = pair
    _deliver(client, server)
    questions, exports = len(list(client.questions)), len(list(client.exports))
    writer = CapWriter(client)
    writer.add(AdderServer())  # an export made for the params
    with pytest.raises(EncodeError):
        client.call(cap, ADDER.id, ADD, AddParams(a="two", b=1), writer)
    assert len(list(client.questions)) == questions
    assert len(list(client.exports)) == exports
    assert client.take_outbox() == []
