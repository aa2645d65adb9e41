"""mpipc's generated classes as the client of C++ ``mpcalculator``/``mpprinter``: what a user writes.

The C++ calculator calls back a Python ``Printer`` while it serves ``solveEquation``;
with the 1:1 threading that callback runs on the very thread that called (same
``threading.get_ident()``, same ``threading.local`` values, its RLocks re-entrant), and
each client thread has a C++ thread of its own. Closing the client destroys the
calculator (which destroys the Printer it holds) and the child exits 0.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import threading
import time
import weakref
from dataclasses import dataclass

import pytest

import mpipc

from .support import bounded, wait_until

pytestmark = pytest.mark.timeout(60)

local = threading.local()


@dataclass
class Seen:
    """What a Printer.print saw of the thread it ran on."""

    text: str
    ident: int
    who: str | None  # the caller's threading.local value, as seen by the callback
    relocked: bool | None  # the caller's RLock acquired again inside the callback (None: no lock)


@pytest.fixture
def Printer(example):
    class Printer(example.PrinterInterface):
        """Keeps what it is asked to print, and where it ran."""

        def __init__(self):
            self.seen: list[Seen] = []
            self.locks: dict[str, threading.RLock] = {}  # caller's name -> the RLock it holds
            self.destroyed_on: int | None = None
            self.on_print = None  # test hook, called with the text

        def print(self, text):
            lock = self.locks.get(_caller_of(text))
            relocked = None
            if lock is not None:
                relocked = lock.acquire(timeout=2)  # re-entrant only on the thread that holds it
                if relocked:
                    lock.release()
            self.seen.append(Seen(text, threading.get_ident(), getattr(local, "who", None), relocked))
            if self.on_print is not None:
                self.on_print(text)

        def destroy(self):
            self.destroyed_on = threading.get_ident()

    return Printer


def _caller_of(text: str) -> str | None:
    """``caller`` of the C++ calculator's answer to an equation ``caller:n``."""
    match = re.match(r"Wow (\w+):", text)
    return match[1] if match else None


def wow(eqn: str) -> str:
    """What C++ ``mpcalculator`` prints for ``eqn``."""
    return f"Wow {eqn}, that's a tough one.\n"


def cpp_threads_of(log: str, program: str, request: str) -> dict[str, set[str]]:
    """For each thread of ours (by the makeThread name mpipc gave it), the C++ threads that
    executed our ``request`` calls: from lines ``{prog-pid/prog-tid (from NAME)} ...``."""
    posted = {}
    for m in re.finditer(r"IPC server recv request\s+#(\d+) " + re.escape(request), log):
        posted[m[1]] = True
    found: dict[str, set[str]] = {}
    for m in re.finditer(r"^\{%s-\d+/(\S+) \(from ([^)]+)\)\} IPC server executing request #(\d+)$"
                         % re.escape(program), log, re.M):
        if m[3] in posted:
            found.setdefault(m[2], set()).add(m[1])
    return found


def test_callback_runs_on_the_calling_thread_and_close_destroys(example, Printer, cpp_child):
    child = cpp_child("mpcalculator")
    printer = Printer()
    printer_ref = weakref.ref(printer)
    lock = printer.locks["caller"] = threading.RLock()

    def session():
        with example.InitInterfaceClient(child.connection) as init:
            # construct gave each side the other's ThreadMap
            assert child.connection.peer_thread_map is not None
            calc = init.make_calculator(printer)
            local.who = "caller"
            with lock:
                calc.solve_equation("caller:1+2")
                calc.solve_equation("caller:6*7")
            calc.close()
            assert calc.mpipc_cap is None
        return threading.get_ident()

    caller = bounded(session, name="caller")
    assert printer.seen == [Seen(wow("caller:1+2"), caller, "caller", True),
                            Seen(wow("caller:6*7"), caller, "caller", True)]
    # close() called destroy: the C++ calculator destroyed the Printer client it held,
    # which called our Printer's destroy, again on the calling thread.
    assert printer.destroyed_on == caller
    # ... and released the calculator: C++ frees its server object, and lets go of our Printer.
    assert wait_until(lambda: "IPC server destroy mp::ProxyServer<CalculatorInterface>" in child.log()), \
        child.log()[-3000:]
    del printer
    assert wait_until(lambda: gc.collect() is not None and printer_ref() is None), "our Printer is still held"
    # Every solveEquation ran on the one C++ thread made for the caller (makeThread).
    threads = cpp_threads_of(child.log(), "mpcalculator", "CalculatorInterface.solveEquation$Params")
    assert list(threads) == ["client-of-mpcalculator/caller"] and len(threads["client-of-mpcalculator/caller"]) == 1
    assert child.close() == 0, child.stderr()
    log = child.log()
    assert log.index("IPC server destroy mp::ProxyServer<CalculatorInterface>") < log.index(
        "IPC server: socket disconnected.")
    assert "EventLoop::loop bye." in log


@pytest.mark.parametrize("count", [2, 8])
def test_threads_at_once_each_get_their_callbacks(example, Printer, cpp_child, count):
    """Client threads call the one calculator at once; the C++ side serves each on a
    thread of its own, and calls back each caller on its own thread."""
    child = cpp_child("mpcalculator")
    printer = Printer()
    init = example.InitInterfaceClient(child.connection)
    calc = bounded(lambda: init.make_calculator(printer))
    names = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")[:count]
    both_in_callback = threading.Barrier(len(names))

    def meet(text):
        if text.endswith(":0, that's a tough one.\n"):
            # Each thread's first callback waits for the others': all calls are in
            # flight together (a calculator serving one at a time breaks the barrier).
            both_in_callback.wait(5)
    printer.on_print = meet
    idents: dict[str, int] = {}
    errors: list = []

    def work(name):
        try:
            idents[name] = threading.get_ident()
            local.who = name
            with printer.locks.setdefault(name, threading.RLock()):
                for i in range(20):
                    calc.solve_equation(f"{name}:{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append((name, exc))

    workers = [threading.Thread(target=work, args=(name,), name=name) for name in names]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert not any(w.is_alive() for w in workers), "a calling thread hung"
    assert errors == []
    for name in names:
        mine = [s for s in printer.seen if _caller_of(s.text) == name]
        assert mine == [Seen(wow(f"{name}:{i}"), idents[name], name, True) for i in range(20)]
    threads = cpp_threads_of(child.log(), "mpcalculator", "CalculatorInterface.solveEquation$Params")
    ours = {name: threads.get(f"client-of-mpcalculator/{name}") for name in names}
    assert all(t is not None and len(t) == 1 for t in ours.values()), threads
    assert len(set.union(*ours.values())) == count  # a C++ thread each
    closer = bounded(lambda: (calc.close(), init.close(), threading.get_ident())[-1])
    assert printer.destroyed_on == closer
    assert child.close() == 0, child.stderr()


def test_recursion_through_cpp_stays_on_the_calling_thread(example, Printer, cpp_child):
    """Our callback calls the calculator again, 20 levels deep: each nested solveEquation
    runs on the C++ thread waiting for our callback, and each print on our one thread."""
    child = cpp_child("mpcalculator")
    printer = Printer()
    depths = []
    calc = {}

    def again(text):
        n = int(re.match(r"Wow (\d+),", text)[1])
        depths.append(n)
        if n > 0:
            calc["client"].solve_equation(str(n - 1))
    printer.on_print = again

    def session():
        with example.InitInterfaceClient(child.connection) as init, init.make_calculator(printer) as client:
            calc["client"] = client
            client.solve_equation("20")
        return threading.get_ident()

    caller = bounded(session)
    assert depths == list(range(20, -1, -1))
    assert {s.ident for s in printer.seen} == {caller}
    threads = cpp_threads_of(child.log(), "mpcalculator", "CalculatorInterface.solveEquation$Params")
    assert len(set.union(*threads.values())) == 1, threads  # the C++ thread made for us, re-entered
    assert child.close() == 0


def test_exception_in_our_printer_reaches_the_caller_through_cpp(example, Printer, cpp_child):
    child = cpp_child("mpcalculator")
    printer = Printer()

    def out_of_paper(text):
        if "2+2" in text:
            raise ValueError("printer out of paper")
    printer.on_print = out_of_paper

    def session():
        with example.InitInterfaceClient(child.connection) as init, init.make_calculator(printer) as calc:
            with pytest.raises(mpipc.RemoteError) as info:
                calc.solve_equation("2+2")
            calc.solve_equation("3+3")  # still serving
            return info.value

    error = bounded(session)
    # C++ turns the callback's failure into an exception of solveEquation: our text made
    # the round trip Python -> C++ -> Python.
    assert "ValueError: printer out of paper" in error.reason
    assert [s.text for s in printer.seen] == [wow("2+2"), wow("3+3")]
    assert child.close() == 0


def test_child_killed_during_the_callback_gives_disconnected(example, Printer, cpp_child):
    """The C++ calculator dies while our caller's thread runs its callback: the caller's
    call raises Disconnected promptly, later calls at once, and closing is quiet."""
    child = cpp_child("mpcalculator")
    printer = Printer()
    killed_at = []

    def kill_child(text):
        os.kill(child.process.pid, signal.SIGKILL)
        killed_at.append(time.monotonic())
    printer.on_print = kill_child

    def session():
        init = example.InitInterfaceClient(child.connection)
        calc = init.make_calculator(printer)
        with pytest.raises(mpipc.Disconnected):
            calc.solve_equation("1+2")
        gone_after = time.monotonic() - killed_at[0]
        start = time.monotonic()
        with pytest.raises(mpipc.Disconnected):
            calc.solve_equation("1+2")
        again_after = time.monotonic() - start
        calc.close()
        init.close()
        return gone_after, again_after

    gone_after, again_after = bounded(session)
    assert gone_after < 1.0
    assert again_after < 0.5
    assert child.process.wait(5) == -signal.SIGKILL


def test_printer_of_cpp_mpprinter_prints(example, cpp_child):
    child = cpp_child("mpprinter")

    def session():
        with example.InitInterfaceClient(child.connection) as init, init.make_printer() as printer:
            for text in ("hello from mpipc\n", "üñíçødé ✓\n"):
                printer.print(text)

    bounded(session)
    assert child.close() == 0
    out = child.stdout()
    assert "mpprinter: hello from mpipc\n" in out
    assert "mpprinter: üñíçødé ✓\n" in out
    assert "IPC server destroy mp::ProxyServer<PrinterInterface>" in child.log()


def test_mpipc_plays_mpexample_between_both_cpp_programs(example, cpp_child):
    """What mpexample does, written with the generated classes: a Printer of C++ mpprinter
    passed on to C++ mpcalculator, whose callbacks reach mpprinter through us."""
    printing = cpp_child("mpprinter")
    calculating = cpp_child("mpcalculator")

    def session():
        with example.InitInterfaceClient(printing.connection) as init_p, \
                example.InitInterfaceClient(calculating.connection) as init_c:
            with init_p.make_printer() as printer:
                with init_c.make_calculator(printer) as calc:
                    calc.solve_equation("1+2")
                    calc.solve_equation("3*4")
                printer.print("still here\n")

    bounded(session)
    assert printing.close() == 0, printing.stderr()
    assert calculating.close() == 0, calculating.stderr()
    assert printing.stdout() == "".join(f"mpprinter: {t}\n" for t in (wow("1+2"), wow("3*4"), "still here\n"))
