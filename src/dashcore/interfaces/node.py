"""Node: what the GUI needs from the node process (and the console's RPC execution)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable

from .handler import Handler
from .wallet import WalletLoader


@dataclass
class NodeInfo:
    """What the GUI's debug window and status bar show, in one call."""

    client_version: str = ""
    network: str = ""
    num_blocks: int = 0
    best_block_hash: bytes = b""
    last_block_time: int = 0
    data_dir: str = ""
    num_connections: int = 0
    mempool_size: int = 0
    verification_progress: float = 1.0
    initial_block_download: bool = False
    start_time: int = 0


class Node(ABC):
    @abstractmethod
    def get_num_blocks(self) -> int: ...

    @abstractmethod
    def get_best_block_hash(self) -> bytes: ...

    @abstractmethod
    def get_verification_progress(self) -> float: ...

    @abstractmethod
    def get_mempool_size(self) -> int: ...

    @abstractmethod
    def start_shutdown(self) -> None: ...

    @abstractmethod
    def shutdown_requested(self) -> bool: ...

    @abstractmethod
    def execute_rpc(self, command: str, params_json: str, uri: str) -> str:
        """Run an RPC as the server would; the result as JSON text, or InterfaceError."""

    @abstractmethod
    def list_rpc_commands(self) -> list[str]: ...

    @abstractmethod
    def handle_notify_block_tip(self, fn: Callable[[int, bytes], None]) -> Handler:
        """Call ``fn(height, hash)`` after each new tip."""

    # -- for the GUI (dash-qt, dash-gui) -----------------------------------------------------------------

    @abstractmethod
    def app_init_main(self) -> None:
        """Start the node (if it is not running yet) and return once it is ready; InterfaceError if it
        cannot start. Init messages go to ``handle_init_message`` subscribers meanwhile."""

    @abstractmethod
    def app_shutdown(self) -> None:
        """Stop the node this object started and wait until it has; a node it did not start keeps running."""

    @abstractmethod
    def handle_init_message(self, fn: Callable[[str], None]) -> Handler:
        """Call ``fn(message)`` for each start-up step ("Loading block index...", ..., "Done loading")."""

    @abstractmethod
    def handle_show_progress(self, fn: Callable[[str, int, bool], None]) -> Handler:
        """Call ``fn(title, percent, resume_possible)`` while a long operation runs (100 when it ends)."""

    @abstractmethod
    def handle_notify_header_tip(self, fn: Callable[[int, bytes], None]) -> Handler:
        """Call ``fn(height, hash)`` after each new best header."""

    @abstractmethod
    def get_node_info(self) -> NodeInfo: ...

    @abstractmethod
    def wallet_loader(self) -> WalletLoader | None:
        """The wallets' loader (in this process or another); None with -disablewallet."""
