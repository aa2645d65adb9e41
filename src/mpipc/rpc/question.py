"""Questions: calls this side made to the peer, from Call until Finish."""

from __future__ import annotations



class Question:
    """One row of the question table.

    ``holders`` counts who still needs the answer: the caller's response handle and,
    before the return, every pipelined capability on it. A Finish is sent when the
    return has arrived and no holder remains (or, before the return, to cancel).
    """

    __slots__ = (
        "id", "holders", "returned", "finished", "param_exports", "content", "result_caps",
        "error", "pipelines", "ready", "waiter", "tail_of_answer", "yourself", "__weakref__",
    )

    def __init__(self, qid: int = -1):
        self.id = qid
        self.holders = 1
        self.returned = False          # a Return arrived
        self.ready = False             # the results (or the error) can be read
        self.finished = False          # a Finish was sent (or none is needed)
        self.param_exports: list[int] = []
        self.content = None            # codec.AnyPointer of the results
        self.result_caps: list = []
        self.error: Exception | None = None
        self.pipelines = None  # WeakValueDictionary of PipelineCaps, once one is made
        self.waiter = None             # set by the transport: who to wake on return
        self.tail_of_answer = None     # the Answer this question forwards (tail call)
        self.yourself = False          # sent with sendResultsTo.yourself

    def __repr__(self):
        state = "finished" if self.finished else "ready" if self.ready else "waiting"
        return f"Question(q{self.id} {state})"
