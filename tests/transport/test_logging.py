"""Request/response lines on the ``mpipc`` logger, in libmultiprocess's format."""

from __future__ import annotations

import logging
import os
import re
import socket
import threading

import pytest

import mpipc
from mpipc.demo.adder import AdderClient, AdderServer
from mpipc.transport import Connection


@pytest.fixture
def adder():
    a, b = socket.socketpair()
    server = Connection(b, bootstrap=AdderServer(), name="server")
    client = Connection(a, name="client")
    yield AdderClient(client)
    client.close()
    server.close()


def _ipc_lines(caplog):
    return [r.getMessage() for r in caplog.records if " IPC " in r.getMessage()]


def test_debug_lines_name_process_thread_and_message(adder, caplog):
    mpipc.set_process_name("unit")
    with caplog.at_level(logging.DEBUG, logger="mpipc"):
        assert adder.add(2, 3) == 5
    lines = _ipc_lines(caplog)
    me = f"{{unit-{os.getpid()}/{threading.current_thread().name}}}"
    assert f"{me} IPC client send Adder.add$Params" in lines
    assert f"{me} IPC client recv Adder.add$Results" in lines
    server_lines = [line for line in lines if "IPC server" in line]
    assert len(server_lines) == 2, lines
    assert re.fullmatch(r"\{unit-\d+/server-worker\} IPC server recv request #\d+ Adder\.add\$Params",
                        server_lines[0]), server_lines
    assert re.fullmatch(r"\{unit-\d+/server-worker\} IPC server send response #\d+ Adder\.add\$Results",
                        server_lines[1]), server_lines
    assert not any("a=2" in line for line in lines)  # values only at trace


def test_trace_adds_values_cut_at_200_characters(adder, caplog):
    with caplog.at_level(mpipc.TRACE, logger="mpipc"):
        adder.add(2, 3)
        adder.echo(b"x" * 1000)
    lines = _ipc_lines(caplog)
    assert any(line.endswith("Adder.add$Params Adder.add$Params(a=2, b=3)") for line in lines), lines
    long = [line for line in lines if "echo$Params" in line and "client send" in line][0]
    values = long.split("Adder.echo$Params ", 1)[1]
    assert len(values) == 200 and values.endswith("...")


def test_nothing_is_logged_or_printed_by_default(adder, caplog, capsys):
    with caplog.at_level(logging.INFO, logger="mpipc"):
        assert adder.add(1, 1) == 2
    assert _ipc_lines(caplog) == []
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
