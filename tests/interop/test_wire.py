"""mpipc as the client of C++ libmultiprocess's ``mpcalculator`` and ``mpprinter``, playing ``mpexample``'s part."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import mpipc
from mpipc.rpc.caps import ImportCap

from .conftest import alive, wait_until
from .example import (CALC_DESTROY, CONSTRUCT, MAKE_CALCULATOR, MAKE_PRINTER, MAKE_THREAD, PRINT,
                      PRINTER_DESTROY, SOLVE, Context, PrinterServer, ThreadMapServer, ThreadServer,
                      call)

pytestmark = pytest.mark.timeout(60)

CALL_TIMEOUT = 10.0


def bounded(fn, timeout: float = CALL_TIMEOUT, name: str = "call"):
    """Run ``fn()`` on a thread of its own, so a hang fails the test instead of blocking it."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"{name}: no answer within {timeout} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


class Session:
    """What ``mpexample`` does with a spawned program, done with mpipc: bootstrap its Init,
    construct with our ThreadMap, and make a thread there for our calls."""

    def __init__(self, child, thread_name: str = "py-client"):
        self.child = child
        self.conn = child.conn
        self.thread_map = ThreadMapServer()
        self.init = self.conn.bootstrap()
        self.remote_thread_map = bounded(lambda: call(self.conn, self.init, CONSTRUCT,
                                                      threadMap=self.thread_map)).threadMap
        self.thread, self.callback_thread = self.make_thread(thread_name)

    def make_thread(self, name: str):
        """A thread of the C++ server for our calls, and our Thread for its callbacks."""
        thread = bounded(lambda: call(self.conn, self.remote_thread_map, MAKE_THREAD, name=name)).result
        return thread, ThreadServer(f"{name}-callback")

    def context(self, thread=None, callback_thread=None):
        return Context(thread=thread or self.thread, callbackThread=callback_thread or self.callback_thread)

    def call(self, cap, method, timeout=CALL_TIMEOUT, **params):
        return bounded(lambda: call(self.conn, cap, method, **params), timeout, method.name)


def calculator_session(cpp_child):
    session = Session(cpp_child("mpcalculator"))
    printer = PrinterServer(threads=lambda: [session.callback_thread])
    calculator = session.call(session.init, MAKE_CALCULATOR, context=session.context(), print=printer).result
    return session, printer, calculator


def test_calculator_calls_back_our_printer_on_our_callback_thread(cpp_child):
    session, printer, calculator = calculator_session(cpp_child)
    session.call(calculator, SOLVE, context=session.context(), eqn="1+2")
    assert printer.printed == ["Wow 1+2, that's a tough one.\n"]
    # The C++ calculator named our callbackThread as the callback's context.thread
    # (it arrived as receiverHosted: our own export) and gave a Thread of its own as
    # the callback's callbackThread.
    (thread_server, their_callback_thread), = printer.contexts
    assert thread_server is session.callback_thread
    assert isinstance(their_callback_thread, ImportCap)
    session.call(calculator, SOLVE, context=session.context(), eqn="6*7")
    assert printer.printed[-1] == "Wow 6*7, that's a tough one.\n"
    # destroy: the C++ calculator destroys the Printer client it holds, calling back
    # our Printer's destroy on our callback thread.
    session.call(calculator, CALC_DESTROY, context=session.context())
    assert printer.destroyed.is_set()


def test_many_calls_in_a_row(cpp_child):
    session, printer, calculator = calculator_session(cpp_child)
    equations = [f"{i}+{i * 3}" for i in range(300)]
    start = time.monotonic()
    for eqn in equations:
        session.call(calculator, SOLVE, context=session.context(), eqn=eqn)
    elapsed = time.monotonic() - start
    assert printer.printed == [f"Wow {e}, that's a tough one.\n" for e in equations]
    assert elapsed < 30, f"{len(equations)} calls took {elapsed:.1f} s"
    # Every call passed our callbackThread again; the C++ side released each one when
    # its call was done, so our export table does not grow with the calls made.
    assert len(session.conn.engine.exports) < 10, session.conn.engine.exports.entries


def test_calls_from_many_threads_each_on_its_own_server_thread(cpp_child):
    """Four Python threads, each with its own makeThread thread and callback thread."""
    session, printer, calculator = calculator_session(cpp_child)
    threads = {f"worker-{k}": session.make_thread(f"worker-{k}") for k in range(4)}
    printer.threads = lambda: [session.callback_thread] + [cb for _, cb in threads.values()]
    errors: list = []

    def work(name):
        thread, callback_thread = threads[name]
        try:
            for i in range(40):
                call(session.conn, calculator, SOLVE, context=session.context(thread, callback_thread),
                     eqn=f"{name}:{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(name,)) for name in threads]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert not any(w.is_alive() for w in workers), "a calling thread hung"
    assert errors == []
    assert len(printer.printed) == 160
    for name, (_, callback_thread) in threads.items():
        mine = [t for t in printer.printed if t.startswith(f"Wow {name}:")]
        assert mine == [f"Wow {name}:{i}, that's a tough one.\n" for i in range(40)]  # in order per thread
        assert sum(1 for server, _ in printer.contexts if server is callback_thread) == 40


def test_exception_from_our_printer_reaches_us_through_the_calculator(cpp_child):
    session, printer, calculator = calculator_session(cpp_child)

    def out_of_paper(text):
        if "2+2" in text:
            raise ValueError("printer out of paper")
    printer.on_print = out_of_paper
    with pytest.raises(mpipc.RemoteError) as info:
        session.call(calculator, SOLVE, context=session.context(), eqn="2+2")
    # C++ turns the callback's failure into an exception of solveEquation: our reason
    # text made the round trip Python -> C++ -> Python.
    assert "ValueError: printer out of paper" in info.value.reason
    assert info.value.kind == "failed"
    session.call(calculator, SOLVE, context=session.context(), eqn="3+3")  # still serving
    assert printer.printed == ["Wow 3+3, that's a tough one.\n"]


def test_libmultiprocess_errors_arrive_as_remote_errors(cpp_child):
    session, printer, calculator = calculator_session(cpp_child)
    # No context.thread, and no pool made: libmultiprocess refuses the call.
    with pytest.raises(mpipc.RemoteError, match="no thread specified"):
        session.call(calculator, SOLVE, context=Context(callbackThread=session.callback_thread), eqn="1+1")
    # A context.thread that is not one of the server's threads.
    with pytest.raises(mpipc.RemoteError, match="invalid thread handle"):
        session.call(calculator, SOLVE, context=session.context(thread=session.callback_thread), eqn="1+1")
    # A method the interface does not have: Cap'n Proto's own "unimplemented".
    with pytest.raises(mpipc.RemoteError) as info:
        bounded(lambda: session.conn.call(calculator, SOLVE.interface_id, 7, None, None))
    assert info.value.kind == "unimplemented"
    assert "methodId = 7" in info.value.reason
    assert printer.printed == []
    session.call(calculator, SOLVE, context=session.context(), eqn="1+1")
    assert printer.printed == ["Wow 1+1, that's a tough one.\n"]


def test_child_killed_mid_call_gives_disconnected_promptly(cpp_child):
    session, printer, calculator = calculator_session(cpp_child)
    pid = session.child.proc.pid
    killed_at = []

    def kill_child(text):
        os.kill(pid, signal.SIGKILL)  # the C++ calculator dies waiting for this callback
        killed_at.append(time.monotonic())
    printer.on_print = kill_child
    with pytest.raises(mpipc.Disconnected) as info:
        session.call(calculator, SOLVE, context=session.context(), eqn="1+2")
    assert killed_at and time.monotonic() - killed_at[0] < 2
    assert "disconnect" in str(info.value)
    start = time.monotonic()
    with pytest.raises(mpipc.Disconnected, match="after disconnect"):
        session.call(calculator, SOLVE, context=session.context(), eqn="1+2")
    assert time.monotonic() - start < 1
    assert session.child.proc.wait(5) == -signal.SIGKILL


def test_closing_our_side_makes_the_child_exit(cpp_child):
    for program in ("mpcalculator", "mpprinter"):
        session = Session(cpp_child(program))
        # Still serving: a second construct (with a ThreadMap of ours again) is answered.
        assert session.call(session.init, CONSTRUCT, threadMap=ThreadMapServer()).threadMap is not None
        proc = session.child.proc
        assert proc.poll() is None
        start = time.monotonic()
        assert session.child.close() == 0, session.child.stderr()
        assert time.monotonic() - start < 5
        assert not alive(proc.pid)
        assert "IPC server: socket disconnected" in open(os.path.join(session.child.cwd, "debug.log")).read()


def test_printer_prints_what_we_send(cpp_child):
    session = Session(cpp_child("mpprinter"))
    printer = session.call(session.init, MAKE_PRINTER, context=session.context()).result
    for text in ("hello from mpipc\n", "üñíçødé ✓\n"):
        session.call(printer, PRINT, context=session.context(), text=text)
    session.call(printer, PRINTER_DESTROY, context=session.context())
    assert session.child.close() == 0
    out = session.child.stdout()
    assert "mpprinter: hello from mpipc\n" in out
    assert "mpprinter: üñíçødé ✓\n" in out


def test_mpipc_plays_mpexample_between_both_cpp_programs(cpp_child):
    """The whole example with mpipc in the middle: the C++ calculator calls our Printer,
    which prints through the C++ printer on the thread we made there."""
    printing = Session(cpp_child("mpprinter"), "py-printing")
    remote_printer = printing.call(printing.init, MAKE_PRINTER, context=printing.context()).result
    session = Session(cpp_child("mpcalculator"))

    class RelayPrinter(PrinterServer):
        def print(self, ctx):
            text = ctx.params(PRINT.Params).text
            call(printing.conn, remote_printer, PRINT, context=printing.context(), text=text)
            return super().print(ctx)

    relay = RelayPrinter(threads=lambda: [session.callback_thread])
    calculator = session.call(session.init, MAKE_CALCULATOR, context=session.context(), print=relay).result
    for eqn in ("1+2", "3*4"):
        session.call(calculator, SOLVE, context=session.context(), eqn=eqn)
    session.call(calculator, CALC_DESTROY, context=session.context())
    assert relay.printed == ["Wow 1+2, that's a tough one.\n", "Wow 3*4, that's a tough one.\n"]
    assert relay.destroyed.is_set()
    assert printing.child.close() == 0
    assert session.child.close() == 0
    out = printing.child.stdout()
    assert "mpprinter: Wow 1+2, that's a tough one.\n" in out
    assert "mpprinter: Wow 3*4, that's a tough one.\n" in out


def test_connection_is_clean_after_a_session(cpp_child):
    """What the C++ side held of ours is released back once it is done with it."""
    session, printer, calculator = calculator_session(cpp_child)
    for eqn in ("1+1", "2+2"):
        session.call(calculator, SOLVE, context=session.context(), eqn=eqn)
    engine = session.conn.engine

    def exported(obj):
        return any(getattr(e.cap, "server", None) is obj for e in engine.exports.entries.values())
    assert exported(printer)  # the calculator holds our Printer
    # destroy: the C++ calculator destroys its Printer client (a call back to us) and
    # drops the capability; the per-call callbackThread references were dropped already.
    session.call(calculator, CALC_DESTROY, context=session.context())
    assert printer.destroyed.is_set()
    assert wait_until(lambda: not exported(printer), 5), engine.exports.entries
    assert wait_until(lambda: len(engine.questions) == 0, 5), engine.questions.entries
    session.conn.release(calculator)
    assert session.child.close() == 0
