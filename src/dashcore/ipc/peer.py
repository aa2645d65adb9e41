"""What another process may leave behind when it goes: its RPC commands and notification subscriptions.

``PeerChain`` is the node's ``Chain`` as served to one peer process (the wallet). What
the peer registers through it stays registered in the node, but once the peer's
connection ends a registered RPC command answers a clear error at once instead of
-32601 or a hang, and a notification subscription removes itself. ``QuietClient``
keeps the node's shutdown of a chain client from failing when that client is gone.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import mpipc

from ..interfaces import BlockInfo, Chain, ChainNotifications, Handler, RpcCommand, RpcReply, RpcRequest
from ..rpc.util import RPC_INTERNAL_ERROR, RPC_MISC_ERROR, RPCError

log = logging.getLogger("dashcore.ipc")


class PeerChain:
    """``chain`` as one peer sees it (duck-typed: every other method is the chain's own)."""

    def __init__(self, chain: Chain, lost_message: str):
        self._chain = chain
        self._lost_message = lost_message

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chain, name)

    def handle_rpc(self, command: RpcCommand) -> Handler:
        remote = command.actor
        lost = self._lost_message

        def actor(request: RpcRequest) -> RpcReply:
            try:
                return remote(request)
            except mpipc.Disconnected:
                raise RPCError(RPC_MISC_ERROR, lost) from None
            except mpipc.RemoteError as e:  # a bug in the peer: reported as one in this process would be
                log.error("RPC %s failed in the peer: %s\n%s", request.method, e.reason, e.remote_traceback)
                name = e.type_name or "RemoteError"
                raise RPCError(RPC_INTERNAL_ERROR, f"Internal error: {name}: {e.message}") from None
        return self._chain.handle_rpc(RpcCommand(command.category, command.name, command.arg_names, command.help,
                                                 actor))

    def handle_notifications(self, notifications: ChainNotifications) -> Handler:
        subscriber = _Subscriber(notifications)
        subscriber.handler = self._chain.handle_notifications(subscriber)
        return subscriber.handler


class _Subscriber(ChainNotifications):
    """Forwards notifications to the peer; unsubscribes itself when the peer is gone."""

    def __init__(self, remote: ChainNotifications):
        self._remote = remote
        self.handler: Handler | None = None
        self._lock = threading.Lock()

    def _lost(self) -> None:
        with self._lock:
            handler, self.handler = self.handler, None
        if handler is not None:
            log.info("a notification subscriber's process has gone: unsubscribed")
            handler.disconnect()

    def transaction_added_to_mempool(self, tx: bytes) -> None:
        try:
            self._remote.transaction_added_to_mempool(tx)
        except mpipc.Disconnected:
            self._lost()

    def transaction_removed_from_mempool(self, tx: bytes, reason: str) -> None:
        try:
            self._remote.transaction_removed_from_mempool(tx, reason)
        except mpipc.Disconnected:
            self._lost()

    def block_connected(self, block: BlockInfo) -> None:
        try:
            self._remote.block_connected(block)
        except mpipc.Disconnected:
            self._lost()

    def block_disconnected(self, block: BlockInfo) -> None:
        try:
            self._remote.block_disconnected(block)
        except mpipc.Disconnected:
            self._lost()

    def updated_block_tip(self) -> None:
        try:
            self._remote.updated_block_tip()
        except mpipc.Disconnected:
            self._lost()

    def chain_state_flushed(self, locator: list[bytes]) -> None:
        try:
            self._remote.chain_state_flushed(locator)
        except mpipc.Disconnected:
            self._lost()


class QuietClient:
    """A chain client in another process, for the node's start-up and shutdown: once the process has
    gone, ``flush``/``stop``/``set_mock_time`` do nothing (a line in the log says why)."""

    def __init__(self, client: Any, name: str):
        self._client = client
        self._name = name
        self._gone = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _quiet(self, method: str, *args) -> None:
        if self._gone:
            return
        try:
            getattr(self._client, method)(*args)
        except mpipc.Disconnected:
            self._gone = True
            log.info("%s has gone: %s skipped", self._name, method)

    def flush(self) -> None:
        self._quiet("flush")

    def stop(self) -> None:
        self._quiet("stop")

    def set_mock_time(self, time: int) -> None:
        self._quiet("set_mock_time", time)
