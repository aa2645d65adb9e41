"""Exception classes of mpipc: every error the library raises is one of these."""


class MpipcError(Exception):
    """Base class of every error mpipc raises."""


class DecodeError(MpipcError):
    """A Cap'n Proto message is malformed, too large or too deep; the text says what was wrong."""


class EncodeError(MpipcError, TypeError):
    """A value cannot be encoded as its schema type; the text names the field."""


class SchemaError(MpipcError):
    """A schema file cannot be loaded or a name cannot be found in it."""


class ProtocolError(MpipcError):
    """The peer broke the RPC protocol (the connection is aborted)."""


class Disconnected(MpipcError):
    """The connection to the peer is gone: a call was interrupted by it, or made after it."""


class RemoteError(MpipcError):
    """An exception raised by the peer while serving a call.

    ``type_name`` is the remote exception's type (empty when the peer did not say),
    ``message`` its text, ``remote_traceback`` the peer's traceback text (may be empty),
    and ``kind`` the Cap'n Proto exception type (failed, overloaded, disconnected,
    unimplemented).
    """

    def __init__(self, reason: str, kind: str = "failed", remote_traceback: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.remote_traceback = remote_traceback
        head, sep, tail = reason.partition(": ")
        if sep and head.replace(".", "").replace("_", "").isalnum() and " " not in head:
            self.type_name, self.message = head, tail
        else:
            self.type_name, self.message = "", reason
