"""NodeContext: the node's parts, shared by its RPC commands and the Chain/Node implementations."""

from __future__ import annotations

import threading
from typing import Any
from dataclasses import dataclass, field

from ..interfaces import ChainClient
from ..rpc.server import RpcTable
from ..util.args import ArgsManager
from .settings import Settings
from .signals import ValidationSignals
from .validation import Chainstate


@dataclass
class NodeContext:
    args: ArgsManager
    datadir: str  # <datadir>/regtest
    chainstate: Chainstate
    signals: ValidationSignals
    rpc: RpcTable
    settings: Settings
    chain_clients: list[ChainClient] = field(default_factory=list)
    shutdown: threading.Event = field(default_factory=threading.Event)
    init_message: str = ""
    log_categories: set = field(default_factory=set)
    connman: Any = None  # the P2P network (node.net.Connman), once started
