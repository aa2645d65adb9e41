"""Request and response lines in libmultiprocess's style, on the ``mpipc`` logger.

    {dash-node-4242/worker-3} IPC client send Wallet.getBalances$Params
    {dash-wallet-4250/dash-wallet-4250} IPC server recv request #7 Wallet.getBalances$Params

At DEBUG each request and response is a line; at TRACE (level 5) the line also holds
the field values, cut at 200 characters. The library only adds a NullHandler: where
lines go is the application's choice. ``set_process_name`` names this process in them
(by default the program's file name).
"""

from __future__ import annotations

import logging
import os
import sys
import threading

TRACE = 5
logging.addLevelName(TRACE, "TRACE")
log = logging.getLogger("mpipc")
log.addHandler(logging.NullHandler())
VALUE_LIMIT = 200

_name = os.path.splitext(os.path.basename(sys.argv[0] or "python"))[0] or "python"


def set_process_name(name: str) -> None:
    """The name this process has in log lines (``{name-pid/thread}``)."""
    global _name
    _name = name


def prefix() -> str:
    """``{name-pid/thread}``: where a line comes from, at the start of every mpipc line."""
    return f"{{{_name}-{os.getpid()}/{threading.current_thread().name}}}"


def _values(value) -> str:
    text = repr(value)
    return text if len(text) <= VALUE_LIMIT else text[:VALUE_LIMIT - 3] + "..."


def message(side: str, value, number: int | None = None) -> None:
    """One request/response line: ``side`` "client send", "server recv" ..."""
    name = type(value).__qualname__ if value is not None else "(empty)"
    ref = f"request #{number} " if side == "server recv" else f"response #{number} " if side == "server send" else ""
    if log.isEnabledFor(TRACE):
        log.log(TRACE, "%s IPC %s %s%s %s", prefix(), side, ref, name, _values(value))
    else:
        log.debug("%s IPC %s %s%s", prefix(), side, ref, name)
