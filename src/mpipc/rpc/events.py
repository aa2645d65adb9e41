"""Events the RPC engine gives its user (the transport) after taking a frame or an action."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class IncomingCall:
    """The peer called ``target`` (a LocalCap or a capability of another connection).

    Run it, then answer with ``engine.return_results(answer, value)`` or
    ``engine.return_exception(answer, error)``. ``params`` is a ``codec.AnyPointer``
    whose capability pointers index ``caps``.
    """

    answer: object
    target: object
    interface_id: int
    method_id: int
    params: object
    caps: list
    callback_thread: object = None  # the caller's Thread from the call's Context, if any


@dataclass(slots=True)
class Returned:
    """A question of ours can be read: ``question.error`` or ``question.content``."""

    question: object


@dataclass(slots=True)
class EmbargoLifted:
    """Calls held back by an embargo may now run locally, in the order they were made."""

    embargo: object


@dataclass(slots=True)
class Aborted:
    """The connection is finished: the peer aborted, or broke the protocol."""

    error: Exception


@dataclass(slots=True)
class LocalCall:
    """``engine.call`` on a capability that lives in this process (or another connection).

    The caller runs it itself, once ``embargo`` (if any) is lifted.
    """

    target: object
    interface_id: int
    method_id: int
    embargo: object = None


class Embargo:
    """Calls on a capability that resolved to a local one wait until the Disembargo returns."""

    __slots__ = ("id", "cap", "lifted", "released", "error", "waiters")

    def __init__(self, cap):
        self.id = -1
        self.cap = cap
        self.lifted = False  # the Disembargo came back (set by the engine)
        self.released = False  # the calls that came back before it have been taken (transport)
        self.error = None
        self.waiters: list = []
