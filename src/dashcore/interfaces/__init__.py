"""The only doors between node, wallet and GUI: abstract classes mirrored by the .capnp schemas here.

Every method takes and returns plain values (ints, str, bytes, lists, the small
dataclasses below) or other interface objects, so a proxy can carry it between
processes. In ``dashd`` the implementations are called directly.
"""

from .chain import (BlockInfo, Chain, ChainClient, ChainNotifications, Coin, FoundBlock, RpcCommand,
                    RpcReply, RpcRequest)
from .echo import Echo
from .errors import InterfaceError
from .handler import Handler, CallbackHandler
from .init import Init
from .node import Node, NodeInfo
from .wallet import (PreparedTransaction, Wallet, WalletAddress, WalletBalances, WalletInfo, WalletLoader, WalletTx, WalletTxOut)

__all__ = [
    "BlockInfo", "CallbackHandler", "Chain", "ChainClient", "ChainNotifications", "Coin", "Echo", "FoundBlock",
    "Handler", "Init", "InterfaceError", "Node", "NodeInfo", "PreparedTransaction", "RpcCommand", "RpcReply", "RpcRequest", "Wallet",
    "WalletAddress", "WalletBalances", "WalletInfo", "WalletLoader", "WalletTx", "WalletTxOut",
]

#: Folder of the .capnp files (import path for ``mpipc.schema.load``).
import os as _os

SCHEMA_DIR = _os.path.dirname(_os.path.abspath(__file__))
