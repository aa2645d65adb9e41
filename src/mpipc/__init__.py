"""mpipc: Cap'n Proto two-party RPC in pure Python, wire-compatible with C++ libmultiprocess."""

from .errors import (
    DecodeError,
    Disconnected,
    EncodeError,
    MpipcError,
    ProtocolError,
    RemoteError,
    SchemaError,
)

__all__ = [
    "DecodeError",
    "Disconnected",
    "EncodeError",
    "MpipcError",
    "ProtocolError",
    "RemoteError",
    "SchemaError",
]
