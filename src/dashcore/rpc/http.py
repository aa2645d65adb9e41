"""The JSON-RPC HTTP server: basic auth (user/password, -rpcauth, or the .cookie file) and keep-alive.

Each connection is served by its own thread; ``stop`` stops accepting, lets requests in
progress finish (so ``stop`` itself gets its reply), closes idle connections and joins
every thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .server import RpcTable

log = logging.getLogger("dashcore.rpc")

COOKIE_USER = "__cookie__"


class RpcAuth:
    """The credentials the server accepts."""

    def __init__(self, user: str = "", password: str = "", rpcauth: list[str] | None = None,
                 cookie: tuple[str, str] | None = None):
        self._plain = []
        if user or password:
            self._plain.append((user, password))
        if cookie:
            self._plain.append(cookie)
        self._salted = []
        for entry in rpcauth or []:
            name, _, rest = entry.partition(":")
            salt, _, digest = rest.partition("$")
            if name and salt and digest:
                self._salted.append((name, salt, digest))

    def check(self, header: str | None) -> str | None:
        """The authenticated user name, or None."""
        if not header or not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        ok = False
        for u, p in self._plain:
            ok |= hmac.compare_digest(u.encode(), user.encode()) & hmac.compare_digest(p.encode(), password.encode())
        for u, salt, digest in self._salted:
            mine = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
            ok |= hmac.compare_digest(u.encode(), user.encode()) & hmac.compare_digest(mine, digest)
        return user if ok else None


def write_cookie(path: str) -> tuple[str, str]:
    password = secrets.token_hex(32)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"{COOKIE_USER}:{password}")
    os.replace(tmp, path)
    return COOKIE_USER, password


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format, *args) -> None:  # noqa: A002 - http.server's signature
        log.debug("http: " + format, *args)

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def _reply(self, status: int, body: str | None, content_type: str = "application/json",
               extra: dict | None = None) -> None:
        data = body.encode("utf-8") if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        # Headers and body in one write: two small writes meet the client's delayed ACK (Nagle), 40 ms a reply.
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._reply(405, "JSONRPC server handles only POST requests", "text/html")

    def do_POST(self) -> None:  # noqa: N802
        self.server.busy(True)
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            user = self.server.auth.check(self.headers.get("Authorization"))
            if user is None:
                log.info("ThreadRPCServer incorrect password attempt from %s", self.client_address[0])
                time.sleep(0.25)
                self._reply(401, "", "text/html", {"WWW-Authenticate": 'Basic realm="jsonrpc"'})
                return
            path = urllib.parse.urlsplit(self.path).path
            if path != "/" and not path.startswith("/wallet/") and path != "/wallet":
                self._reply(404, "", "text/html")
                return
            status, reply = self.server.table.handle_http_body(body, urllib.parse.unquote(path), user)
            self._reply(status, reply + "\n" if reply is not None else None)
        finally:
            self.server.busy(False)


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address, table: RpcTable, auth: RpcAuth, family: int):
        self.address_family = family
        self.table = table
        self.auth = auth
        self._conns: set[socket.socket] = set()
        self._busy = 0
        self._cond = threading.Condition()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._cond:
            (self._conns.add if alive else self._conns.discard)(conn)

    def busy(self, on: bool) -> None:
        with self._cond:
            self._busy += 1 if on else -1
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._busy and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())

    def close_connections(self) -> None:
        with self._cond:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def bind_addresses(args, port: int) -> list[tuple[str, int]]:
    """Where the RPC server listens: each ``-rpcbind`` (with ``:port`` or ``port``) when
    ``-rpcallowip`` is also set, as Dash requires, else 127.0.0.1."""
    binds = args.get_list("rpcbind") if args.is_set("rpcallowip") and args.is_set("rpcbind") else ["127.0.0.1"]
    addresses = []
    for b in binds:
        host, _, p = b.rpartition(":") if b.count(":") == 1 else (b, "", "")
        addresses.append((host or b, int(p) if p else port))
    return addresses


class HttpRpcServer:
    """Serves ``table`` on the given addresses until ``stop``."""

    def __init__(self, table: RpcTable, auth: RpcAuth, addresses: list[tuple[str, int]]):
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        for host, port in addresses:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            self._servers.append(_Server((host, port), table, auth, family))

    def start(self) -> None:
        for s in self._servers:
            t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        for s in self._servers:
            s.shutdown()
        for s in self._servers:
            s.wait_idle(30)
            s.close_connections()
            s.server_close()
        for t in self._threads:
            t.join()
