"""Recorded flows of C++ libmultiprocess and pycapnp replayed against the engine playing one side."""

from __future__ import annotations

import os

import pytest

from mpipc import codec, schema
from mpipc.rpc.engine import RpcEngine

from .replay import Player, load_frames, replay, summarize

HERE = os.path.dirname(__file__)
EXAMPLE = schema.load([os.path.join(HERE, "schemas", n) for n in ("init.capnp", "calculator.capnp", "printer.capnp")])
EMB = schema.load(os.path.join(HERE, "wire", "emb.capnp"))
PROXY = EXAMPLE.find("ThreadMap"), EXAMPLE.find("Thread")


def method(schema_set, iface_name, name):
    iface = schema_set.find(iface_name)
    return (iface.id, *codec.method_classes(schema_set, iface, name))


CONSTRUCT = method(EXAMPLE, "InitInterface", "construct")
MAKE_CALCULATOR = method(EXAMPLE, "InitInterface", "makeCalculator")
MAKE_PRINTER = method(EXAMPLE, "InitInterface", "makePrinter")
MAKE_THREAD = method(EXAMPLE, "ThreadMap", "makeThread")
SOLVE = method(EXAMPLE, "CalculatorInterface", "solveEquation")
CALC_DESTROY = method(EXAMPLE, "CalculatorInterface", "destroy")
PRINT = method(EXAMPLE, "PrinterInterface", "print")
PRINTER_DESTROY = method(EXAMPLE, "PrinterInterface", "destroy")
Context = codec.struct_class(EXAMPLE, EXAMPLE.find("Context").id)


class Obj:
    """A server object: the engine only needs its identity."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


def returns(results_cls, **fields):
    def handler(player, call):
        return results_cls(**fields)
        yield  # a generator that never waits
    return handler


def libmultiprocess_server(printed: list) -> Player:
    """The application of libmultiprocess's example servers, as a script."""
    thread_map = Obj("ThreadMap")
    state = {}

    def make_thread(player, call):
        return MAKE_THREAD[3](result=Obj("Thread"))
        yield

    def make_calculator(player, call):
        params = call.params.as_struct(MAKE_CALCULATOR[2], cap_table=call.caps)
        state["printer"] = params.print
        return MAKE_CALCULATOR[3](result=Obj("Calculator"))
        yield

    def solve(player, call):
        params = call.params.as_struct(SOLVE[2], cap_table=call.caps)
        text = f"Wow {params.eqn}, that's a tough one."
        # The callback runs on the caller's own thread: its callbackThread becomes
        # the callee's context.thread, with a new Thread of ours as callbackThread.
        context = Context(thread=params.context.callbackThread, callbackThread=Obj("CallbackThread"))
        question = player.engine.call(state["printer"], PRINT[0], PRINT[1], PRINT[2](context=context, text=text))
        del params, context
        yield question
        printed.append(text)
        player.engine.done(question)
        return SOLVE[3]()

    def construct(player, call):
        # The server keeps the client's ThreadMap, to make threads for its callbacks.
        state["thread_map"] = call.params.as_struct(CONSTRUCT[2], cap_table=call.caps).threadMap
        return CONSTRUCT[3](threadMap=thread_map)
        yield

    def destroy(player, call):
        # Destroying the Calculator destroys the Printer client it holds: a destroy
        # call back to the client, then the Release of the Printer.
        params = call.params.as_struct(CALC_DESTROY[2], cap_table=call.caps)
        context = Context(thread=params.context.callbackThread, callbackThread=Obj("CallbackThread"))
        printer = state.pop("printer")
        question = player.engine.call(printer, PRINTER_DESTROY[0], PRINTER_DESTROY[1],
                                      PRINTER_DESTROY[2](context=context))
        del params, context
        yield question
        player.engine.done(question)
        printer.close()
        return CALC_DESTROY[3]()

    handlers = {
        CONSTRUCT[:2]: construct,
        MAKE_THREAD[:2]: make_thread,
        MAKE_CALCULATOR[:2]: make_calculator,
        MAKE_PRINTER[:2]: lambda p, c: returns(MAKE_PRINTER[3], result=Obj("Printer"))(p, c),
        SOLVE[:2]: solve,
        CALC_DESTROY[:2]: destroy,
        PRINT[:2]: returns(PRINT[3]),
        PRINTER_DESTROY[:2]: returns(PRINTER_DESTROY[3]),
    }
    return Player(handlers, bootstrap=Obj("Init"))


def test_every_recorded_frame_decodes():
    for name in ("mpexample-mpcalculator.jsonl", "mpexample-mpprinter.jsonl",
                 "pycapnp-pipelining-embargo-tailcall.jsonl"):
        for _, frame in load_frames(name):
            assert summarize(frame)[0] in {"bootstrap", "call", "return", "finish", "release", "disembargo"}


@pytest.mark.parametrize("name", ["mpexample-mpprinter.jsonl", "mpexample-mpcalculator.jsonl"])
def test_engine_serves_libmultiprocess_client(name):
    printed: list = []
    player = libmultiprocess_server(printed)
    recorded, ours = replay(load_frames(name), "server->client", player)
    assert ours == recorded
    if "calculator" in name:
        assert printed == ["Wow 1+1, that's a tough one.", "Wow 2+2, that's a tough one."]
    # Everything the client held is released at the end, but what it still holds.
    assert not player.engine.answers


def test_engine_serves_pycapnp_client_with_tail_call_and_disembargo():
    foo_id = EMB.find("Foo").id
    echo_cap = method(EMB, "Echo", "echoCap")
    make_foo = method(EMB, "Echo", "makeFoo")
    ping = method(EMB, "Foo", "ping")
    foo = Obj("Foo")

    def echo(player, call):
        cap = call.params.as_struct(echo_cap[2], cap_table=call.caps).cap
        yield None  # pycapnp's server answered after the pipelined call had arrived
        return echo_cap[3](cap=cap)

    def pinged(player, call):
        return ping[3](n=call.params.as_struct(ping[2]).n + 1)
        yield

    player = Player({echo_cap[:2]: echo, make_foo[:2]: returns(make_foo[3], cap=foo), ping[:2]: pinged},
                    bootstrap=Obj("Echo"))
    assert foo_id == ping[0]
    recorded, ours = replay(load_frames("pycapnp-pipelining-embargo-tailcall.jsonl"), "server->client", player)
    assert ours == recorded


def test_engine_as_pycapnp_client_embargoes_its_own_capability():
    """The client of the pycapnp flow: pipelining onto a promise that resolves to itself."""
    echo_cap = method(EMB, "Echo", "echoCap")
    make_foo = method(EMB, "Echo", "makeFoo")
    ping = method(EMB, "Foo", "ping")
    frames = load_frames("pycapnp-pipelining-embargo-tailcall.jsonl")
    server_frames = [f for d, f in frames if d == "server->client"]
    engine = RpcEngine()
    sent: list[bytes] = []
    mine = Obj("client Foo")

    def flush():
        engine.process_pending()
        sent.extend(engine.take_outbox())

    def feed():
        events = engine.receive(codec.read_frame(server_frames.pop(0))[0])
        flush()
        return events

    echo = engine.bootstrap()
    q1 = engine.call(echo, echo_cap[0], echo_cap[1], echo_cap[2](cap=mine))
    promised = engine.pipeline(q1, (0,))
    q2 = engine.call(promised, ping[0], ping[1], ping[2](n=1))
    flush()
    feed()  # RETURN a0: the bootstrap
    (incoming,) = feed()  # CALL q0 -> imp0 ping, sendResultsTo.yourself: our own Foo
    assert incoming.target.server is mine
    n = incoming.params.as_struct(ping[2]).n
    engine.return_results(incoming.answer, ping[3](n=n + 1))
    flush()
    (returned,) = feed()  # RETURN a2 takeFromOtherQuestion: our own answer's results
    assert returned.question is q2 and q2.content.as_struct(ping[3]).n == n + 1
    assert q1.ready is False
    feed()  # RETURN a1 results [receiverHosted 0]: the promise is our own Foo
    assert promised.resolved().server is mine
    assert promised.embargo is not None  # calls made now wait for the Disembargo
    local = engine.call(promised, ping[0], ping[1], ping[2](n=3))
    assert local.embargo is promised.embargo and not local.embargo.lifted
    engine.done(q2)
    flush()
    # The second exchange: a capability pipelined into params (receiverAnswer).
    q0 = engine.call(echo, make_foo[0], make_foo[1], make_foo[2]())
    q2b = engine.call(echo, echo_cap[0], echo_cap[1], echo_cap[2](cap=engine.pipeline(q0, (0,))))
    q3 = engine.call(engine.pipeline(q2b, (0,)), ping[0], ping[1], ping[2](n=7))
    flush()
    feed()  # FINISH q0: the server is done with our answer
    (lifted,) = feed()  # DISEMBARGO receiverLoopback
    assert lifted.embargo is local.embargo and lifted.embargo.lifted
    while server_frames:
        feed()
    assert q0.ready and q2b.ready and q3.ready
    assert q0.result_caps[0] is q2b.result_caps[0]  # the same import, counted twice
    recorded = [summarize(f) for d, f in frames if d == "client->server"]
    assert [summarize(f) for f in sent] == recorded
