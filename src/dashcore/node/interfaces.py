"""The node's implementations of the Chain and Node interfaces (in-process objects)."""

from __future__ import annotations

import json
import logging
import threading
import time as _time
from typing import Callable

from .. import chainparams
from ..amount import from_value
from ..interfaces import (CallbackHandler, Chain, ChainNotifications, Coin, FoundBlock, Handler, InterfaceError,
                          Node, NodeInfo, RpcCommand, WalletLoader)
from ..primitives.serialize import DeserializationError
from ..primitives.transaction import Transaction
from ..rpc.util import RPC_IN_WARMUP, RPCError, loads
from ..util import time as clock
from .app import CLIENT_VERSION
from .context import NodeContext
from .validation import MIN_RELAY_FEE, ValidationError

log = logging.getLogger("dashcore.chain")

#: The fixed fee rate the wallet pays on regtest (duffs per 1000 bytes); stated in -help.
REGTEST_WALLET_FEE_RATE = 1000


class ChainImpl(Chain):
    def __init__(self, node: NodeContext):
        self._node = node
        self._cs = node.chainstate

    def get_height(self) -> int | None:
        with self._cs.cs_main:
            return self._cs.height() if self._cs.active else None

    def get_block_hash(self, height: int) -> bytes:
        with self._cs.cs_main:
            return self._cs.active[height].hash

    def have_block_at_height(self, height: int) -> bool:
        with self._cs.cs_main:
            return 0 <= height <= self._cs.height()

    def get_tip_locator(self) -> list[bytes]:
        with self._cs.cs_main:
            return self._cs.locator()

    def find_locator_fork(self, locator: list[bytes]) -> int | None:
        with self._cs.cs_main:
            for h in locator:
                idx = self._cs.index.get(h)
                if idx is not None and self._cs.in_active_chain(idx):
                    return idx.height
            return None

    def find_block(self, block_hash: bytes, want_data: bool = False) -> FoundBlock:
        with self._cs.cs_main:
            idx = self._cs.index.get(block_hash)
            if idx is None:
                return FoundBlock(False)
            return FoundBlock(True, idx.hash, idx.height, idx.time, idx.median_time_past(),
                              self._cs.in_active_chain(idx), self._cs.read_block_bytes(idx) if want_data else b"",
                              idx.prev.hash if idx.prev is not None else b"")

    def find_coins(self, outpoints: list[Coin]) -> list[Coin]:
        with self._cs.cs_main:
            out = []
            for c in outpoints:
                coin = self._cs.get_coin(c.txid, c.n, include_mempool=True)
                out.append(Coin(c.txid, c.n, coin is not None, coin.value if coin else 0,
                                coin.script_pubkey if coin else b"", coin.height if coin else 0,
                                coin.coinbase if coin else False))
            return out

    def is_in_mempool(self, txid: bytes) -> bool:
        with self._cs.cs_main:
            return txid in self._cs.mempool

    def has_descendants_in_mempool(self, txid: bytes) -> bool:
        with self._cs.cs_main:
            return len(self._cs.mempool.descendants(txid)) > 1

    def broadcast_transaction(self, tx: bytes, max_tx_fee: int, relay: bool) -> str:
        try:
            parsed = Transaction.from_bytes(tx)
        except DeserializationError as e:
            return f"TX decode failed: {e}"
        try:
            fee = self._cs.accept_to_mempool(parsed)
        except ValidationError as e:
            return e.reason
        if max_tx_fee and fee > max_tx_fee:
            log.info("transaction %s pays fee %d above %d", parsed.txid_hex, fee, max_tx_fee)
        return ""

    def relay_min_fee(self) -> int:
        """-minrelaytxfee as the wallet sees it (the mempool itself keeps Dash's default)."""
        try:
            return from_value(self._node.args.get("minrelaytxfee", "0.00001"))
        except ValueError:
            return MIN_RELAY_FEE

    def estimate_fee(self, conf_target: int) -> int:
        return REGTEST_WALLET_FEE_RATE

    def is_ready_to_broadcast(self) -> bool:
        return not self._node.shutdown.is_set()

    def is_initial_block_download(self) -> bool:
        with self._cs.cs_main:
            return self._cs.is_initial_block_download()

    def get_adjusted_time(self) -> int:
        return clock.get_time()

    def handle_notifications(self, notifications: ChainNotifications) -> Handler:
        return self._node.signals.register(notifications)

    def request_mempool_transactions(self, notifications: ChainNotifications) -> None:
        with self._cs.cs_main:
            txs = [e.tx.serialize() for e in self._cs.mempool.entries.values()]
        for tx in txs:
            notifications.transaction_added_to_mempool(tx)

    def wait_for_notifications_if_tip_changed(self, old_tip: bytes) -> None:
        with self._cs.cs_main:
            changed = self._cs.tip.hash != old_tip
        if changed:
            self._node.signals.sync()

    def handle_rpc(self, command: RpcCommand) -> Handler:
        return self._node.rpc.register(command)

    def rpc_serialization_flags(self) -> int:
        return 0

    def get_rw_setting(self, name: str) -> str:
        return json.dumps(self._node.settings.get(name))

    def update_rw_setting(self, name: str, value_json: str) -> bool:
        return self._node.settings.update(name, json.loads(value_json))

    def init_message(self, message: str) -> None:
        log.info("init message: %s", message)
        self._node.rpc.set_warmup_message(message)

    def init_warning(self, message: str) -> None:
        log.warning("Warning: %s", message)

    def init_error(self, message: str) -> None:
        log.error("Error: %s", message)

    def shutdown_requested(self) -> bool:
        return self._node.shutdown.is_set()


class NodeImpl(Node):
    def __init__(self, node: NodeContext):
        self._node = node
        self._cs = node.chainstate
        self._lock = threading.Lock()

    def get_num_blocks(self) -> int:
        with self._cs.cs_main:
            return self._cs.height()

    def get_best_block_hash(self) -> bytes:
        with self._cs.cs_main:
            return self._cs.tip.hash

    def get_verification_progress(self) -> float:
        return 1.0

    def get_mempool_size(self) -> int:
        with self._cs.cs_main:
            return len(self._cs.mempool)

    def start_shutdown(self) -> None:
        self._node.shutdown.set()

    def shutdown_requested(self) -> bool:
        return self._node.shutdown.is_set()

    def execute_rpc(self, command: str, params_json: str, uri: str) -> str:
        try:
            return self._node.rpc.execute(command, loads(params_json), uri)
        except RPCError as e:
            raise InterfaceError(e.message, e.code) from None

    def list_rpc_commands(self) -> list[str]:
        return sorted(c.name for c in self._node.rpc.commands())

    def handle_notify_block_tip(self, fn: Callable[[int, bytes], None]) -> Handler:
        return self._node.signals.register(_TipNotifier(self._cs, fn))

    # -- for the GUI: this node is running already (dashd, a dash-node the GUI attached to) ------------

    def app_init_main(self) -> None:
        """Return once the node answers RPCs (a GUI may attach while it is still starting)."""
        while not self._node.shutdown.is_set():
            try:
                self._node.rpc.execute("getblockcount", [])
                return
            except RPCError as e:
                if e.code != RPC_IN_WARMUP:
                    return
            _time.sleep(0.05)
        raise InterfaceError("The node is shutting down", RPC_IN_WARMUP)

    def app_shutdown(self) -> None:
        pass  # not started by the caller: it keeps running

    def handle_init_message(self, fn: Callable[[str], None]) -> Handler:
        return CallbackHandler(lambda: None)  # start-up is over

    def handle_show_progress(self, fn: Callable[[str, int, bool], None]) -> Handler:
        return CallbackHandler(lambda: None)  # no long operation (reindex, rescan) reports progress yet

    def handle_notify_header_tip(self, fn: Callable[[int, bytes], None]) -> Handler:
        # Headers are accepted with their blocks here, so the best header is the tip.
        return self.handle_notify_block_tip(fn)

    def get_node_info(self) -> NodeInfo:
        with self._cs.cs_main:
            tip = self._cs.tip
            ibd = self._cs.is_initial_block_download()
            mempool = len(self._cs.mempool)
        connman = self._node.connman
        peers = len(connman.snapshot()) if connman is not None else 0
        return NodeInfo(CLIENT_VERSION, chainparams.NETWORK, tip.height, tip.hash, tip.time, self._node.datadir, peers,
                        mempool, 1.0, ibd, _START_TIME)

    def wallet_loader(self) -> WalletLoader | None:
        for client in self._node.chain_clients:
            if hasattr(client, "get_wallets"):
                return client
        return None


_START_TIME = int(_time.time())


class _TipNotifier(ChainNotifications):
    """Turns ``updated_block_tip`` into ``fn(height, hash)`` for Node.handle_notify_block_tip."""

    def __init__(self, cs, fn: Callable[[int, bytes], None]):
        self._cs = cs
        self._fn = fn

    def updated_block_tip(self) -> None:
        with self._cs.cs_main:
            tip = self._cs.tip
        self._fn(tip.height, tip.hash)

    def transaction_added_to_mempool(self, tx: bytes) -> None:
        pass

    def transaction_removed_from_mempool(self, tx: bytes, reason: str) -> None:
        pass

    def block_connected(self, block) -> None:
        pass

    def block_disconnected(self, block) -> None:
        pass

    def chain_state_flushed(self, locator: list[bytes]) -> None:
        pass
