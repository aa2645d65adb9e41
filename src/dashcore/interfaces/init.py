"""Init: what a process offers to its parent (or to itself): the other interfaces."""

from __future__ import annotations

from abc import ABC, abstractmethod

from .chain import Chain
from .echo import Echo
from .node import Node
from .wallet import WalletLoader


class Init(ABC):
    """Each executable has one; ``None`` means this process does not provide that part."""

    @abstractmethod
    def make_echo(self) -> Echo: ...

    def make_node(self) -> Node | None:
        return None

    def make_chain(self) -> Chain | None:
        return None

    def make_wallet_loader(self, chain: Chain) -> WalletLoader | None:
        return None
