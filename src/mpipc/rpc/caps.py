"""Capability references held by this side: what a call can be made on.

A ``CapRef`` names where calls on a capability go. Those of one connection are
tied to its engine: an import of the peer's export, a promise of the peer's export
(``senderPromise``), or a capability pipelined on one of our unreturned questions.
A ``LocalCap`` wraps a local server object; a ``BrokenCap`` fails every call.
Promises resolve in place (``resolution``), so a reference kept by the user always
follows the capability to where it lives now.
"""

from __future__ import annotations


class CapRef:
    """Base of every capability reference."""

    __slots__ = ("__weakref__",)
    engine = None

    def resolved(self) -> "CapRef":
        return self


class LocalCap(CapRef):
    """A server object hosted by this process."""

    __slots__ = ("server",)

    def __init__(self, server):
        self.server = server

    def __repr__(self):
        return f"LocalCap({self.server!r})"


class BrokenCap(CapRef):
    """A capability every call on which fails with ``error``."""

    __slots__ = ("error",)

    def __init__(self, error: Exception):
        self.error = error

    def __repr__(self):
        return f"BrokenCap({self.error!r})"


class ImportEntry:
    """One row of the import table: how many times the peer sent us this export."""

    __slots__ = ("import_id", "remote_refs", "cap_ref", "is_promise")

    def __init__(self, import_id: int, is_promise: bool):
        self.import_id = import_id
        self.remote_refs = 0
        self.cap_ref = None  # weakref to the ImportCap
        self.is_promise = is_promise


class ImportCap(CapRef):
    """A capability exported by the peer (``senderHosted`` or ``senderPromise``).

    When it is closed or collected, the engine sends one ``Release`` for all the
    references it received. A promise import may be resolved by a ``Resolve``.
    """

    __slots__ = ("engine", "entry", "resolution", "embargo", "calls_made", "closed")

    def __init__(self, engine, entry: ImportEntry):
        self.engine = engine
        self.entry = entry
        self.resolution: CapRef | None = None
        self.embargo = None
        self.calls_made = False
        self.closed = False

    @property
    def import_id(self) -> int:
        return self.entry.import_id

    def resolved(self) -> CapRef:
        cap = self
        while isinstance(cap, (ImportCap, PipelineCap)) and cap.resolution is not None:
            cap = cap.resolution
        return cap

    def close(self):
        if not self.closed:
            self.closed = True
            self.engine.release_import(self)

    def __del__(self):
        if not self.closed:
            self.closed = True
            engine = self.engine
            if engine is not None:
                engine.schedule_release(self.entry)

    def __repr__(self):
        kind = "promise" if self.entry.is_promise else "import"
        return f"ImportCap({kind} {self.entry.import_id})"


class PipelineCap(CapRef):
    """A capability at ``transform`` of one of our questions' results, before or after it returns."""

    __slots__ = ("engine", "question", "transform", "resolution", "embargo", "calls_made", "dropped")

    def __init__(self, engine, question, transform: tuple):
        self.engine = engine
        self.question = question
        self.transform = transform
        self.resolution: CapRef | None = None
        self.embargo = None
        self.calls_made = False
        self.dropped = False  # its hold on the question was given up (release)

    def resolved(self) -> CapRef:
        cap = self
        while isinstance(cap, (ImportCap, PipelineCap)) and cap.resolution is not None:
            cap = cap.resolution
        return cap

    def __del__(self):
        engine = self.engine
        if engine is not None and self.resolution is None and not self.dropped:
            engine.schedule_pipeline_drop(self.question)

    def __repr__(self):
        return f"PipelineCap(q{self.question.id} {list(self.transform)})"


class AnswerPipelineCap(CapRef):
    """A capability at ``transform`` of one of the peer's questions to us (``receiverAnswer``)."""

    __slots__ = ("engine", "answer", "transform")

    def __init__(self, engine, answer, transform: tuple):
        self.engine = engine
        self.answer = answer
        self.transform = transform

    def resolved(self) -> CapRef:
        answer = self.answer
        if answer.result_caps is None:
            return self
        return self.engine.follow_transform(answer, self.transform).resolved()

    def __repr__(self):
        return f"AnswerPipelineCap(a{self.answer.id} {list(self.transform)})"
