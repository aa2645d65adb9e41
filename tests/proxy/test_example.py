"""libmultiprocess's example schemas (Init, Calculator, Printer) through proxies: construct
exchanges ThreadMaps, calls carry a Context, a callback runs on the calling thread, destroy."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from mpipc import proxy
from mpipc.transport import Connection

from .support import RPC_SCHEMAS


@pytest.fixture(scope="module")
def ex():
    return proxy.load(os.path.join(RPC_SCHEMAS, "init.capnp"))


def test_calculator_calls_back_a_printer(ex):
    events = []

    class Calculator(ex.CalculatorInterface):
        def __init__(self, printer):
            self.printer = printer

        def solve_equation(self, eqn):
            a, b = eqn.split("+")
            self.printer.print(f"{eqn} = {int(a) + int(b)}")

        def destroy(self):
            events.append("calculator destroyed")

    class Init(ex.InitInterface):
        def make_calculator(self, print_):
            return Calculator(print_)

        def make_printer(self):
            raise NotImplementedError

    class Printer(ex.PrinterInterface):
        def print(self, text):
            events.append((text, threading.get_ident()))

    a, b = socket.socketpair()
    server = Connection(b, bootstrap=Init(), name="calc-server")
    client = Connection(a, name="calc-client")
    try:
        with ex.InitInterfaceClient(client) as init:
            # construct gave each side the other's ThreadMap
            assert client.peer_thread_map is not None and server.peer_thread_map is not None
            with init.make_calculator(Printer()) as calc:
                calc.solve_equation("2+3")
                calc.solve_equation("10+-4")
        assert events == [("2+3 = 5", threading.get_ident()), ("10+-4 = 6", threading.get_ident()),
                          "calculator destroyed"]
    finally:
        client.close()
        server.close()
