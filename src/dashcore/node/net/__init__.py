"""The P2P network of the node: Dash's v1 wire protocol between nodes (the wallet never sees it).

``start(ctx)`` binds, starts the threads and returns the ``Connman`` (kept as
``ctx.connman`` for the network RPCs); ``Connman.stop()`` ends and joins them.
"""

from __future__ import annotations

import os
import re

from .connman import Connman, NetError
from .processing import PeerManager

CLIENT_NAME = "Dash Core"
CLIENT_VERSION = "23.1.2"


MAX_SUBVERSION_LENGTH = 256
_SAFE_UA_COMMENT = re.compile(r"[A-Za-z0-9 .,;\-_?@]*")


def user_agent(comments: list[str]) -> str:
    """Our subversion (BIP14), with the -uacomment values; ValueError (Dash's init error) for a bad comment."""
    for comment in comments:
        if not _SAFE_UA_COMMENT.fullmatch(comment):
            raise ValueError(f"Error: User Agent comment ({comment}) contains unsafe characters.")
    agent = f"/{CLIENT_NAME}:{CLIENT_VERSION}" + (f"({'; '.join(comments)})" if comments else "") + "/"
    if len(agent) > MAX_SUBVERSION_LENGTH:
        raise ValueError(f"Error: Total length of network version string ({len(agent)}) exceeds maximum length "
                         f"({MAX_SUBVERSION_LENGTH}). Reduce the number or size of uacomments.")
    return agent


def start(ctx) -> Connman:
    """Start the network of a node whose chain state is loaded. Raises the node's InitError on a bad option."""
    from ..app import InitError

    try:
        connman = Connman(ctx.args, user_agent(ctx.args.get_list("uacomment")), ctx.chainstate.height,
                          os.path.join(ctx.datadir, "banlist.json"))
        connman.bind()
    except (NetError, ValueError) as e:
        raise InitError(str(e)) from None
    connman.start(PeerManager(connman, ctx.chainstate, ctx.signals))
    return connman


__all__ = ["Connman", "NetError", "PeerManager", "start", "user_agent"]
