"""A printer for libmultiprocess's ``mpexample``, written with mpipc: ``py_mpprinter.py <fd>``.

It does what C++ ``mpprinter`` does: serves the example's Init over the fd on its
command line; ``makePrinter()`` gives a Printer that writes what it is sent to stdout
after ``mpprinter: ``. It logs to ``debug.log`` in its working directory (where
``mpexample`` logs too), and exits 0 when its parent goes away.
"""

import logging
import sys
import threading

from standin import example, main as serve_main
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



def main(init=None) -> int:
    return serve_main(init or Init(), log)


if __name__ == "__main__":
    sys.exit(main())
