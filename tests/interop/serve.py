"""The body of our stand-ins for libmultiprocess's example programs: serve Init over the fd on the command line.

Usage, as the C++ programs: ``py_mpcalculator.py <fd>`` / ``py_mpprinter.py <fd>``
(exactly one argument). What it serves is written as lines to ``debug.log`` in the
working directory (where ``mpexample`` writes its own); a printer also writes what it
prints to stdout, as C++ ``mpprinter`` does. Exits 0 when the peer disconnects.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from example import InitServer  # noqa: E402
from mpipc.rpc.engine import RpcEngine  # noqa: E402
from mpipc.transport import Connection  # noqa: E402


def _trace(path: str) -> None:
    """Write every frame read (decoded) and written (hex) to ``path``: a debugging aid,
    on when MPIPC_INTEROP_TRACE=1 is in mpexample's environment."""
    out = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
    handle, take_outbox = RpcEngine.handle, RpcEngine.take_outbox

    def traced_handle(engine, message):
        out.write(f"in  {message!r}\n")
        return handle(engine, message)

    def traced_take_outbox(engine):
        frames = take_outbox(engine)
        for frame in frames:
            out.write(f"out {frame.hex()}\n")
        return frames
    RpcEngine.handle, RpcEngine.take_outbox = traced_handle, traced_take_outbox


def main(argv: list[str], program: str) -> int:
    if len(argv) != 2 or not argv[1].isdigit():
        sys.stderr.write(f"Usage: {program} <fd>\n")
        return 1
    name = f"{program}-{os.getpid()}"
    handler = logging.FileHandler("debug.log")
    handler.setFormatter(logging.Formatter(f"{{{name}/%(threadName)s}} %(message)s"))
    log = logging.getLogger("interop")  # example.py's servers log what they serve here
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    threading.current_thread().name = name

    out = sys.stdout if program.endswith("printer") else None
    init = InitServer(out=out, prefix=f"{program}: ")
    sock = socket.socket(fileno=int(argv[1]))
    if os.environ.get("MPIPC_INTEROP_TRACE"):
        _trace(f"{program}-{os.getpid()}.trace")
    conn = Connection(sock, bootstrap=init, name=name)
    log.info("serving Init on fd %s", argv[1])
    try:
        conn.wait_closed()
    finally:
        conn.close()
    log.info("peer disconnected, exiting")
    return 0
