"""Chain and ChainNotifications: everything the wallet may ask of, or hear from, the node."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable

from .handler import Handler


@dataclass
class BlockInfo:
    """A block as notifications carry it; ``data`` is the serialized block."""

    hash: bytes
    prev_hash: bytes
    height: int
    time: int
    data: bytes = b""


@dataclass
class FoundBlock:
    """The answer of ``Chain.find_block``: ``found`` is False when the hash is unknown."""

    found: bool
    hash: bytes = b""
    height: int = -1
    time: int = 0
    median_time_past: int = 0
    in_active_chain: bool = False
    data: bytes = b""
    prev_hash: bytes = b""  # empty for genesis


@dataclass
class Coin:
    """An unspent output of the UTXO set (``found`` False when spent or unknown)."""

    txid: bytes
    n: int
    found: bool = False
    value: int = 0
    script_pubkey: bytes = b""
    height: int = 0
    coinbase: bool = False


@dataclass
class RpcRequest:
    """One JSON-RPC call routed to a registered command; ``params_json`` is positional, a JSON array."""

    method: str
    params_json: str
    uri: str = "/"
    auth_user: str = ""


@dataclass
class RpcReply:
    """The result (JSON text) or, when ``error_code`` is not 0, the JSON-RPC error."""

    result_json: str = "null"
    error_code: int = 0
    error_message: str = ""


@dataclass
class RpcCommand:
    """An RPC method served by a chain client: ``actor`` is called for each request."""

    category: str
    name: str
    arg_names: list[str]
    help: str
    actor: Callable[[RpcRequest], RpcReply] = field(repr=False)


class ChainNotifications(ABC):
    """Validation events, delivered in order on one notification thread of the node."""

    @abstractmethod
    def transaction_added_to_mempool(self, tx: bytes) -> None: ...

    @abstractmethod
    def transaction_removed_from_mempool(self, tx: bytes, reason: str) -> None: ...

    @abstractmethod
    def block_connected(self, block: BlockInfo) -> None: ...

    @abstractmethod
    def block_disconnected(self, block: BlockInfo) -> None: ...

    @abstractmethod
    def updated_block_tip(self) -> None: ...

    @abstractmethod
    def chain_state_flushed(self, locator: list[bytes]) -> None: ...


class Chain(ABC):
    """The node as its clients (the wallet) see it."""

    @abstractmethod
    def get_height(self) -> int | None:
        """Height of the tip, None before genesis is loaded."""

    @abstractmethod
    def get_block_hash(self, height: int) -> bytes:
        """Hash of the active-chain block at ``height`` (which must exist)."""

    @abstractmethod
    def have_block_at_height(self, height: int) -> bool: ...

    @abstractmethod
    def get_tip_locator(self) -> list[bytes]:
        """A block locator of the tip (hashes back to genesis at growing steps)."""

    @abstractmethod
    def find_locator_fork(self, locator: list[bytes]) -> int | None:
        """Height of the last locator block still in the active chain."""

    @abstractmethod
    def find_block(self, block_hash: bytes, want_data: bool = False) -> FoundBlock: ...

    @abstractmethod
    def find_coins(self, outpoints: list[Coin]) -> list[Coin]:
        """Each given (txid, n) looked up in the UTXO set and mempool."""

    @abstractmethod
    def is_in_mempool(self, txid: bytes) -> bool: ...

    @abstractmethod
    def has_descendants_in_mempool(self, txid: bytes) -> bool: ...

    @abstractmethod
    def broadcast_transaction(self, tx: bytes, max_tx_fee: int, relay: bool) -> str:
        """Submit to the mempool; the reject reason, or "" when accepted (or already there)."""

    @abstractmethod
    def relay_min_fee(self) -> int:
        """Minimum relay fee rate, duffs per 1000 bytes."""

    @abstractmethod
    def estimate_fee(self, conf_target: int) -> int:
        """Fee rate the wallet should pay, duffs per 1000 bytes (regtest: a fixed rate)."""

    @abstractmethod
    def is_ready_to_broadcast(self) -> bool: ...

    @abstractmethod
    def is_initial_block_download(self) -> bool: ...

    @abstractmethod
    def get_adjusted_time(self) -> int:
        """The node's clock, honouring -mocktime/setmocktime."""

    @abstractmethod
    def handle_notifications(self, notifications: ChainNotifications) -> Handler: ...

    @abstractmethod
    def request_mempool_transactions(self, notifications: ChainNotifications) -> None:
        """Send ``transaction_added_to_mempool`` for each transaction in the mempool now."""

    @abstractmethod
    def wait_for_notifications_if_tip_changed(self, old_tip: bytes) -> None:
        """Return once every notification about a tip other than ``old_tip`` has been delivered
        (``b""`` is no tip: then once every notification queued so far has been delivered)."""

    @abstractmethod
    def handle_rpc(self, command: RpcCommand) -> Handler:
        """Serve ``command`` from the node's RPC server until the handler is disconnected."""

    @abstractmethod
    def rpc_serialization_flags(self) -> int: ...

    @abstractmethod
    def get_rw_setting(self, name: str) -> str:
        """A value of settings.json as JSON text ("null" when unset)."""

    @abstractmethod
    def update_rw_setting(self, name: str, value_json: str) -> bool:
        """Write a value of settings.json; False if it could not be saved."""

    @abstractmethod
    def init_message(self, message: str) -> None: ...

    @abstractmethod
    def init_warning(self, message: str) -> None: ...

    @abstractmethod
    def init_error(self, message: str) -> None: ...

    @abstractmethod
    def shutdown_requested(self) -> bool: ...


class ChainClient(ABC):
    """A component the node starts and stops along with itself (the wallet loader)."""

    @abstractmethod
    def register_rpcs(self) -> None: ...

    @abstractmethod
    def verify(self) -> bool: ...

    @abstractmethod
    def load(self) -> bool:
        """Load the wallets named in settings.json and -wallet."""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def flush(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def set_mock_time(self, time: int) -> None: ...
