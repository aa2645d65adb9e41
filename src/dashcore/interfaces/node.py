"""Node: what the GUI needs from the node process (and the console's RPC execution)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

from .handler import Handler


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
