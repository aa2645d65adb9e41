"""Test framework for real dashcore executables: free ports, a data directory, start/stop/kill, and a
JSON-RPC client over HTTP (the same protocol Dash's authproxy speaks: JSON-RPC 1.1, basic auth,
keep-alive, Decimal amounts)."""

from __future__ import annotations

import base64
import decimal
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

BIN_DIR = os.path.dirname(sys.executable)

#: The node executables the functional suite runs against: the same tests, the same results.
NODE_EXECUTABLES = ["dashd", "dash-node"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JSONRPCException(Exception):
    def __init__(self, error: dict, http_status: int = 0):
        super().__init__(f"{error.get('message')} ({error.get('code')})")
        self.error = error
        self.code = error.get("code")
        self.message = error.get("message")
        self.http_status = http_status


class RPCClient:
    """``client.method(*args, **named)``; ``client / "wallet"`` for a wallet endpoint."""

    def __init__(self, url: str, timeout: float = 60, _path: str = "/"):
        parts = urllib.parse.urlsplit(url)
        self._url = url
        self._host, self._port = parts.hostname, parts.port
        self._auth = "Basic " + base64.b64encode(f"{parts.username}:{parts.password}".encode()).decode()
        self._timeout = timeout
        self._path = _path
        self._conn: http.client.HTTPConnection | None = None
        self._id = 0

    def __truediv__(self, wallet: str) -> "RPCClient":
        return RPCClient(self._url, self._timeout, "/wallet/" + urllib.parse.quote(wallet, safe=""))

    def post(self, body: bytes, auth: str | None = None, path: str | None = None) -> tuple[int, dict, bytes]:
        """A raw POST: (status, headers, body)."""
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            try:
                self._conn.request("POST", path or self._path, body,
                                   {"Authorization": auth or self._auth, "Content-Type": "application/json"})
                r = self._conn.getresponse()
                return r.status, dict(r.getheaders()), r.read()
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def call(self, method: str, *args, **named):
        self._id += 1
        params = named if named else list(args)
        if named and args:
            params = dict(named, args=list(args))
        body = json.dumps({"version": "1.1", "method": method, "params": params, "id": self._id},
                          default=_encode_decimal).encode()
        status, headers, data = self.post(body)
        if headers.get("Content-Type") != "application/json":
            raise JSONRPCException({"code": -342, "message": f"non-JSON HTTP response with '{status}'"}, status)
        reply = json.loads(data, parse_float=decimal.Decimal)
        if reply["error"] is not None:
            raise JSONRPCException(reply["error"], status)
        assert reply["id"] == self._id
        return reply["result"]

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **named: self.call(name, *args, **named)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _encode_decimal(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(repr(value))


class Node:
    """One node process in its own data directory; ``stop`` checks exit code 0 and an empty stderr."""

    def __init__(self, executable: str, datadir: str | None = None, extra_args: list[str] | None = None):
        self.executable = executable
        self.datadir = datadir or tempfile.mkdtemp(prefix="dashcore-test-")
        self._own_dir = datadir is None
        self.extra_args = list(extra_args or [])
        self.rpc_port = free_port()
        self.p2p_port = free_port()
        self.process: subprocess.Popen | None = None
        self.rpc: RPCClient | None = None
        self._stderr_path = os.path.join(self.datadir, "stderr.txt")
        with open(os.path.join(self.datadir, "dash.conf"), "w") as f:
            f.write(f"regtest=1\n[regtest]\nrpcport={self.rpc_port}\nkeypool=20\nfallbackfee=0.00001\n"
                    f"port={self.p2p_port}\nbind=127.0.0.1\n")

    @property
    def net_dir(self) -> str:
        return os.path.join(self.datadir, "regtest")

    def args(self, extra: list[str]) -> list[str]:
        return [os.path.join(BIN_DIR, self.executable), f"-datadir={self.datadir}", *self.extra_args, *extra]

    def start(self, extra: list[str] | None = None, timeout: float = 60) -> None:
        stderr = open(self._stderr_path, "w")
        self.process = subprocess.Popen(self.args(extra or []), stdout=subprocess.DEVNULL, stderr=stderr,
                                        cwd=self.datadir)
        stderr.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.executable} exited with {self.process.returncode}: {self.stderr()}")
            try:
                with open(os.path.join(self.net_dir, ".cookie")) as f:
                    user, password = f.read().split(":")
                self.rpc = RPCClient(f"http://{user}:{password}@127.0.0.1:{self.rpc_port}")
                self.rpc.getblockcount()
                return
            except (OSError, ValueError):
                pass
            except JSONRPCException as e:
                if e.code != -28:
                    raise
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"{self.executable} did not answer RPC in {timeout}s")
            time.sleep(0.1)

    def wallet(self, name: str) -> RPCClient:
        assert self.rpc is not None
        return self.rpc / name

    def stderr(self) -> str:
        with open(self._stderr_path) as f:
            return f.read()

    def stop(self, timeout: float = 60) -> None:
        assert self.process is not None and self.rpc is not None
        assert self.rpc.stop() == "Dash Core server stopping"
        self.rpc.close()
        code = self.process.wait(timeout)
        self.process = None
        assert code == 0, f"exit code {code}"
        assert self.stderr() == "", self.stderr()

    def kill(self) -> None:
        """kill -9, as a crash would."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None
        if self.rpc is not None:
            self.rpc.close()

    def cleanup(self) -> None:
        self.kill()
        if self._own_dir:
            shutil.rmtree(self.datadir, ignore_errors=True)


def wait_until(predicate, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def assert_raises_rpc_error(code: int, message: str, fn, *args, **named) -> JSONRPCException:
    try:
        fn(*args, **named)
    except JSONRPCException as e:
        assert e.code == code, f"expected code {code}, got {e.code}: {e.message}"
        assert message in e.message, f"expected {message!r} in {e.message!r}"
        return e
    raise AssertionError("no error raised")
