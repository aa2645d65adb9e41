"""A client passed on to another connection, as mpexample passes mpprinter's Printer to
mpcalculator: the receiver's ``destroy`` must not destroy the object under our client.

Found against C++ (test_client.py::test_mpipc_plays_mpexample_between_both_cpp_programs:
mpprinter crashed on our next call); shown here with mpipc alone, so it runs without
MPIPC_INTEROP_BIN.
"""

from __future__ import annotations

import socket

import pytest

from mpipc.transport import Connection

pytestmark = pytest.mark.timeout(60)


def test_destroy_from_the_receiver_is_not_passed_on(example):
    destroyed: list[str] = []
    printed: list[str] = []

    class Printer(example.PrinterInterface):
        def print(self, text):
            printed.append(text)

        def destroy(self):
            destroyed.append("printer")

    class Calculator(example.CalculatorInterface):
        def __init__(self, printer):
            self.printer = printer

        def solve_equation(self, eqn):
            self.printer.print(eqn)

        def destroy(self):
            self.printer.close()  # as C++ mpcalculator: its Printer client goes with it

    class Init(example.InitInterface):
        def make_calculator(self, printer):
            return Calculator(printer)

        def make_printer(self):
            return Printer()

    conns = []
    for name in ("printing", "calculating"):
        ours, theirs = socket.socketpair()
        conns += [Connection(theirs, bootstrap=Init(), name=f"{name}-server"), Connection(ours, name=name)]
    try:
        printing, calculating = conns[1], conns[3]
        with example.InitInterfaceClient(printing) as init_p, example.InitInterfaceClient(calculating) as init_c:
            with init_p.make_printer() as printer:
                with init_c.make_calculator(printer) as calc:
                    calc.solve_equation("1+2")
                # The calculator let go of the Printer it was given; ours is still open.
                assert destroyed == []
                printer.print("still here")
            assert destroyed == ["printer"]  # once, when we closed ours
        assert printed == ["1+2", "still here"]
    finally:
        for conn in conns:
            conn.close()
