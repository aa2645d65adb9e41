"""dash-qt: the GUI, the node and the wallet in one process (the GUI sees them only through Node and Wallet)."""

from __future__ import annotations

import sys

import mpipc

from ..interfaces import Node
from ..node import app
from ..util.args import ArgsManager
from . import gui
from .dashd import DashdInit
from .gui_node import LaunchedNode, in_thread
from .options import DASHD_OPTIONS

PROCESS_NAME = "dash-qt"
TITLE = "Dash Core - Wallet"
USAGE = f"Dash Core version {app.CLIENT_VERSION}\n\nUsage:  dash-qt [command-line options]    Start Dash Core (regtest only)"
OPTIONS = DASHD_OPTIONS + gui.GUI_OPTIONS


class InProcessSession:
    """The node runs in a thread of this process."""

    def __init__(self, args: ArgsManager):
        self._launched = LaunchedNode(args, DashdInit, PROCESS_NAME, runner=in_thread)
        self.node: Node = self._launched

    def wait_lost(self) -> str | None:
        self._launched.ended.wait()
        return None  # stopped (the `stop` RPC, or our own shutdown): not an error

    def close(self) -> None:
        self._launched.app_shutdown()


def prepare(argv: list[str]):
    return gui.prepare(argv, USAGE, OPTIONS, PROCESS_NAME, TITLE, InProcessSession)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    mpipc.set_process_name(PROCESS_NAME)
    gui.exit_now(gui.run(prepare(argv)))
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
