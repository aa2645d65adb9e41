"""Wire-level: mpipc's Connection API, with params built by hand, against C++ ``mpcalculator``/``mpprinter``.

What the generated classes (test_client.py) cannot show: the capabilities the C++
side puts in a callback's Context, its errors for a Context naming a wrong thread or
none, Cap'n Proto's own "unimplemented", export and question tables that do not grow,
and a peer killed while the callback runs on the connection's worker.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

import mpipc
from mpipc.rpc.caps import ImportCap

from .handmade import (CALC_DESTROY, CONSTRUCT, MAKE_CALCULATOR, MAKE_THREAD, SOLVE, Context, PrinterServer,
                       ThreadMapServer, ThreadServer, call)
from .support import CALL_TIMEOUT, alive, bounded, wait_until

pytestmark = pytest.mark.timeout(60)


class Session:
    """What ``mpexample`` does with a spawned program, done with mpipc: bootstrap its Init,
    construct with our ThreadMap, and make a thread there for our calls."""

    def __init__(self, child, thread_name: str = "py-client"):
        self.child = child
        self.conn = child.connection
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


def test_callback_context_names_our_callback_thread(cpp_child):
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
    assert printer.contexts[-1][0] is session.callback_thread


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
    pid = session.child.process.pid
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
    assert session.child.process.wait(5) == -signal.SIGKILL


def test_closing_our_side_makes_the_child_exit(cpp_child):
    for program in ("mpcalculator", "mpprinter"):
        session = Session(cpp_child(program))
        # Still serving: a second construct (with a ThreadMap of ours again) is answered.
        assert session.call(session.init, CONSTRUCT, threadMap=ThreadMapServer()).threadMap is not None
        proc = session.child.process
        assert proc.poll() is None
        start = time.monotonic()
        assert session.child.close() == 0, session.child.stderr()
        assert time.monotonic() - start < 5
        assert not alive(proc.pid)
        assert "IPC server: socket disconnected" in session.child.log()


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
