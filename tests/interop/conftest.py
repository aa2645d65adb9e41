"""Fixtures of the interop tests: libmultiprocess's C++ example programs, started and always reaped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import pytest

from mpipc.transport import Connection

SKIP_REASON = ("set MPIPC_INTEROP_BIN to a folder with libmultiprocess's example programs mpexample, "
               "mpcalculator, mpprinter (build: apt-get install capnproto libcapnp-dev cmake g++; "
               "cmake and make mpexample mpcalculator mpprinter in libmultiprocess)")
PROGRAMS = ("mpexample", "mpcalculator", "mpprinter")


@pytest.fixture(scope="session")
def interop_bin() -> str:
    """The folder of the C++ example programs; skips the test when MPIPC_INTEROP_BIN is unset."""
    folder = os.environ.get("MPIPC_INTEROP_BIN")
    if not folder:
        pytest.skip(SKIP_REASON)
    missing = [p for p in PROGRAMS if not os.access(os.path.join(folder, p), os.X_OK)]
    if missing:
        pytest.fail(f"MPIPC_INTEROP_BIN={folder} has no executable {', '.join(missing)}")
    return folder


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped by someone else counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def group_members(pgid: int) -> list[int]:
    """Live processes of process group ``pgid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            found.append(int(entry))
    return found


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


class CppChild:
    """A C++ example program (``mpcalculator``/``mpprinter``) spawned as ``prog <fd>`` over a
    socketpair, with an mpipc Connection to it. Its stdout and stderr go to files in ``cwd``
    (with its ``debug.log``)."""

    def __init__(self, folder: str, program: str, cwd, name: str | None = None):
        self.program = program
        self.cwd = str(cwd)
        self.stdout_path = os.path.join(self.cwd, f"{program}.stdout")
        self.stderr_path = os.path.join(self.cwd, f"{program}.stderr")
        ours, theirs = socket.socketpair()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([os.path.join(folder, program), str(theirs.fileno())],
                                         pass_fds=[theirs.fileno()], cwd=self.cwd,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        theirs.close()
        self.conn = Connection(ours, name=name or f"client-of-{program}")

    def stdout(self) -> str:
        with open(self.stdout_path, errors="replace") as f:
            return f.read()

    def stderr(self) -> str:
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def close(self) -> int | None:
        """Close our side, kill the child if it has not gone within 5 s; give its exit code
        if it exited by itself (None if it had to be killed)."""
        self.conn.close()
        try:
            return self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            return None


@pytest.fixture
def cpp_child(interop_bin, tmp_path):
    """``cpp_child("mpcalculator")`` spawns it; every child is closed and reaped after the test."""
    children: list[CppChild] = []

    def spawn(program: str) -> CppChild:
        child = CppChild(interop_bin, program, tmp_path)
        children.append(child)
        return child

    try:
        yield spawn
    finally:
        for child in children:
            child.close()


class ExampleRun:
    """One run of C++ ``mpexample`` in a folder of its own, in a process group of its own."""

    def __init__(self, folder, cwd):
        self.folder = str(folder)
        self.cwd = str(cwd)
        self.proc: subprocess.Popen | None = None
        self.stdout = self.stderr = self.log = ""

    def run(self, lines: list[str], timeout: float = 30.0) -> int:
        """Feed ``lines`` on stdin, close it, and wait for the exit code (killed after ``timeout``)."""
        out_path = os.path.join(self.cwd, "mpexample.stdout")
        err_path = os.path.join(self.cwd, "mpexample.stderr")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            # argv[0] is the path in the folder: mpexample spawns dirname(argv0)/mpcalculator etc.
            self.proc = subprocess.Popen([os.path.join(self.folder, "mpexample")], cwd=self.cwd,
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
            self.stdout = _read(out_path)
            self.stderr = _read(err_path)
            self.log = _read(os.path.join(self.cwd, "debug.log"))
        return code

    def leftovers(self, timeout: float = 5.0) -> list[int]:
        """Processes of the run still alive ``timeout`` seconds after mpexample ended
        (``log`` is read again after, with what they wrote last)."""
        if self.proc is None:
            return []
        wait_until(lambda: not group_members(self.proc.pid), timeout)
        left = group_members(self.proc.pid)
        self.log = _read(os.path.join(self.cwd, "debug.log"))
        return left

    def kill(self) -> None:
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


def _read(path: str) -> str:
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""
