"""Answers: calls the peer made to this side, from Call until Finish."""

from __future__ import annotations


class Answer:
    """One row of the answer table (keyed by the peer's question id).

    Calls the peer pipelines on this answer before it returns wait in ``queue``.
    ``result_caps`` is the cap table of the results once returned (``None`` before),
    and ``return_frame`` the encoded Return, read again only to follow a transform.
    """

    __slots__ = (
        "id", "returned", "finished", "redirected", "result_caps", "result_exports",
        "return_frame", "content", "error", "queue", "waiting_questions", "tail_question",
    )

    def __init__(self, aid: int, redirected: bool = False):
        self.id = aid
        self.returned = False
        self.finished = False           # the peer sent Finish
        self.redirected = redirected    # sendResultsTo.yourself: results kept here
        self.result_caps: list | None = None
        self.result_exports: list[int] = []
        self.return_frame: bytes | None = None
        self.content = None
        self.error: Exception | None = None
        self.queue: list = []
        self.waiting_questions: list = []
        self.tail_question = None

    def __repr__(self):
        return f"Answer(a{self.id} {'returned' if self.returned else 'running'})"
