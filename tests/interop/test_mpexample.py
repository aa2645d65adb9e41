"""mpipc as the server: C++ ``mpexample`` spawns our ``py_mpcalculator.py``/``py_mpprinter.py``
(written with generated classes and ``serve_spawned``) in place of its own programs.

Each run gets a folder holding a symlink to ``mpexample`` and, for each of
``mpcalculator``/``mpprinter``, a symlink to the C++ program or a script that execs
ours (``support.example_folder``). C++ ``mpexample`` does not stop at the end of its
input (it keeps reading empty equations), so every script of equations ends with ``exit``.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .support import HERE, STAND_INS

pytestmark = pytest.mark.timeout(120)

EQUATIONS = ["1+2", "3*4", "10-7", "9/2"]


def served_by(log: str, program: str) -> list[int]:
    """The pids of ``program`` that wrote to debug.log."""
    return sorted({int(pid) for pid in re.findall(r"^\{" + re.escape(program) + r"-(\d+)/", log, re.M)})


def lines_of(log: str, program: str, pid: int, text: str) -> list[tuple[str, str]]:
    """(thread name, rest of line) of ``program``'s lines holding ``text``."""
    found = []
    for line in log.splitlines():
        prefix = f"{{{program}-{pid}/"
        if line.startswith(prefix) and text in line:
            thread, _, rest = line[len(prefix):].partition("} ")
            found.append((thread, rest))
    return found


@pytest.mark.parametrize("calculator,printer", [("py", "py"), ("py", "cpp"), ("cpp", "py")])
def test_mpexample_runs_to_bye_with_the_same_output(mpexample, calculator, printer):
    reference = mpexample("cpp", "cpp")
    assert reference.run(EQUATIONS + ["exit"]) == 0, reference.stderr
    assert reference.leftovers() == []
    run = mpexample(calculator, printer)
    code = run.run(EQUATIONS + ["exit"])
    assert code == 0, f"mpexample exited {code}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}\nlog:\n{run.log[-3000:]}"
    assert run.leftovers() == [], "processes left behind"
    assert run.stdout == reference.stdout
    assert run.stderr == reference.stderr
    assert run.stdout.endswith("Bye!\n")
    assert run.stdout.count("mpprinter: Wow ") == len(EQUATIONS)

    log = run.log
    # mpexample's own log: each call it made to our programs got its results.
    assert log.count("IPC client recv CalculatorInterface.solveEquation$Results") == len(EQUATIONS), log[-3000:]
    assert log.count("IPC client recv InitInterface.construct$Results") == 2
    (mpexample_pid,) = served_by(log, "mpexample")
    for program, which in (("mpcalculator", calculator), ("mpprinter", printer)):
        if which == "cpp":
            assert served_by(log, program), f"C++ {program} did not run"
            assert not served_by(log, f"py_{program}")
            continue
        name = f"py_{program}"
        (pid,) = served_by(log, name)
        assert not served_by(log, program)
        assert lines_of(log, name, pid, "peer disconnected, exiting") == [("MainThread", "peer disconnected, exiting")]
        # Every call from mpexample's main thread ran on the one thread our program made
        # for it through ThreadMap.makeThread (named after it), not on the connection's worker.
        calls = lines_of(log, name, pid, "IPC server recv request")
        assert len(calls) >= 3, log[-3000:]  # construct, makeThread, makeX, ...
        made_for_mpexample = {thread for thread, rest in calls
                              if "ThreadMap" not in rest and "construct" not in rest}
        assert made_for_mpexample == {f"mpexample-{mpexample_pid}/mpexample-{mpexample_pid}"}, calls
    if calculator == "py":
        pid = served_by(log, "py_mpcalculator")[0]
        solved = [rest for _, rest in lines_of(log, "py_mpcalculator", pid, "solveEquation '")]
        assert solved == [f"solveEquation {e!r} on mpexample-{mpexample_pid}/mpexample-{mpexample_pid}"
                          for e in EQUATIONS]
        # On exit mpexample destroys the calculator, which destroys the Printer it holds.
        assert lines_of(log, "py_mpcalculator", pid, "calculator destroyed")
    if printer == "py":
        pid = served_by(log, "py_mpprinter")[0]
        assert len(lines_of(log, "py_mpprinter", pid, "print \"Wow ")) == len(EQUATIONS)
        assert lines_of(log, "py_mpprinter", pid, "printer destroyed")


PICKY_CALCULATOR = f"""
import sys
sys.path.insert(0, {HERE!r})
import py_mpcalculator


class PickyCalculator(py_mpcalculator.Calculator):
    def solve_equation(self, eqn):
        if eqn.endswith("/0"):
            raise ZeroDivisionError(f"{{eqn}}: division by zero")
        super().solve_equation(eqn)


class Init(py_mpcalculator.Init):
    def make_calculator(self, printer):
        return PickyCalculator(printer)


sys.exit(py_mpcalculator.main(Init()))
"""


def test_exception_from_our_calculator_reaches_mpexample(mpexample, tmp_path):
    """A calculator of ours that raises on a division by zero; mpexample has no handler for
    it, so it aborts with our reason text, and our programs exit once it is gone."""
    picky = tmp_path / "picky_mpcalculator.py"
    picky.write_text(PICKY_CALCULATOR)
    run = mpexample(str(picky), "py")
    code = run.run(["8/4", "1/0", "2+2", "exit"])
    assert code != 0
    assert "ZeroDivisionError: 1/0: division by zero" in run.stderr, run.stderr
    assert "mpprinter: Wow 8/4, that's a tough one." in run.stdout
    assert "2+2" not in run.stdout
    assert run.leftovers() == [], "processes left behind"
    assert run.log.count("peer disconnected, exiting") == 2, run.log[-3000:]
    assert served_by(run.log, "picky_mpcalculator")


@pytest.mark.parametrize("program", sorted(STAND_INS))
def test_our_program_refuses_a_wrong_command_line(program):
    """Like the C++ programs: exactly one argument, the fd."""
    for args in ([], ["3", "4"], ["notanfd"]):
        done = subprocess.run([sys.executable, STAND_INS[program], *args], capture_output=True, timeout=30)
        assert done.returncode == 1
        assert f"Usage: py_{program} <fd>".encode() in done.stderr
