"""Shared by the interop tests: where libmultiprocess's example programs are, and starting
them (and ``mpexample`` with our stand-ins) so that every process is reaped and every wait bounded."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time

import pytest

import mpipc

from ..waiting import CALL_TIMEOUT, alive, bounded, group_members, wait_until  # noqa: F401 (used by the tests too)

SKIP_REASON = ("set MPIPC_INTEROP_BIN to a folder with libmultiprocess's example programs mpexample, "
               "mpcalculator, mpprinter (build: apt-get install capnproto libcapnp-dev cmake g++; "
               "cmake and make mpexample mpcalculator mpprinter in libmultiprocess)")
PROGRAMS = ("mpexample", "mpcalculator", "mpprinter")
HERE = os.path.dirname(os.path.abspath(__file__))
# The example schemas, rewritten from their ids (tests/rpc/wire/README.md).
SCHEMA = os.path.join(os.path.dirname(HERE), "rpc", "schemas", "init.capnp")
# Our stand-ins for the C++ programs that mpexample spawns.
STAND_INS = {"mpcalculator": os.path.join(HERE, "py_mpcalculator.py"),
             "mpprinter": os.path.join(HERE, "py_mpprinter.py")}


def interop_bin() -> str:
    """The folder of the C++ example programs; skips the test when MPIPC_INTEROP_BIN is unset."""
    folder = os.environ.get("MPIPC_INTEROP_BIN")
    if not folder:
        pytest.skip(SKIP_REASON)
    missing = [p for p in PROGRAMS if not os.access(os.path.join(folder, p), os.X_OK)]
    if missing:
        pytest.fail(f"MPIPC_INTEROP_BIN={folder} has no executable {', '.join(missing)}")
    return folder


# ------------------------------------------------------------------------ waiting, bounded




def read_text(path: str) -> str:
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


# ------------------------------------------------------------------------ processes
class Child:
    """A program spawned with ``mpipc.spawn`` (``prog <fd>``) in folder ``cwd``: its stdout and
    stderr go to files there, beside the ``debug.log`` the example programs write."""

    def __init__(self, argv: list[str], cwd, bootstrap=None, name: str | None = None):
        self.program = os.path.basename(argv[0])
        self.cwd = str(cwd)
        self.stdout_path = os.path.join(self.cwd, f"{self.program}.stdout")
        self.stderr_path = os.path.join(self.cwd, f"{self.program}.stderr")
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.spawned = mpipc.spawn(argv, bootstrap=bootstrap, name=name or f"client-of-{self.program}",
                                       cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.connection = self.spawned.connection
        self.process = self.spawned.process

    def stdout(self) -> str:
        return read_text(self.stdout_path)

    def stderr(self) -> str:
        return read_text(self.stderr_path)

    def log(self) -> str:
        return read_text(os.path.join(self.cwd, "debug.log"))

    def close(self, timeout: float = 5.0) -> int | None:
        """Close our side and wait for the child to exit; its exit code, or None if it had
        not gone within ``timeout`` and was killed."""
        self.connection.close()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(5)
        self.connection.close()


class Children:
    """Spawns children for one test and closes (or kills) and reaps all of them after it."""

    def __init__(self, folder: str, cwd):
        self.folder = folder
        self.cwd = cwd
        self.children: list[Child] = []

    def __call__(self, program: str, bootstrap=None, name: str | None = None) -> Child:
        """Spawn the C++ ``program`` of the interop folder."""
        child = Child([os.path.join(self.folder, program)], self.cwd, bootstrap, name)
        self.children.append(child)
        return child

    def close_all(self) -> None:
        for child in self.children:
            child.close()


# ------------------------------------------------------------------------ mpexample runs
def example_folder(interop: str, folder, calculator: str, printer: str) -> None:
    """Fill ``folder`` for one run of ``mpexample``: it spawns ``dirname(argv0)/<name> <fd>``,
    so each of mpcalculator/mpprinter is a symlink to the C++ program (``"cpp"``), or a
    script that execs our stand-in (``"py"``) or the Python file given."""
    os.makedirs(folder, exist_ok=True)
    os.symlink(os.path.join(interop, "mpexample"), os.path.join(folder, "mpexample"))
    for program, which in (("mpcalculator", calculator), ("mpprinter", printer)):
        path = os.path.join(folder, program)
        if which == "cpp":
            os.symlink(os.path.join(interop, program), path)
            continue
        script = STAND_INS[program] if which == "py" else which
        with open(path, "w") as f:
            f.write(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(script)} \"$@\"\n")
        os.chmod(path, 0o755)


class ExampleRun:
    """One run of C++ ``mpexample`` in a folder of its own, in a process group of its own."""

    def __init__(self, cwd):
        self.cwd = str(cwd)
        self.proc: subprocess.Popen | None = None
        self.stdout = self.stderr = self.log = ""

    def run(self, lines: list[str], timeout: float = 30.0) -> int:
        """Feed ``lines`` on stdin, close it, and wait for the exit code (killed after ``timeout``)."""
        out_path = os.path.join(self.cwd, "mpexample.stdout")
        err_path = os.path.join(self.cwd, "mpexample.stderr")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            # argv[0] is the path in the folder: mpexample spawns its programs from there.
            self.proc = subprocess.Popen([os.path.join(self.cwd, "mpexample")], cwd=self.cwd,
                                         stdin=subprocess.PIPE, stdout=out, stderr=err,
                                         start_new_session=True)
        try:
            self.proc.stdin.write("".join(line + "\n" for line in lines).encode())
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        finally:
            self.stdout = read_text(out_path)
            self.stderr = read_text(err_path)
            self.log = read_text(os.path.join(self.cwd, "debug.log"))
        return code

    def leftovers(self, timeout: float = 5.0) -> list[int]:
        """Processes of the run still alive ``timeout`` seconds after mpexample ended
        (``log`` is read again after, with what they wrote last)."""
        if self.proc is None:
            return []
        wait_until(lambda: not group_members(self.proc.pid), timeout)
        left = group_members(self.proc.pid)
        self.log = read_text(os.path.join(self.cwd, "debug.log"))
        return left

    def kill(self) -> None:
        """Kill every process of the run (mpexample and what it spawned) and reap mpexample."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
