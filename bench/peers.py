"""The peers the benchmark compares mpipc with: each serves add(a, b) and a bytes echo from a child process.

Each peer is a context manager: entering it spawns its server (``python bench/peers.py
--serve KIND ADDRESS``) and connects a client in this process; leaving it closes the
client and the child. A server child ignores Ctrl-C (the bench's own handler closes
it) and exits as soon as its stdin closes, so it never outlives the bench, even when
the bench is killed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.managers import BaseManager, BaseProxy

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "adder_peer.capnp")
AUTHKEY = b"mpipc-bench"
CONNECT_TIMEOUT = 10.0


class PeerError(Exception):
    """A peer's server did not start or could not be reached."""


def per_call(fn: Callable[[], object], count: int) -> float:
    """Seconds per call of ``fn``, over ``count`` calls."""
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - start) / count


class _ServerChild:
    """A peer's server in a child process, which prints ``ready`` once it listens."""

    def __init__(self, kind: str, address: str, pass_fds: tuple[int, ...] = ()):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", kind, address],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=pass_fds)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line != b"ready\n":
            self.close()
            raise PeerError(f"the {kind} server exited before it was ready (status {self.proc.returncode})")

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()  # the child's stdin watcher sees EOF and exits
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def _retry_connect(connect: Callable[[], object]) -> object:
    """``connect()``, again while the server's socket is not listening yet."""
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        try:
            return connect()
        except (ConnectionRefusedError, FileNotFoundError) as e:
            if time.monotonic() > deadline:
                raise PeerError(f"could not connect: {e}") from e
            time.sleep(0.01)


class Peer:
    """One peer: a server child and a client here, timed by ``add`` and ``echo``."""

    key = ""            # the name in the table and the JSON output
    modules: tuple[str, ...] = ()  # what it imports, to tell a missing package
    package = ""        # the PyPI package that provides them
    transport = False   # a transport, shown beside the floor, not a peer to beat
    about_echo = ""     # what the echo row carries, where it is not plain bytes

    @classmethod
    def missing(cls) -> str | None:
        """The package to install before this peer can run, or None."""
        for module in cls.modules:
            if importlib.util.find_spec(module) is None:
                return cls.package
        return None

    def __init__(self, tmpdir: str):
        self.tmpdir = tmpdir
        self.server: _ServerChild | None = None

    def __enter__(self):
        try:
            self._start()
            if self.add(1, 2) != 3:
                raise PeerError(f"{self.key}: add(1, 2) gave a wrong answer")
            data = bytes(range(256)) * 16
            if self.echo(data) != data:
                raise PeerError(f"{self.key}: echo gave back other bytes")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def time_add(self, count: int) -> float:
        add = self.add
        return per_call(lambda: add(1, 2), count)

    def time_echo(self, count: int, data: bytes) -> float:
        echo = self.echo
        return per_call(lambda: echo(data), count)

    def close(self) -> None:
        try:
            self._close_client()
        finally:
            if self.server is not None:
                self.server.close()
                self.server = None

    # each peer: start its server and connect, call, close its client
    def _start(self) -> None:
        raise NotImplementedError

    def add(self, a: int, b: int) -> int:
        raise NotImplementedError

    def echo(self, data: bytes) -> bytes:
        raise NotImplementedError

    def _close_client(self) -> None:
        pass


# ---------------------------------------------------------------- multiprocessing.Pipe
class PipePeer(Peer):
    """Pickled ``("add", a, b)`` requests and their answers over ``multiprocessing.Pipe()``."""

    key = "multiprocessing.Pipe"
    transport = True

    def _start(self):
        self.conn, child = multiprocessing.Pipe()
        try:
            self.server = _ServerChild("pipe", str(child.fileno()), pass_fds=(child.fileno(),))
        finally:
            child.close()

    def add(self, a, b):
        self.conn.send(("add", a, b))
        return self.conn.recv()

    def echo(self, data):
        self.conn.send(("echo", data))
        return self.conn.recv()

    def _close_client(self):
        if hasattr(self, "conn"):
            self.conn.close()


def _serve_pipe(fd: str) -> None:
    conn = Connection(int(fd))
    _ready()
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        conn.send(request[1] + request[2] if request[0] == "add" else request[1])


# ---------------------------------------------------------------- multiprocessing.managers
class _Adder:
    def add(self, a, b):
        return a + b

    def echo(self, data):
        return data


class AdderProxy(BaseProxy):
    """The client's proxy of the manager's Adder: one request per method call."""

    _exposed_ = ("add", "echo")

    def add(self, a, b):
        return self._callmethod("add", (a, b))

    def echo(self, data):
        return self._callmethod("echo", (data,))


class _AdderManager(BaseManager):
    pass


class ManagersPeer(Peer):
    """A ``BaseManager`` serving an Adder on a unix socket; the client calls a registered proxy."""

    key = "multiprocessing.managers"

    def _start(self):
        path = os.path.join(self.tmpdir, "managers.sock")
        self.server = _ServerChild("managers", path)
        _AdderManager.register("Adder", proxytype=AdderProxy)
        manager = _AdderManager(address=path, authkey=AUTHKEY)
        _retry_connect(manager.connect)
        self.adder = manager.Adder()

    def add(self, a, b):
        return self.adder.add(a, b)

    def echo(self, data):
        return self.adder.echo(data)

    def _close_client(self):
        self.__dict__.pop("adder", None)  # its finalizer tells the server to drop the Adder


def _serve_managers(path: str) -> None:
    _AdderManager.register("Adder", callable=_Adder, proxytype=AdderProxy)
    server = _AdderManager(address=path, authkey=AUTHKEY).get_server()
    _ready()
    server.serve_forever()


# ---------------------------------------------------------------- RPyC
class RpycPeer(Peer):
    """An RPyC service on a unix socket (ThreadedServer); the client calls the service's bound methods."""

    key = "rpyc"
    modules = ("rpyc",)
    package = "rpyc"

    def _start(self):
        import rpyc

        path = os.path.join(self.tmpdir, "rpyc.sock")
        self.server = _ServerChild("rpyc", path)
        self.conn = _retry_connect(lambda: rpyc.utils.factory.unix_connect(path))
        # Look the methods up once: each attribute of a netref is a request of its own.
        self._add, self._echo = self.conn.root.add, self.conn.root.echo

    def add(self, a, b):
        return self._add(a, b)

    def echo(self, data):
        return self._echo(data)

    def _close_client(self):
        if hasattr(self, "conn"):
            self.conn.close()


def _serve_rpyc(path: str) -> None:
    import rpyc
    from rpyc.utils.server import ThreadedServer

    class AdderService(rpyc.Service):
        def exposed_add(self, a, b):
            return a + b

        def exposed_echo(self, data):
            return data

    server = ThreadedServer(AdderService, socket_path=path)
    _ready()  # it listens only in start(): the client retries until it does
    server.start()


# ---------------------------------------------------------------- Pyro5
class Pyro5Peer(Peer):
    """A Pyro5 daemon on a unix socket with an exposed Adder; the client calls a bound Proxy."""

    key = "Pyro5"
    modules = ("Pyro5", "serpent")
    package = "Pyro5"
    about_echo = "serpent: base64 each way"

    def _start(self):
        import Pyro5.api

        path = os.path.join(self.tmpdir, "pyro5.sock")
        self.server = _ServerChild("pyro5", path)
        self.proxy = Pyro5.api.Proxy(f"PYRO:adder@./u:{path}")
        _retry_connect(self.proxy._pyroBind)

    def add(self, a, b):
        return self.proxy.add(a, b)

    def echo(self, data):
        import serpent

        # Pyro5's default serializer (serpent) sends bytes as a base64 dict.
        return serpent.tobytes(self.proxy.echo(data))

    def _close_client(self):
        if hasattr(self, "proxy"):
            self.proxy._pyroRelease()


def _serve_pyro5(path: str) -> None:
    import Pyro5.api
    import serpent

    @Pyro5.api.expose
    class Adder:
        def add(self, a, b):
            return a + b

        def echo(self, data):
            return serpent.tobytes(data)

    daemon = Pyro5.api.Daemon(unixsocket=path)
    daemon.register(Adder(), "adder")
    _ready()
    daemon.requestLoop()


# ---------------------------------------------------------------- pycapnp RPC
class CapnpPeer(Peer):
    """pycapnp's two-party RPC on a unix socket; the client awaits each call in its asyncio + KJ loop.

    The loop lives as long as the peer, and runs only while a batch of calls is timed:
    the bench's rounds are plain function calls.
    """

    key = "pycapnp"
    modules = ("capnp",)
    package = "pycapnp"

    def _start(self):
        import capnp

        path = os.path.join(self.tmpdir, "capnp.sock")
        self.server = _ServerChild("capnp", path)
        schema = capnp.load(SCHEMA)
        self.loop = asyncio.new_event_loop()
        self.kj = capnp.kj_loop()
        self.loop.run_until_complete(self.kj.__aenter__())

        async def connect():
            stream = await capnp.AsyncIoStream.create_unix_connection(path)
            return capnp.TwoPartyClient(stream).bootstrap().cast_as(schema.Adder)

        async def connect_retrying():
            deadline = time.monotonic() + CONNECT_TIMEOUT
            while True:
                try:
                    return await connect()
                except (ConnectionRefusedError, FileNotFoundError) as e:
                    if time.monotonic() > deadline:
                        raise PeerError(f"could not connect: {e}") from e
                    await asyncio.sleep(0.01)

        self.adder = self.loop.run_until_complete(connect_retrying())

    def add(self, a, b):
        async def one():
            return (await self.adder.add(a, b)).result
        return self.loop.run_until_complete(one())

    def echo(self, data):
        async def one():
            return (await self.adder.echo(data)).data
        return self.loop.run_until_complete(one())

    def time_add(self, count):
        adder = self.adder

        async def batch():
            start = time.perf_counter()
            for _ in range(count):
                (await adder.add(1, 2)).result
            return (time.perf_counter() - start) / count
        return self.loop.run_until_complete(batch())

    def time_echo(self, count, data):
        adder = self.adder

        async def batch():
            start = time.perf_counter()
            for _ in range(count):
                (await adder.echo(data)).data
            return (time.perf_counter() - start) / count
        return self.loop.run_until_complete(batch())

    def _close_client(self):
        if hasattr(self, "loop"):
            self.__dict__.pop("adder", None)
            try:
                self.loop.run_until_complete(self.kj.__aexit__(None, None, None))
            finally:
                self.loop.close()


def _serve_capnp(path: str) -> None:
    import capnp

    schema = capnp.load(SCHEMA)

    class AdderImpl(schema.Adder.Server):  # type: ignore[name-defined]  # made by capnp.load
        async def add(self, a, b, **kwargs):
            return a + b

        async def echo(self, data, **kwargs):
            return data

    async def connected(stream):
        await capnp.TwoPartyServer(stream, bootstrap=AdderImpl()).on_disconnect()

    async def serve():
        server = await capnp.AsyncIoStream.create_unix_server(connected, path)
        _ready()
        async with server:
            await server.serve_forever()

    asyncio.run(capnp.run(serve()))


# ---------------------------------------------------------------- the server children
PEERS: tuple[type[Peer], ...] = (PipePeer, ManagersPeer, RpycPeer, Pyro5Peer, CapnpPeer)
_SERVE = {"pipe": _serve_pipe, "managers": _serve_managers, "rpyc": _serve_rpyc,
          "pyro5": _serve_pyro5, "capnp": _serve_capnp}


def _ready() -> None:
    sys.stdout.write("ready\n")
    sys.stdout.flush()


def _exit_when_stdin_closes() -> None:
    while os.read(0, 4096):
        pass
    os._exit(0)


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[1] != "--serve" or sys.argv[2] not in _SERVE:
        print(f"usage: {sys.argv[0]} --serve {{{','.join(_SERVE)}}} ADDRESS", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The process's last thread: it ends the process when the bench closes the pipe or dies.
    threading.Thread(target=_exit_when_stdin_closes, name="stdin-watcher", daemon=True).start()
    _SERVE[sys.argv[2]](sys.argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main())
