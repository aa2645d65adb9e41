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
from .log import TRACE, set_process_name  # noqa: E402
from .transport import Connection  # noqa: E402  (after the errors it uses)
from .connections import Listener, Spawned, connect, listen, serve_spawned, spawn  # noqa: E402

__all__ = [
    "TRACE",
    "set_process_name",
    "Connection",
    "Listener",
    "Spawned",
    "connect",
    "listen",
    "serve_spawned",
    "spawn",
    "DecodeError",
    "Disconnected",
    "EncodeError",
    "MpipcError",
    "ProtocolError",
    "RemoteError",
    "SchemaError",
]
