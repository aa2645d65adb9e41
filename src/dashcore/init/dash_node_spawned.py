"""dash-node spawned by dash-gui as ``dash-node -ipcfd N``: serves an Init whose Node starts the node.

The GUI constructs the Init with its options (``GlobalArgs``), asks it for the Node,
subscribes to init messages, then calls ``app_init_main``: the node then runs here
exactly as a dash-node started by hand (``node.app.run`` with ``DashNodeInit``, which
spawns dash-wallet), on this process's main thread. ``app_shutdown`` stops it. If the
GUI's connection ends first (the GUI exited or died), the node is stopped as by ``stop``;
either way the process exits once the node has stopped and the connection is closed.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
from typing import Callable

import mpipc

from ..interfaces import Echo, Init, Node
from ..ipc import process
from ..util.args import ArgsManager
from .common import EchoImpl
from .gui_node import LaunchedNode

log = logging.getLogger("dashcore.init")

#: How long the process waits, after its node stopped, for the GUI to close the connection.
CLOSE_TIMEOUT = 10.0


class _GuiServedInit(Init):
    """The Init dash-gui bootstraps: configured by ``construct``, gives the one LaunchedNode."""

    def __init__(self, args: ArgsManager, node: LaunchedNode):
        self._args = args
        self._node = node

    def ipc_construct(self, global_args) -> None:
        process.load_global_args(self._args, global_args)

    def make_echo(self) -> Echo:
        return EchoImpl()

    def make_node(self) -> Node:
        return self._node


def run(argv: list[str], args: ArgsManager, make_init: Callable, process_name: str) -> int:
    """Serve the GUI on the fd of ``argv`` until the node has run and stopped (or the GUI went away)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in the GUI's terminal is for the GUI, which stops us
    jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
    node = LaunchedNode(args, make_init, process_name, runner=jobs.put, name_lines=True)
    connection = process.serve_fd(argv, process.init_server(_GuiServedInit(args, node)),
                                  f"{process_name}-{os.getpid()}")
    signal.signal(signal.SIGTERM, lambda *_: node.start_shutdown())

    def watch() -> None:
        connection.wait_closed()
        node.start_shutdown()
        jobs.put(None)
    threading.Thread(target=watch, name="ipc-watch", daemon=True).start()
    while True:
        job = jobs.get()
        if job is None:
            break
        job()  # the node, on the main thread (signals, as a dash-node started by hand)
        if not connection.wait_closed(CLOSE_TIMEOUT):
            break
    try:
        connection.close()
    except mpipc.MpipcError:
        pass
    return 0
