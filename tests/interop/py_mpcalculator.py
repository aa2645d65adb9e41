"""A calculator for libmultiprocess's ``mpexample``, written with mpipc: ``py_mpcalculator.py <fd>``.

It does what C++ ``mpcalculator`` does: serves the example's Init over the fd on its
command line; ``makeCalculator(printer)`` gives a Calculator whose ``solveEquation``
answers through the caller's Printer, and whose ``destroy`` destroys that Printer.
It logs to ``debug.log`` in its working directory (where ``mpexample`` logs too), and
exits 0 when its parent goes away.
"""

import logging
import sys
import threading

from standin import example, main as serve_main
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



def main(init=None) -> int:
    return serve_main(init or Init(), log)


if __name__ == "__main__":
    sys.exit(main())
