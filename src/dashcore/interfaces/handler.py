"""Handler: a registration (notifications, RPC commands, callbacks) that its owner can disconnect."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Callable


class Handler(ABC):
    @abstractmethod
    def disconnect(self) -> None:
        """Undo the registration; idempotent."""


class CallbackHandler(Handler):
    """A Handler that runs ``on_disconnect`` once."""

    def __init__(self, on_disconnect: Callable[[], None]):
        self._on_disconnect: Callable[[], None] | None = on_disconnect
        self._lock = threading.Lock()

    def disconnect(self) -> None:
        with self._lock:
            fn, self._on_disconnect = self._on_disconnect, None
        if fn is not None:
            fn()
