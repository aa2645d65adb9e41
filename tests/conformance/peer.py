"""The test side of peer_capnp.py: start it, send it commands, always clean it up."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from .support import ConfServer, connection

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_SCRIPT = os.path.join(HERE, "peer_capnp.py")


class PeerError(AssertionError):
    """The pycapnp peer failed a command (its traceback is the message)."""


class Peer:
    """A running peer_capnp.py process and its control channel."""

    def __init__(self, name: str = "pycapnp"):
        self.name = name
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.ctrl = parent
        self.proc = subprocess.Popen(
            [sys.executable, PEER_SCRIPT, str(child.fileno())],
            pass_fds=[child.fileno()], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        child.close()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._replies: dict = {}
        self._output = b""
        self._out_thread = threading.Thread(target=self._drain, daemon=True)
        self._out_thread.start()
        self.pid = self.request({"op": "pid"}, timeout=20)

    def _drain(self):
        chunks = []
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            chunks.append(chunk)
            self._output = b"".join(chunks)

    @property
    def output(self) -> str:
        return self._output.decode(errors="replace")

    def send(self, cmd: dict, fds=()) -> int:
        """Send a command; gives its id (``reply(id)`` waits for the answer)."""
        cid = next(self._ids)
        cmd = dict(cmd, id=cid)
        data = json.dumps(cmd).encode()
        with self._lock:
            if fds:
                socket.send_fds(self.ctrl, [data], list(fds))
            else:
                self.ctrl.send(data)
        return cid

    def reply(self, cid: int, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if cid in self._replies:
                    msg = self._replies.pop(cid)
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.name}: no reply to command {cid} in {timeout} s; "
                                       f"output so far:\n{self.output}")
                self.ctrl.settimeout(min(remaining, 0.5))
                try:
                    data = self.ctrl.recv(1 << 20)
                except TimeoutError:
                    continue
                finally:
                    self.ctrl.settimeout(None)
                if not data:
                    raise PeerError(f"{self.name} exited (status {self.proc.poll()}); "
                                    f"output:\n{self.output}")
                msg = json.loads(data)
                self._replies[msg["id"]] = msg
        if not msg["ok"]:
            raise PeerError(f"{self.name} failed:\n{msg['error']}")
        return msg.get("result")

    def request(self, cmd: dict, fds=(), timeout: float = 20.0):
        return self.reply(self.send(cmd, fds), timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        """Ask the peer to exit (close its control socket); kill it if it does not."""
        try:
            self.ctrl.close()
        except OSError:
            pass
        try:
            self.proc.wait(3)
        except subprocess.TimeoutExpired:
            self.kill()
        self._out_thread.join(2)
        if self.proc.stdout:
            self.proc.stdout.close()


def close_and_check(conn) -> None:
    """Close an mpipc connection and check that it joined every thread it started."""
    conn.close()
    alive = [t.name for t in conn._threads if t.is_alive()]
    assert not alive, f"threads of {conn.name} still running after close(): {alive}"


def connect_to_pycapnp(peer: Peer, transport: str, path: str | None, name: str):
    """An mpipc client Connection to a fresh pycapnp Conf served by ``peer``."""
    if transport == "socketpair":
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            peer.request({"op": "serve"}, fds=[theirs.fileno()])
        finally:
            theirs.close()
        sock = mine
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(5)
        sock.connect(path)
        sock.settimeout(None)
    return connection(sock, name=name)


class ScenarioRun:
    """The outcome of one pycapnp client scenario against an mpipc server."""

    def __init__(self, result, conn, server):
        self.result = result
        self.conn = conn
        self.server = server


class PycapnpClient:
    """Runs pycapnp client scenarios, each on a new connection to a new mpipc server."""

    def __init__(self, peer: Peer, transport: str, sock_dir: str):
        self.peer = peer
        self.transport = transport
        self.sock_dir = sock_dir
        self.conns: list = []
        self._n = 0

    def start(self, scenario: str, server=None, args=None, timeout: float = 20.0):
        """Start a scenario; gives (command id, mpipc connection, server)."""
        server = server if server is not None else ConfServer()
        cmd = {"op": "client", "scenario": scenario, "args": args or {}, "timeout": timeout}
        self._n += 1
        name = f"mpipc-server-{self.transport}-{scenario}"
        if self.transport == "socketpair":
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            conn = connection(mine, bootstrap=server, name=name)
            self.conns.append(conn)
            try:
                cid = self.peer.send(cmd, fds=[theirs.fileno()])
            finally:
                theirs.close()
        else:
            path = os.path.join(self.sock_dir, f"mpipc-{os.getpid()}-{threading.get_ident()}-{self._n}.sock")
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                listener.bind(path)
                listener.listen(1)
                listener.settimeout(10)
                cid = self.peer.send(dict(cmd, path=path))
                sock, _ = listener.accept()
                sock.settimeout(None)
            finally:
                listener.close()
                os.unlink(path)
            conn = connection(sock, bootstrap=server, name=name)
            self.conns.append(conn)
        return cid, conn, server

    def run(self, scenario: str, server=None, args=None, timeout: float = 20.0) -> ScenarioRun:
        cid, conn, server = self.start(scenario, server, args, timeout)
        result = self.peer.reply(cid, timeout + 5)
        return ScenarioRun(result, conn, server)

    def close(self):
        for conn in self.conns:
            close_and_check(conn)
