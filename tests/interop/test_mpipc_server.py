"""mpipc as the server: C++ ``mpexample`` spawns our ``py_mpcalculator.py``/``py_mpprinter.py`` in place of its own.

Each run gets a folder holding a symlink to ``mpexample`` and, for each of
``mpcalculator``/``mpprinter``, either a symlink to the C++ program or a small shell
script that execs our Python program (mpexample spawns ``dirname(argv0)/<name> <fd>``).
C++ ``mpexample`` does not stop at the end of its input (it keeps reading empty
equations), so every script of equations ends with ``exit``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest

from .conftest import ExampleRun

pytestmark = pytest.mark.timeout(90)

HERE = os.path.dirname(os.path.abspath(__file__))
OURS = {"mpcalculator": os.path.join(HERE, "py_mpcalculator.py"),
        "mpprinter": os.path.join(HERE, "py_mpprinter.py")}
EQUATIONS = ["1+2", "3*4", "10-7", "9/2"]


@pytest.fixture
def example(interop_bin, tmp_path):
    """``example(calculator="py"|"cpp", printer="py"|"cpp")`` makes the folder and gives an
    ExampleRun in it; every process of every run is killed after the test."""
    runs: list[ExampleRun] = []

    def make(calculator: str, printer: str) -> ExampleRun:
        folder = tmp_path / f"{calculator}-calculator-{printer}-printer"
        folder.mkdir()
        os.symlink(os.path.join(interop_bin, "mpexample"), folder / "mpexample")
        for program, which in (("mpcalculator", calculator), ("mpprinter", printer)):
            if which == "cpp":
                os.symlink(os.path.join(interop_bin, program), folder / program)
            else:
                script = folder / program
                script.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} "
                                  f"{shlex.quote(OURS[program])} \"$@\"\n")
                script.chmod(0o755)
        run = ExampleRun(folder, folder)
        runs.append(run)
        return run

    try:
        yield make
    finally:
        for run in runs:
            run.kill()


def expected_text(calculator: str, eqn: str) -> str:
    """What the calculator asks the printer to print for ``eqn``."""
    if calculator == "cpp":
        return f"Wow {eqn}, that's a tough one.\n"
    a, op, b = re.fullmatch(r"(\d+)([-+*/])(\d+)", eqn).groups()
    value = {"+": int(a) + int(b), "-": int(a) - int(b), "*": int(a) * int(b), "/": int(a) // int(b)}[op]
    return f"{eqn} = {value}\n"


def served_by(log: str, program: str) -> list[int]:
    """The pids of ``program`` that wrote to debug.log."""
    return sorted({int(pid) for pid in re.findall(r"^\{" + re.escape(program) + r"-(\d+)/", log, re.M)})


@pytest.mark.parametrize("calculator,printer", [("py", "py"), ("py", "cpp"), ("cpp", "py")])
def test_mpexample_runs_with_our_programs(example, calculator, printer):
    run = example(calculator, printer)
    code = run.run(EQUATIONS + ["exit"])
    assert code == 0, f"mpexample exited {code}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}\nlog:\n{run.log[-3000:]}"
    assert run.leftovers() == [], "processes left behind"
    # What the printer printed to stdout: each equation's result, in order.
    prefix = "py_mpprinter: " if printer == "py" else "mpprinter: "
    printed = re.findall(re.escape(prefix) + "(.*)", run.stdout)
    assert printed == [expected_text(calculator, e).rstrip("\n") for e in EQUATIONS], run.stdout
    assert "Bye!" in run.stdout
    log = run.log
    # mpexample's own log: each call it made to our programs got its results.
    assert log.count("IPC client recv CalculatorInterface.solveEquation$Results") == len(EQUATIONS), log[-3000:]
    assert log.count("IPC client recv InitInterface.construct$Results") == 2
    for program, which in (("mpcalculator", calculator), ("mpprinter", printer)):
        if which == "py":
            name = f"py_{program}"
            (pid,) = served_by(log, name)
            # Our program made the thread mpexample asked for and was served through it,
            # and saw the peer go away at the end.
            assert re.search(r"\{%s-%d/[^}]*\} makeThread 'mpexample-" % (name, pid), log)
            assert f"{{{name}-{pid}/{name}-{pid}}} peer disconnected, exiting" in log
        else:
            assert served_by(log, program), f"C++ {program} did not run"
    if calculator == "py":
        for e in EQUATIONS:
            assert f"solveEquation {e!r}: {expected_text('py', e)!r}" in log
        # On exit mpexample destroys the calculator, which destroys the printer client it holds.
        assert "calculator destroyed" in log
    if printer == "py":
        assert "printer destroyed" in log


def test_exception_from_our_calculator_reaches_mpexample(example):
    """Our calculator raises on a division by zero; mpexample has no handler for it, so it
    aborts with our reason text, and our programs exit once it is gone."""
    run = example("py", "py")
    code = run.run(["8/4", "1/0", "2+2", "exit"])
    assert code != 0
    assert "ZeroDivisionError: 1/0: division by zero" in run.stderr, run.stderr
    assert "py_mpprinter: 8/4 = 2" in run.stdout
    assert "2+2" not in run.stdout
    assert run.leftovers() == [], "processes left behind"
    assert run.log.count("peer disconnected, exiting") == 2, run.log[-3000:]


def test_our_program_refuses_a_wrong_command_line():
    """Like the C++ programs: exactly one argument, the fd."""
    for args in ([], ["3", "4"], ["notanfd"]):
        done = subprocess.run([sys.executable, OURS["mpcalculator"], *args], capture_output=True, timeout=30)
        assert done.returncode == 1
        assert b"Usage: py_mpcalculator <fd>" in done.stderr
