"""The one exception type an interface method raises for an expected failure."""

from __future__ import annotations


class InterfaceError(Exception):
    """An expected failure carried across interfaces: a message and an RPC error code.

    In the schemas it is the ``error`` result field annotated ``$Proxy.exception``.
    """

    def __init__(self, message: str, code: int = -1):
        super().__init__(message)
        self.message = message
        self.code = code
