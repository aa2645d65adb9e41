"""dash-gui: the GUI alone; the node is a dash-node it spawns (which spawns dash-wallet), or with
``-ipcconnect`` one already running with ``-ipcbind``, reached only through mpipc."""

from __future__ import annotations

import logging
import os
import sys
import threading

import mpipc

from .. import chainparams
from ..interfaces import Node
from ..ipc import process
from ..util.args import ArgsManager, Option
from . import gui
from .gui import CLIENT_VERSION
from .options import DASHD_OPTIONS

PROCESS_NAME = "dash-gui"
NODE_EXECUTABLE = "dash-node"
TITLE = "Dash Core - Wallet"
USAGE = (f"Dash Core version {CLIENT_VERSION}\n\nUsage:  dash-gui [command-line options]    Start Dash Core "
         f"(regtest only), with the node in a {NODE_EXECUTABLE} process")
OPTIONS = DASHD_OPTIONS + gui.GUI_OPTIONS + [
    Option("ipcconnect", "Use the dash-node already running with -ipcbind instead of starting one; unix alone is "
           "<datadir>/regtest/node.sock", "unix[:<path>]"),
    Option("ipcbind", "Have the dash-node this starts listen for IPC connections too (see dash-node -help)",
           "unix[:<path>]"),
]

log = logging.getLogger("dashcore.init")


class SpawnedSession:
    """A dash-node spawned for this GUI: started by Node.app_init_main, stopped by Node.app_shutdown."""

    def __init__(self, args: ArgsManager):
        self._closing = threading.Event()
        self.process = process.spawn(NODE_EXECUTABLE, args)
        log.info("IPC: spawned %s (pid %d)", NODE_EXECUTABLE, self.process.pid)
        self.node: Node = self.process.init.make_node()

    def wait_lost(self) -> str | None:
        self.process.connection.wait_closed()
        if self._closing.is_set():
            return None
        return f"the node process ({NODE_EXECUTABLE}, pid {self.process.pid}) exited or its connection was lost"

    def close(self) -> None:
        self._closing.set()
        code = self.process.close(timeout=30)
        log.info("IPC: %s (pid %d) exited with %d", NODE_EXECUTABLE, self.process.pid, code)


class ConnectedSession:
    """A dash-node started by hand with -ipcbind: the GUI attaches and leaves it running when it quits."""

    def __init__(self, args: ArgsManager):
        self._closing = threading.Event()
        net_dir = os.path.join(args.datadir(), chainparams.NETWORK)
        self.address = process.unix_address(args.get("ipcconnect"), net_dir)
        self.connection = mpipc.connect(self.address, name=f"{PROCESS_NAME}-{os.getpid()}")
        log.info("IPC: connected to %s", self.address)
        self.node: Node = process.init_client(self.connection, args).make_node()

    def wait_lost(self) -> str | None:
        self.connection.wait_closed()
        if self._closing.is_set():
            return None
        return f"the connection to {NODE_EXECUTABLE} at {self.address[5:]} was lost"

    def close(self) -> None:
        self._closing.set()
        self.connection.close()


def make_session(args: ArgsManager):
    gui.log_to_debug_log(args, PROCESS_NAME)
    if args.is_set("ipcconnect"):
        return ConnectedSession(args)
    return SpawnedSession(args)


def prepare(argv: list[str]):
    return gui.prepare(argv, USAGE, OPTIONS, PROCESS_NAME, TITLE, make_session)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    mpipc.set_process_name(PROCESS_NAME)
    gui.exit_now(gui.run(prepare(argv)))
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
