"""dashd: the node and the wallet in one process (the wallet reached only through interfaces)."""

from __future__ import annotations

import sys

from ..interfaces import Chain, WalletLoader
from ..node import app
from ..util.args import ArgsError
from ..wallet.context import WalletContext
from ..wallet.interfaces import WalletLoaderImpl
from .common import parse_args
from .node_init import NodeInit
from .options import DASHD_OPTIONS

USAGE = f"Dash Core version {app.CLIENT_VERSION}\n\nUsage:  dashd [options]    Start Dash Core (regtest only)"


class DashdInit(NodeInit):
    """Everything in this process: node, chain, and a wallet loader over that chain."""

    def make_wallet_loader(self, chain: Chain) -> WalletLoader:
        return WalletLoaderImpl(WalletContext(chain, self._node.args, self._node.datadir))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parse_args(argv, USAGE, DASHD_OPTIONS, app.CLIENT_VERSION)
        if args is None:
            return 0
        return app.run(args, DashdInit, "dashd")
    except (ArgsError, app.InitError) as e:
        return app.fatal(str(e))


if __name__ == "__main__":
    sys.exit(main())
