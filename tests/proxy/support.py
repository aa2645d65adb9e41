"""Helpers of the proxy tests: child processes over socketpairs, always cleaned up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from mpipc.transport import Connection

from ..waiting import wait_until  # noqa: F401 (used by the tests)

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "schemas", "everything.capnp")
RPC_SCHEMAS = os.path.join(os.path.dirname(HERE), "rpc", "schemas")


class Child:
    """A child Python process serving ``child.py``'s Init over a socketpair, and our Connection to it."""

    def __init__(self, generated: str | None = None, name: str = "parent"):
        ours, theirs = socket.socketpair()
        argv = [sys.executable, os.path.join(HERE, "child.py"), str(theirs.fileno())]
        if generated:
            argv.append(generated)
        self.process = subprocess.Popen(argv, pass_fds=[theirs.fileno()])
        theirs.close()
        self.connection = Connection(ours, name=name)

    def close(self, timeout: float = 10) -> int | None:
        """Close our side; the child exits when it sees that (killed if it does not)."""
        self.connection.close()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            return None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)

