"""Processes of the split mode: spawn one and reach its Init, serve this one's Init, listen and connect.

Each side of a connection serves an ``Init`` (``InitServer`` of a dashcore object with
``make_echo``/``make_chain``/...); the side that spawned or connected bootstraps the
other's and calls ``construct`` with its options (``GlobalArgs``), so a spawned
process is configured by its parent, never by a command line of its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import mpipc
from mpipc import connections

from ..interfaces import Init
from ..util.args import ArgsManager
from . import adapters, capnp


def global_args(args: ArgsManager | None) -> Any:
    """The ``GlobalArgs`` a process passes to the Init it constructs (none: an empty set)."""
    cls = capnp.struct("GlobalArgs")
    if args is None:
        return cls(args=[], configPath="")
    settings = [a for a in args.effective_args() if not a.startswith("-datadir=")]
    settings.append(f"-datadir={args.datadir()}")  # absolute: the peer may run elsewhere
    return cls(args=settings, configPath=args.config_path)


def load_global_args(args: ArgsManager, value: Any) -> None:
    """Make ``args`` what the constructing process said (see ``global_args``)."""
    args.load_effective_args(list(value.args or []), value.configPath or "")


def init_client(connection: mpipc.Connection, args: ArgsManager | None) -> Init:
    """The peer's Init (constructed with ``args``) as a dashcore ``Init``."""
    client_cls = capnp.classes("Init")[1]
    return adapters.client("Init", client_cls(connection, global_args=global_args(args)))


def init_server(init: Any) -> adapters.ServerAdapter:
    """What to serve for this process's Init; ``init.ipc_construct(global_args)`` is called on construct."""
    return adapters.server("Init", init)


def executable(name: str) -> str:
    """The path of a sibling executable: beside this program, beside the interpreter, or on PATH."""
    for folder in (os.path.dirname(os.path.abspath(sys.argv[0])), os.path.dirname(sys.executable)):
        path = os.path.join(folder, name)
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    if found is None:
        raise mpipc.MpipcError(f"cannot find the executable {name}")
    return found


@dataclass
class SpawnedProcess:
    """A child process, the connection to it and its Init."""

    spawned: mpipc.Spawned
    init: Init

    @property
    def pid(self) -> int:
        return self.spawned.pid

    @property
    def connection(self) -> mpipc.Connection:
        return self.spawned.connection

    def close(self, timeout: float = 10.0) -> int:
        """Close the connection (the child then exits) and wait for it; it is killed after ``timeout``."""
        return self.spawned.close(timeout)


def spawn(name: str, args: ArgsManager, bootstrap: Any = None) -> SpawnedProcess:
    """Start ``<name> -ipcfd N`` and construct its Init with ``args``; its stdout and stderr are ours."""
    spawned = mpipc.spawn([executable(name)], bootstrap=bootstrap, fd_option="-ipcfd",
                          stdin=subprocess.DEVNULL)
    try:
        return SpawnedProcess(spawned, init_client(spawned.connection, args))
    except BaseException:
        spawned.close()
        raise


def serve_fd(argv: list[str], bootstrap: Any, name: str) -> mpipc.Connection:
    """The connection to the parent over the fd of ``-ipcfd N`` / ``-ipcfd=N`` in ``argv``."""
    fd = connections.fd_from_argv(argv)
    return mpipc.Connection(socket.socket(fileno=fd), bootstrap=bootstrap, name=name)


def unix_address(value: str, net_dir: str) -> str:
    """``unix`` alone is ``<datadir>/regtest/node.sock``; ``unix:/path`` is that path."""
    if value in ("unix", "unix:", "1", ""):
        return "unix:" + os.path.join(net_dir, "node.sock")
    if value.startswith("unix:"):
        return "unix:" + os.path.abspath(value[5:])
    raise mpipc.MpipcError(f"unsupported address {value!r}: use unix or unix:<path>")
