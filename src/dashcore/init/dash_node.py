"""dash-node: the node, with its wallet in a dash-wallet process it spawns and reaches only through mpipc.

The node runs exactly as in dashd (``node.app.run``); only its Init differs: the wallet
loader comes from the Init of a spawned ``dash-wallet -ipcfd N``, which is handed the
node's ``Chain`` and the node's options (``GlobalArgs`` of ``Init.construct``). With
``-ipcbind`` the node also serves its Init to dash-wallet processes that connect.
Spawned by dash-gui as ``dash-node -ipcfd N``, it serves the GUI (``dash_node_spawned``).
"""

from __future__ import annotations

import logging
import os
import sys

import mpipc

from ..interfaces import Chain, WalletLoader
from ..ipc import process
from ..ipc.peer import PeerChain, QuietClient
from ..node import app
from ..node.context import NodeContext
from ..util.args import ArgsError, ArgsManager
from .common import parse_args
from .node_init import NodeInit
from .options import DASH_NODE_OPTIONS

PROCESS_NAME = "dash-node"
WALLET_EXECUTABLE = "dash-wallet"
USAGE = (f"Dash Core version {app.CLIENT_VERSION}\n\nUsage:  dash-node [options]    Start Dash Core (regtest only), "
         f"with its wallet in a {WALLET_EXECUTABLE} process")
WALLET_GONE = ("Wallet process (dash-wallet) is not running: it exited or its connection was lost; "
               "restart dash-node to use the wallet")
CONNECTED_GONE = "The wallet process that served this method has disconnected"

log = logging.getLogger("dashcore.init")


class _ServedInit(NodeInit):
    """The node's Init as served to a dash-wallet that connects (-ipcbind): Node, Chain, Echo."""

    def ipc_construct(self, global_args) -> None:
        log.info("a process connected over IPC")

    def make_chain(self) -> Chain:
        return PeerChain(super().make_chain(), CONNECTED_GONE)


class DashNodeInit(NodeInit):
    """The node in this process; the wallet loader in a spawned dash-wallet."""

    def __init__(self, node: NodeContext):
        super().__init__(node)
        self._wallet: process.SpawnedProcess | None = None
        self._listener: mpipc.Listener | None = None
        if node.args.is_set("ipcbind"):
            self._listen(node.args.get("ipcbind"))

    def _listen(self, value: str) -> None:
        try:
            address = process.unix_address(value, self._node.datadir)
            self._listener = mpipc.listen(address, lambda: process.init_server(_ServedInit(self._node)),
                                          name=f"{PROCESS_NAME}-ipc")
        except mpipc.MpipcError as e:
            raise app.InitError(f"Error: -ipcbind: {e}") from None
        log.info("IPC: listening on %s", address)

    def make_wallet_loader(self, chain: Chain) -> WalletLoader:
        try:
            self._wallet = process.spawn(WALLET_EXECUTABLE, self._node.args)
            log.info("IPC: spawned %s (pid %d)", WALLET_EXECUTABLE, self._wallet.pid)
            loader = self._wallet.init.make_wallet_loader(PeerChain(chain, WALLET_GONE))
        except mpipc.MpipcError as e:
            raise app.InitError(f"Error: could not start the wallet process ({WALLET_EXECUTABLE}): {e}") from None
        return QuietClient(loader, f"the wallet process ({WALLET_EXECUTABLE})")  # type: ignore[return-value]

    def close(self) -> None:
        """Stop listening, then end the wallet process (it exits when its connection closes)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._wallet is not None:
            code = self._wallet.close()
            log.info("IPC: %s (pid %d) exited with %d", WALLET_EXECUTABLE, self._wallet.pid, code)
            self._wallet = None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    mpipc.set_process_name(PROCESS_NAME)
    if argv and (argv[0] == "-ipcfd" and len(argv) == 2 or argv[0].startswith("-ipcfd=") and len(argv) == 1):
        from . import dash_node_spawned  # spawned by dash-gui: the GUI starts and stops the node
        code = dash_node_spawned.run(argv, ArgsManager(DASH_NODE_OPTIONS), DashNodeInit, PROCESS_NAME)
        sys.stdout.flush()
        os._exit(code)  # no interpreter teardown: nothing may reach the GUI's stderr
    try:
        args = parse_args(argv, USAGE, DASH_NODE_OPTIONS, app.CLIENT_VERSION)
        if args is None:
            return 0
        return app.run(args, DashNodeInit, PROCESS_NAME, name_lines=True)
    except (ArgsError, app.InitError) as e:
        return app.fatal(str(e))


if __name__ == "__main__":
    sys.exit(main())
