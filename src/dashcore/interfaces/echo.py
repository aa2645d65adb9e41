"""Echo: the smallest interface, to check a connection end to end."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Echo(ABC):
    @abstractmethod
    def echo(self, echo: str) -> str:
        """Return ``echo`` unchanged."""
