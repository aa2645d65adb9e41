"""The node's Init in its own process (dashd, dash-node): Echo, Node and Chain served from
the node context; each executable adds how it reaches a wallet. Node code only: the
wallet process never imports this."""

from __future__ import annotations

from ..interfaces import Chain, Echo, Init, Node
from ..node.context import NodeContext
from ..node.interfaces import ChainImpl, NodeImpl
from .common import EchoImpl


class NodeInit(Init):
    def __init__(self, node: NodeContext):
        self._node = node

    def make_echo(self) -> Echo:
        return EchoImpl()

    def make_node(self) -> Node:
        return NodeImpl(self._node)

    def make_chain(self) -> Chain:
        return ChainImpl(self._node)
