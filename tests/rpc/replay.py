"""Replay recorded Cap'n Proto RPC traffic against the sans-IO engine.

The frames one side sent are fed to an ``RpcEngine`` playing the other side, whose
application is a script of generator handlers; what the engine sends is compared
with what the recorded side sent, message by message, on kind, ids, targets and cap
descriptors (Cap'n Proto's bytes are not canonical, so bytes are not compared).
"""

from __future__ import annotations

import json
import os

from mpipc import codec
from mpipc.rpc import messages as M
from mpipc.rpc.engine import RpcEngine
from mpipc.rpc.events import IncomingCall, Returned

WIRE = os.path.join(os.path.dirname(__file__), "wire")


def load_frames(name: str) -> list[tuple[str, bytes]]:
    with open(os.path.join(WIRE, name)) as f:
        return [(d["dir"], bytes.fromhex(d["hex"])) for d in map(json.loads, f)]


def _target(t):
    if t.which == "importedCap":
        return ("imp", t.importedCap)
    return ("promised", t.promisedAnswer.questionId, M.transform_of(t.promisedAnswer))


def _cap(d):
    value = getattr(d, d.which)
    if d.which == "receiverAnswer":
        value = (value.questionId, M.transform_of(value))
    return (d.which, value)


def summarize(frame: bytes) -> tuple:
    """The facts of one frame that a replay compares."""
    msg = codec.decode(M.Message, frame)
    kind = msg.which
    body = getattr(msg, M.field_name(kind))
    if kind == "bootstrap":
        return ("bootstrap", body.questionId)
    if kind == "call":
        return ("call", body.questionId, _target(body.target), body.interfaceId, body.methodId,
                tuple(_cap(d) for d in body.params.capTable or ()), body.sendResultsTo.which)
    if kind == "return":
        if body.which == "results":
            return ("return", body.answerId, "results", tuple(_cap(d) for d in body.results.capTable or ()))
        if body.which == "takeFromOtherQuestion":
            return ("return", body.answerId, "takeFromOtherQuestion", body.takeFromOtherQuestion)
        return ("return", body.answerId, body.which)
    if kind == "finish":
        return ("finish", body.questionId)
    if kind == "release":
        return ("release", body.id, body.referenceCount)
    if kind == "disembargo":
        return ("disembargo", _target(body.target), body.context.which, getattr(body.context, body.context.which))
    if kind == "resolve":
        return ("resolve", body.promiseId, body.which)
    return (kind,)


class Player:
    """An engine driven by recorded frames, its calls answered by ``handlers``.

    ``handlers[(interface_id, method_id)]`` is a generator function taking
    ``(player, call)``; it may ``yield`` a Question to wait for its return, or
    ``None`` to go on only after the next frame (as a peer's event loop would), and
    returns the results value (or raises to return an exception).
    """

    def __init__(self, handlers: dict, bootstrap=None):
        self.engine = RpcEngine(bootstrap)
        self.handlers = handlers
        self.sent: list[bytes] = []
        self._waiting: dict[int, tuple] = {}  # id(question) -> (generator, answer)
        self._deferred: list[tuple] = []  # handlers that yielded None: resumed after the next frame

    def feed(self, frame: bytes) -> None:
        segments = codec.read_frame(frame)[0]
        deferred, self._deferred = self._deferred, []
        self._run(self.engine.receive(segments))
        for gen, answer in deferred:
            self._step(gen, answer, None)
        self.flush()

    def flush(self):
        self.engine.process_pending()
        self.sent.extend(self.engine.take_outbox())

    def _run(self, events) -> None:
        for event in events:
            if isinstance(event, IncomingCall):
                gen = self.handlers[(event.interface_id, event.method_id)](self, event)
                self._step(gen, event.answer, None)
            elif isinstance(event, Returned):
                entry = self._waiting.pop(id(event.question), None)
                if entry is not None:
                    self._step(entry[0], entry[1], event.question)

    def _step(self, gen, answer, value) -> None:
        try:
            question = gen.send(value)
        except StopIteration as stop:
            events = self.engine.return_results(answer, stop.value)
            self.flush()
            self._run(events)
            return
        except Exception as exc:  # noqa: BLE001 - the peer gets it as an exception
            events = self.engine.return_exception(answer, exc)
            self.flush()
            self._run(events)
            return
        if question is None:
            self._deferred.append((gen, answer))
        else:
            self._waiting[id(question)] = (gen, answer)
        self.flush()


def replay(frames, side: str, player: Player) -> tuple[list, list]:
    """Feed the frames the other side sent; give (recorded, ours) summaries of ``side``'s frames."""
    other = "client->server" if side == "server->client" else "server->client"
    for direction, frame in frames:
        if direction == other:
            player.feed(frame)
    player.flush()
    recorded = [summarize(f) for d, f in frames if d == side]
    ours = [summarize(f) for f in player.sent]
    return recorded, ours
