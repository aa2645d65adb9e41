"""libmultiprocess's example interfaces (Init, Calculator, Printer, ThreadMap, Thread) served and called with mpipc.

Shared by the interop tests and by the programs ``py_mpcalculator.py`` /
``py_mpprinter.py`` that C++ ``mpexample`` spawns in their place.
"""

from __future__ import annotations

import logging
import os
import re
import threading

from mpipc import codec, schema
from mpipc.transport import CallContext, Connection

HERE = os.path.dirname(os.path.abspath(__file__))
# The example schemas rewritten from their ids (tests/rpc/wire/README.md).
SCHEMAS = os.path.join(os.path.dirname(HERE), "rpc", "schemas")
log = logging.getLogger("interop.example")  # silent unless a program gives it a handler
EXAMPLE = schema.load([os.path.join(SCHEMAS, n) for n in ("init.capnp", "calculator.capnp", "printer.capnp")])


class Method:
    """One method of an interface: its ids and its generated param/result classes."""

    __slots__ = ("interface_id", "id", "name", "Params", "Results")

    def __init__(self, iface_name: str, name: str):
        iface = EXAMPLE.find(iface_name)
        for m in iface.interface.methods:
            if m.name == name:
                self.interface_id = iface.id
                self.id = m.ordinal  # the method id on the wire
                self.name = f"{iface_name}.{name}"
                self.Params = codec.struct_class(EXAMPLE, m.param_struct_type)
                self.Results = codec.struct_class(EXAMPLE, m.result_struct_type)
                return
        raise LookupError(name)

    @property
    def key(self) -> tuple[int, int]:
        return self.interface_id, self.id

    def __repr__(self):
        return f"Method({self.name})"


CONSTRUCT = Method("InitInterface", "construct")
MAKE_CALCULATOR = Method("InitInterface", "makeCalculator")
MAKE_PRINTER = Method("InitInterface", "makePrinter")
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
        log.info("makeThread %r", thread.name)
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
    """A Printer: keeps what it is asked to print (and writes it to ``out``, if given)."""

    handlers = {PRINT.key: "print", PRINTER_DESTROY.key: "destroy"}

    def __init__(self, threads=None, out=None, prefix: str = ""):
        self.threads = threads  # callable giving the threads a call may name; None: any
        self.out = out
        self.prefix = prefix
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
        log.info("print %r", params.text)
        if self.out is not None:
            self.out.write(self.prefix + params.text)
            self.out.flush()
        return PRINT.Results()

    def destroy(self, ctx):
        self.destroyed.set()
        log.info("printer destroyed")
        return PRINTER_DESTROY.Results()


_EQUATION = re.compile(r"\s*(-?\d+)\s*([-+*/])\s*(-?\d+)\s*")


def solve(eqn: str) -> str:
    """What our calculator prints for an equation: ``a op b = result``."""
    match = _EQUATION.fullmatch(eqn)
    if match is None:
        raise ValueError(f"cannot solve {eqn!r}")
    a, op, b = int(match[1]), match[2], int(match[3])
    if op == "/" and b == 0:
        raise ZeroDivisionError(f"{eqn}: division by zero")
    value = {"+": a + b, "-": a - b, "*": a * b, "/": a // b if b else 0}[op]
    return f"{a}{op}{b} = {value}\n"


class CalculatorServer(Served):
    """Our Calculator: solves ``a op b`` and prints the result through the client's Printer.

    The print is a callback into the caller: its ``context.thread`` is the caller's
    ``callbackThread`` (so it runs on the very thread waiting for ``solveEquation``),
    and our own Thread is its ``callbackThread``, as libmultiprocess does.
    """

    handlers = {SOLVE.key: "solve_equation", CALC_DESTROY.key: "destroy"}

    def __init__(self, init: "InitServer", printer):
        self.init = init
        self.printer = printer
        self.callback_thread = ThreadServer("calculator-callback")

    def _context(self, ctx, params):
        check_context(params.context, self.init.threads())
        return Context(thread=params.context.callbackThread, callbackThread=self.callback_thread)

    def solve_equation(self, ctx):
        params = ctx.params(SOLVE.Params)
        context = self._context(ctx, params)
        text = solve(params.eqn)
        log.info("solveEquation %r: %r", params.eqn, text)
        call(ctx.connection, self.printer, PRINT, context=context, text=text)
        return SOLVE.Results()

    def destroy(self, ctx):
        # Destroying the calculator destroys the printer client it holds: a destroy
        # call back to the printer's host, then the release of its capability.
        params = ctx.params(CALC_DESTROY.Params)
        printer, self.printer = self.printer, None
        log.info("calculator destroyed")
        if printer is not None:
            call(ctx.connection, printer, PRINTER_DESTROY, context=self._context(ctx, params))
            ctx.connection.release(printer)
        return CALC_DESTROY.Results()


class InitServer(Served):
    """The Init a spawned example program serves: construct, makeCalculator, makePrinter."""

    handlers = {CONSTRUCT.key: "construct", MAKE_CALCULATOR.key: "make_calculator",
                MAKE_PRINTER.key: "make_printer"}

    def __init__(self, out=None, prefix: str = ""):
        self.thread_map = ThreadMapServer()
        self.peer_thread_map = None
        self.out = out
        self.prefix = prefix

    def threads(self):
        return self.thread_map.made

    def construct(self, ctx):
        log.info("construct")
        self.peer_thread_map = ctx.params(CONSTRUCT.Params).threadMap
        return CONSTRUCT.Results(threadMap=self.thread_map)

    def make_calculator(self, ctx):
        params = ctx.params(MAKE_CALCULATOR.Params)
        check_context(params.context, self.threads())
        log.info("makeCalculator")
        return MAKE_CALCULATOR.Results(result=CalculatorServer(self, params.print))

    def make_printer(self, ctx):
        params = ctx.params(MAKE_PRINTER.Params)
        check_context(params.context, self.threads())
        log.info("makePrinter")
        return MAKE_PRINTER.Results(result=PrinterServer(self.threads, self.out, self.prefix))
