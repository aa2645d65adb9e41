"""A printer for libmultiprocess's ``mpexample``, written with mpipc: ``py_mpprinter.py <fd>``.

It does what C++ ``mpprinter`` does: serves the example's Init over the fd on its
command line; ``makePrinter()`` gives a Printer that writes what it is sent to stdout
after ``mpprinter: ``. It logs to ``debug.log`` in its working directory (where
``mpexample`` logs too), and exits 0 when its parent goes away.
"""

import logging
import os
import sys
import threading

import mpipc
from mpipc import proxy

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "rpc", "schemas", "init.capnp")
example = proxy.load(SCHEMA)
log = logging.getLogger("py_mpprinter")


class Printer(example.PrinterInterface):
    def print(self, text):
        log.info("print %r on %s", text, threading.current_thread().name)
        sys.stdout.write(f"mpprinter: {text}\n")
        sys.stdout.flush()

    def destroy(self):
        log.info("printer destroyed")


class Init(example.InitInterface):
    def make_calculator(self, printer):
        raise NotImplementedError("mpprinter makes no calculators")

    def make_printer(self):
        return Printer()


def log_to_debug_log(name: str) -> None:
    """This program's lines and mpipc's request/response lines, to ./debug.log."""
    mpipc.set_process_name(name)
    handler = logging.FileHandler("debug.log")
    handler.setFormatter(logging.Formatter(f"{{{name}-{os.getpid()}/%(threadName)s}} %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    ipc = logging.FileHandler("debug.log")  # mpipc's lines carry their own {process/thread}
    logging.getLogger("mpipc").addHandler(ipc)
    logging.getLogger("mpipc").setLevel(logging.DEBUG)


def main(init=None) -> int:
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.stderr.write(f"Usage: {name} <fd>\n")
        return 1
    log_to_debug_log(name)
    log.info("serving Init on fd %s", sys.argv[1])
    mpipc.serve_spawned(init or Init())
    log.info("peer disconnected, exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
