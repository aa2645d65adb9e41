"""Waiting in tests, always with a bound: a hang fails the test instead of blocking it."""

from __future__ import annotations

import os
import threading
import time

CALL_TIMEOUT = 10.0


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.01) -> bool:
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped by someone else counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def group_members(pgid: int) -> list[int]:
    """Live processes of process group ``pgid`` (zombies count as gone)."""
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


def bounded(fn, timeout: float = CALL_TIMEOUT, name: str = "bounded"):
    """Run ``fn()`` on a thread of its own and give its result, or raise TimeoutError.

    A call that hangs is left blocked on its daemon thread (closing its connection, or
    killing the peer at teardown, ends it); the test fails at once instead of hanging.
    """
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
    return box.get("value")
