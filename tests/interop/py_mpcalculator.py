"""A calculator for libmultiprocess's ``mpexample``, written with mpipc: ``py_mpcalculator.py <fd>``.

It does what C++ ``mpcalculator`` does: serves the example's Init over the fd on its
command line; ``makeCalculator(printer)`` gives a Calculator whose ``solveEquation``
answers through the caller's Printer, and whose ``destroy`` destroys that Printer.
It logs to ``debug.log`` in its working directory (where ``mpexample`` logs too), and
exits 0 when its parent goes away.
"""

import logging
import os
import sys
import threading

import mpipc
from mpipc import proxy

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "rpc", "schemas", "init.capnp")
example = proxy.load(SCHEMA)
log = logging.getLogger("py_mpcalculator")


class Calculator(example.CalculatorInterface):
    def __init__(self, printer):
        self.printer = printer

    def solve_equation(self, eqn):
        # Runs on the thread this process made for mpexample's calling thread, and the
        # print below runs on that calling thread, which waits for this call.
        log.info("solveEquation %r on %s", eqn, threading.current_thread().name)
        self.printer.print(f"Wow {eqn}, that's a tough one.\n")

    def destroy(self):
        log.info("calculator destroyed")
        self.printer.close()  # calls the Printer's destroy, then lets it go


class Init(example.InitInterface):
    def make_calculator(self, printer):
        return Calculator(printer)

    def make_printer(self):
        raise NotImplementedError("mpcalculator makes no printers")


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
