"""What the two stand-ins for libmultiprocess's example programs share: the example
schema, logging to ``./debug.log`` as ``mpexample`` does, and serving Init on the fd of
the command line (``prog <fd>``) until the parent goes away."""

import logging
import os
import sys

import mpipc
from mpipc import proxy

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "rpc", "schemas", "init.capnp")
example = proxy.load(SCHEMA)


def log_to_debug_log(name: str, log: logging.Logger) -> None:
    """This program's lines and mpipc's request/response lines, to ./debug.log."""
    mpipc.set_process_name(name)
    handler = logging.FileHandler("debug.log")
    handler.setFormatter(logging.Formatter(f"{{{name}-{os.getpid()}/%(threadName)s}} %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    ipc = logging.FileHandler("debug.log")  # mpipc's lines carry their own {process/thread}
    logging.getLogger("mpipc").addHandler(ipc)
    logging.getLogger("mpipc").setLevel(logging.DEBUG)


def main(init, log: logging.Logger) -> int:
    """``prog <fd>``: serve ``init`` until the parent goes; the C++ programs' usage error otherwise."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.stderr.write(f"Usage: {name} <fd>\n")
        return 1
    log_to_debug_log(name, log)
    log.info("serving Init on fd %s", sys.argv[1])
    mpipc.serve_spawned(init)
    log.info("peer disconnected, exiting")
    return 0
