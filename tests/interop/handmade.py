"""libmultiprocess's example interfaces called and served by hand on mpipc's Connection API.

For the wire-level tests (test_wire.py): params built by hand, so a test can name any
thread in a call's Context (or none), and see the capabilities the C++ side sends.
Servers here take no part in the 1:1 threading (no ``mpipc_context_field``): their
calls run on the connection's worker. Users write the generated classes instead
(test_client.py, py_mpcalculator.py).
"""

from __future__ import annotations

import threading

from mpipc import codec, schema
from mpipc.transport import CallContext, Connection

from .support import SCHEMA

EXAMPLE = schema.load(SCHEMA)


class Method:
    """One method of an interface: its ids and its generated param/result classes."""

    __slots__ = ("interface_id", "id", "name", "Params", "Results")

    def __init__(self, iface_name: str, name: str):
        iface = EXAMPLE.find(iface_name)
        self.interface_id = iface.id
        self.name = f"{iface_name}.{name}"
        # id: the method id on the wire (the ordinal)
        self.id, self.Params, self.Results = codec.method_classes(EXAMPLE, iface, name)

    @property
    def key(self) -> tuple[int, int]:
        return self.interface_id, self.id

    def __repr__(self):
        return f"Method({self.name})"


CONSTRUCT = Method("InitInterface", "construct")
MAKE_CALCULATOR = Method("InitInterface", "makeCalculator")
MAKE_THREAD = Method("ThreadMap", "makeThread")
MAKE_POOL = Method("ThreadMap", "makePool")
GET_NAME = Method("Thread", "getName")
SOLVE = Method("CalculatorInterface", "solveEquation")
CALC_DESTROY = Method("CalculatorInterface", "destroy")
PRINT = Method("PrinterInterface", "print")
PRINTER_DESTROY = Method("PrinterInterface", "destroy")
Context = codec.struct_class(EXAMPLE, EXAMPLE.find("Context").id)


def call(conn: Connection, cap, method: Method, **params):
    """A blocking call of ``method`` on ``cap``; gives its results struct."""
    return conn.call(cap, method.interface_id, method.id, method.Params(**params), method.Results)


class Served:
    """Base of the servers below: dispatch by (interface id, method ordinal) to ``handlers``."""

    handlers: dict = {}

    def mpipc_dispatch(self, ctx: CallContext):
        method = self.handlers.get((ctx.interface_id, ctx.method_id))
        if method is None:
            raise NotImplementedError(f"{type(self).__name__}: method {ctx.interface_id:#x}.{ctx.method_id}")
        return getattr(self, method)(ctx)


class ThreadServer(Served):
    """A Thread capability of ours: the peer names it in ``Context`` to say where a call runs."""

    handlers = {GET_NAME.key: "get_name"}

    def __init__(self, name: str):
        self.name = name

    def get_name(self, ctx):
        return GET_NAME.Results(result=self.name)

    def __repr__(self):
        return f"ThreadServer({self.name!r})"


class ThreadMapServer(Served):
    """Our ThreadMap: every ``makeThread`` gives a new ThreadServer (kept in ``made``)."""

    handlers = {MAKE_THREAD.key: "make_thread", MAKE_POOL.key: "make_pool"}

    def __init__(self):
        self.made: list[ThreadServer] = []

    def make_thread(self, ctx):
        thread = ThreadServer(ctx.params(MAKE_THREAD.Params).name or f"thread-{len(self.made)}")
        self.made.append(thread)
        return MAKE_THREAD.Results(result=thread)

    def make_pool(self, ctx):
        return MAKE_POOL.Results()


def check_context(context, threads) -> None:
    """A call's ``context.thread`` must be one of our ``threads`` (it arrives as our own export)."""
    thread = getattr(context, "thread", None) if context is not None else None
    if thread is not None:  # a receiverAnswer (makeThread still in flight when sent) resolves now
        thread = thread.resolved()
    server = getattr(thread, "server", None)
    if not any(server is t for t in threads):
        raise LookupError(f"context.thread {thread!r} is not a thread of ours")


class PrinterServer(Served):
    """A Printer: keeps what it is asked to print, and the Context of each call."""

    handlers = {PRINT.key: "print", PRINTER_DESTROY.key: "destroy"}

    def __init__(self, threads=None):
        self.threads = threads  # callable giving the threads a call may name; None: any
        self.printed: list[str] = []
        self.contexts: list = []
        self.destroyed = threading.Event()
        self.on_print = None  # test hook: called with the text before it is kept

    def print(self, ctx):
        params = ctx.params(PRINT.Params)
        if self.threads is not None:
            check_context(params.context, self.threads())
        thread = params.context.thread if params.context is not None else None
        self.contexts.append((getattr(thread.resolved() if thread is not None else None, "server", None),
                              params.context.callbackThread if params.context is not None else None))
        if self.on_print is not None:
            self.on_print(params.text)
        self.printed.append(params.text)
        return PRINT.Results()

    def destroy(self, ctx):
        self.destroyed.set()
        return PRINTER_DESTROY.Results()
