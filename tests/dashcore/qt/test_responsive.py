"""The GUI thread never waits on another process: a node call that takes 2 s (here through a real mpipc
connection) leaves a 50 ms timer on the GUI thread firing all along."""

from __future__ import annotations

import json
import socket
import threading
import time

import mpipc
import pytest

from dashcore.ipc import process
from dashcore.qt.console import RPCConsole
from dashcore.qt.tasks import Tasks

SLOW = 2.0


class SlowNode:
    """The part of a Node the console uses; ``slow`` takes SLOW seconds."""

    def __init__(self):
        self.calls: list[str] = []

    def execute_rpc(self, command: str, params_json: str, uri: str) -> str:
        self.calls.append(command)
        if command == "slow":
            time.sleep(SLOW)
        return json.dumps({"command": command, "params": json.loads(params_json)})


class SlowInit:
    def make_echo(self):
        return None

    def make_node(self):
        return SlowNode()


@pytest.fixture
def remote_node():
    """A SlowNode served over a socket pair, as dash-gui sees dash-node's Node."""
    a, b = socket.socketpair()
    server = mpipc.Connection(a, bootstrap=process.init_server(SlowInit()), name="slow-node")
    client = mpipc.Connection(b, name="gui")
    try:
        yield process.init_client(client, None).make_node()
    finally:
        client.close()
        server.close()


def test_a_slow_node_call_leaves_the_gui_thread_free(qtbot, remote_node):
    tasks = Tasks()
    console = RPCConsole(remote_node, tasks)
    qtbot.addWidget(console)
    ticks: list[float] = []
    from PySide6.QtCore import QTimer
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    qtbot.waitUntil(lambda: len(ticks) >= 2, timeout=5000)
    done: list[tuple] = []
    console.command_done.connect(lambda line, ok, text: done.append((line, ok, text)))
    started = time.monotonic()
    console.execute("slow 1 two")
    returned = time.monotonic() - started
    assert returned < 0.5, f"execute() held the GUI thread {returned:.2f} s"
    qtbot.waitUntil(lambda: bool(done), timeout=int(SLOW * 1000) + 20000)
    elapsed = time.monotonic() - started
    timer.stop()
    tasks.close()
    line, ok, text = done[0]
    assert ok and json.loads(text) == {"command": "slow", "params": [1, "two"]}
    during = [t for t in ticks if started <= t <= started + elapsed]
    gaps = [b - a for a, b in zip(during, during[1:])]
    assert elapsed >= SLOW
    assert len(during) >= SLOW / 0.05 / 3, f"only {len(during)} ticks in {elapsed:.1f} s"
    assert max(gaps) < 0.5, f"the GUI thread stalled {max(gaps):.2f} s"


def test_console_history_help_and_errors(qtbot, remote_node):
    tasks = Tasks()
    console = RPCConsole(remote_node, tasks)
    qtbot.addWidget(console)
    done: list[tuple] = []
    console.command_done.connect(lambda line, ok, text: done.append((line, ok, text)))
    console.execute("help-console")
    console.execute('echo "a b" [1,2]')
    qtbot.waitUntil(lambda: len(done) == 2, timeout=10000)
    assert json.loads(done[1][2])["params"] == ["a b", [1, 2]]
    console.execute('bad "unclosed')
    assert done[-1][1] is False and "Parse error" in done[-1][2]
    console.browse_history(-1)
    assert console.line.text() == 'bad "unclosed'
    console.browse_history(-1)
    assert console.line.text() == 'echo "a b" [1,2]'
    console.browse_history(1)
    console.browse_history(1)
    assert console.line.text() == ""
    tasks.close()
    assert threading.active_count() >= 1
