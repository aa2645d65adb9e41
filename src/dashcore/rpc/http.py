"""The JSON-RPC HTTP server: basic auth (user/password, -rpcauth, or the .cookie file),
-rpcwhitelist, keep-alive, and Dash's work queue (-rpcthreads, -rpcworkqueue, and
-rpcexternalworkqueue for -rpcexternaluser users).

Each connection is read by its own thread; a request then takes a place in the work
queue, which lets -rpcthreads requests run at once and -rpcworkqueue wait, and refuses
the rest with HTTP 503. ``stop`` stops accepting, wakes calls that wait for an event,
lets requests in progress finish (so ``stop`` itself gets its reply), closes idle
connections and joins every thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
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
DEFAULT_HTTP_THREADS = 4
DEFAULT_HTTP_WORKQUEUE = 16
#: libevent's limits as dashd sets them: request line plus headers, and body.
MAX_HEADERS_SIZE = 8192
MAX_BODY_SIZE = 0x02000000

START_ERROR = "Error: Unable to start HTTP server. See debug log for details."


class HttpStartError(Exception):
    """The HTTP RPC server cannot start (bad -rpcauth, cookie not writable, port taken): an init error."""


class RpcAuth:
    """The credentials the server accepts, and what each user may call (-rpcwhitelist)."""

    def __init__(self, user: str = "", password: str = "", rpcauth: list[str] | None = None,
                 cookie: tuple[str, str] | None = None, whitelist: list[str] | None = None,
                 whitelist_default: bool | None = None, external_users: list[str] | None = None):
        self.external_users = set(external_users or [])
        self._plain = []
        if user or password:
            self._plain.append((user, password))
        if cookie:
            self._plain.append(cookie)
        self._salted = []
        for entry in rpcauth or []:
            self._salted.append(parse_rpcauth(entry))
        self._whitelist: dict[str, set[str]] = {}
        for entry in whitelist or []:
            name, sep, methods = entry.partition(":")
            known = name in self._whitelist
            allowed = self._whitelist.setdefault(name, set())
            if sep:
                # Dash splits on either character; a user listed twice keeps only what both lists allow.
                new = set(methods.replace(" ", ",").split(","))
                self._whitelist[name] = new & allowed if known else new
        self._whitelist_default = bool(whitelist) if whitelist_default is None else whitelist_default

    def is_external(self, header: str | None) -> bool:
        """Whether the request names (not necessarily with the right password) an -rpcexternaluser."""
        if not self.external_users or not header or not header.startswith("Basic "):
            return False
        try:
            user, sep, _ = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return bool(sep) and user in self.external_users

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

    def permit_for(self, user: str):
        """The user's whitelist as ``permit(method, params)``; None when the user may call anything,
        False when the user may call nothing (-rpcwhitelistdefault without a list of their own)."""
        allowed = self._whitelist.get(user)
        if allowed is None:
            return False if self._whitelist_default else None

        def permit(method: str, params) -> bool:
            # A composite command ("quorum list") is listed without its space: "quorumlist".
            if method in allowed:
                return True
            return isinstance(params, list) and bool(params) and isinstance(params[0], str) \
                and method + params[0] in allowed
        return permit


def parse_rpcauth(entry: str) -> tuple[str, str, str]:
    """``user:salt$hash`` as (user, salt, hash); ValueError when it is not of that form."""
    fields = entry.split(":")
    salt_hash = fields[-1].split("$")
    if len(fields) != 2 or len(salt_hash) != 2:
        raise ValueError(f"Invalid -rpcauth argument: {entry}")
    return fields[0], salt_hash[0], salt_hash[1]


def write_cookie(path: str) -> tuple[str, str]:
    password = secrets.token_hex(32)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"{COOKIE_USER}:{password}")
    os.replace(tmp, path)
    return COOKIE_USER, password


class WorkQueue:
    """At most ``threads`` requests run at once; ``depth`` wait for a turn, and ``external_depth``
    more of -rpcexternaluser users, who go after every other waiting request. ``enter`` refuses more."""

    def __init__(self, threads: int, depth: int, external_depth: int = 0):
        self._threads = max(threads, 1)
        self._depth = {False: max(depth, 1), True: external_depth}
        self._running = 0
        self._waiting = {False: 0, True: 0}
        self._cond = threading.Condition()

    def enter(self, external: bool = False) -> bool:
        """Wait for a turn; False (at once) when the queue is full."""
        with self._cond:
            if self._running >= self._threads and self._waiting[external] >= self._depth[external]:
                return False
            self._waiting[external] += 1
            while self._running >= self._threads or (external and self._waiting[False]):
                self._cond.wait()
            self._waiting[external] -= 1
            self._running += 1
        if external:
            log.info("HTTP: Calling handler for external user...")
        return True

    def wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._running or any(self._waiting.values())) and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())

    @property
    def load(self) -> tuple[int, int]:
        """(requests running, requests waiting)."""
        with self._cond:
            return self._running, self._waiting[False] + self._waiting[True]

    def leave(self) -> None:
        with self._cond:
            self._running -= 1
            self._cond.notify_all()


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

    def parse_request(self) -> bool:
        if len(self.raw_requestline) > MAX_HEADERS_SIZE:
            self.command, self.request_version = None, "HTTP/1.1"
            self.requestline = self.raw_requestline[:100].decode("latin-1").rstrip("\r\n")
            self.close_connection = True
            self._reply(400, None)
            return False
        if not super().parse_request():
            return False
        if len(self.raw_requestline) + len(str(self.headers)) > MAX_HEADERS_SIZE:
            self.close_connection = True
            self._reply(400, None)
            return False
        return True

    def _reply(self, status: int, body: str | None, content_type: str = "application/json",
               extra: dict | None = None) -> None:
        data = body.encode("utf-8") if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        # Headers and body in one write: two small writes meet the client's delayed ACK (Nagle), 40 ms a reply.
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def _dispatch(self) -> None:
        if not _client_allowed(self.server.allowed, self.client_address[0]):
            log.debug("HTTP request from %s rejected: Client network is not allowed RPC access",
                      self.client_address[0])
            self.close_connection = True
            self._reply(403, None)
            return
        # As dashd: the JSON-RPC handler serves "/" exactly and "/wallet/<name>"; nothing else exists.
        body = self._read_body()
        if body is None:
            return
        if self.path != "/" and not self.path.startswith("/wallet/"):
            self._reply(404, None)
            return
        external = self.server.auth.is_external(self.headers.get("Authorization"))
        if not self.server.queue.enter(external):
            if external:
                log.warning("WARNING: request rejected because http work queue depth of externals exceeded, "
                            "it can be increased with the -rpcexternalworkqueue= setting")
                self._reply(503, "Work queue depth of externals exceeded", "text/html")
            else:
                log.warning("WARNING: request rejected because http work queue depth exceeded, "
                            "it can be increased with the -rpcworkqueue= setting")
                self._reply(503, "Work queue depth exceeded", "text/html")
            return
        try:
            self._json_rpc(body)
        finally:
            self.server.queue.leave()

    def _read_body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_SIZE:
            self.close_connection = True
            self._reply(413, None)
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _json_rpc(self, body: bytes) -> None:
        if self.command != "POST":
            self._reply(405, "JSONRPC server handles only POST requests", "text/html")
            return
        header = self.headers.get("Authorization")
        www_auth = {"WWW-Authenticate": 'Basic realm="jsonrpc"'}
        if header is None:
            self._reply(401, None, extra=www_auth)
            return
        user = self.server.auth.check(header)
        if user is None:
            log.info("ThreadRPCServer incorrect password attempt from %s:%d", *self.client_address[:2])
            time.sleep(0.25)  # deters brute-forcing, as dashd does
            self._reply(401, None, extra=www_auth)
            return
        permit = self.server.auth.permit_for(user)
        if permit is False:
            log.info("RPC User %s not allowed to call any methods", user)
            self._reply(403, None)
            return
        path = urllib.parse.urlsplit(self.path).path
        status, reply = self.server.table.handle_http_body(body, urllib.parse.unquote(path), user, permit)
        self._reply(status, reply + "\n" if reply is not None else None)

    do_POST = do_GET = do_HEAD = do_PUT = _dispatch  # noqa: N815 - http.server's naming


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address, table: RpcTable, auth: RpcAuth, family: int, queue: WorkQueue, allowed: list):
        self.address_family = family
        self.allowed = allowed
        self.table = table
        self.auth = auth
        self.queue = queue
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6:
            # "::" and "0.0.0.0" on one port are two sockets, as dashd binds them
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._lock:
            (self._conns.add if alive else self._conns.discard)(conn)

    def close_connections(self) -> None:
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def bind_addresses(args, port: int) -> list[tuple[str, int]]:
    """Where the RPC server listens, as dashd decides: each ``-rpcbind`` (``host``, ``host:port``,
    ``[v6]:port``) when ``-rpcallowip`` is also set, else the loopback addresses ::1 and 127.0.0.1."""
    if not (args.is_set("rpcallowip") and args.is_set("rpcbind")):
        if args.is_set("rpcallowip"):
            log.warning("WARNING: option -rpcallowip was specified without -rpcbind; this doesn't usually make sense")
        if args.is_set("rpcbind"):
            log.warning("WARNING: option -rpcbind was ignored because -rpcallowip was not specified, refusing to "
                        "allow everyone to connect")
        return [("::1", port), ("127.0.0.1", port)]
    return [split_host_port(b, port) for b in args.get_list("rpcbind")]


def split_host_port(text: str, port: int) -> tuple[str, int]:
    """``host``, ``host:port`` or ``[v6 host]:port`` as (host, port), ``port`` when none is given."""
    host, given = text, ""
    if text.startswith("[") and "]" in text:
        host, _, rest = text[1:].partition("]")
        given = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, given = text.partition(":")
    return host, int(given) if given.isdigit() else port


def allowed_networks(args) -> list:
    """Who may connect: the loopback networks and each ``-rpcallowip`` (an address, address/bits or
    address/netmask); HttpStartError for one that is none of those."""
    networks = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
    for spec in args.get_list("rpcallowip"):
        try:
            networks.append(ipaddress.ip_network(spec.strip("[]"), strict=False))
        except ValueError:
            raise HttpStartError(f"Error: Invalid -rpcallowip subnet specification: {spec}. Valid are a single IP "
                                 "(e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0) or a network/CIDR "
                                 f"(e.g. 1.2.3.4/24).\n{START_ERROR}") from None
    return networks


class _NoArgs:
    """No options: loopback clients only."""

    @staticmethod
    def get_list(name: str) -> list[str]:
        return []


def _client_allowed(networks: list, host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in networks if net.version == address.version)


class HttpRpcServer:
    """Serves ``table`` on the given addresses until ``stop``."""

    def __init__(self, table: RpcTable, auth: RpcAuth, addresses: list[tuple[str, int]],
                 threads: int = DEFAULT_HTTP_THREADS, queue_depth: int = DEFAULT_HTTP_WORKQUEUE,
                 cookie_path: str | None = None, external_depth: int = 0, allowed: list | None = None):
        """Binds every address it can, as dashd; OSError when it can bind none."""
        self._table = table
        self.queue = WorkQueue(threads, queue_depth, external_depth)
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._cookie_path = cookie_path
        allowed = allowed if allowed is not None else allowed_networks(_NoArgs())
        self.bound: list[tuple[str, int]] = []
        error: OSError | None = None
        for host, port in addresses:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            try:
                self._servers.append(_Server((host, port), table, auth, family, self.queue, allowed))
                self.bound.append((host, port))
            except OSError as e:
                log.info("Binding RPC on address %s port %d failed: %s", host, port, e)
                error = e
        if not self._servers:
            raise error or OSError("no address to bind")

    def start(self) -> None:
        for s in self._servers:
            t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        for s in self._servers:
            s.shutdown()
        self._table.interrupt()
        self.queue.wait_idle(30)
        for s in self._servers:
            s.close_connections()
            s.server_close()
        for t in self._threads:
            t.join()
        if self._cookie_path is not None:
            try:
                os.remove(self._cookie_path)
            except OSError:
                pass


def start(args, table: RpcTable, net_dir: str, default_port: int, cookie_name: str = ".cookie") -> HttpRpcServer:
    """Dash's StartHTTPServer with its options; HttpStartError (with dashd's message) when it cannot."""
    cookie = cookie_path = None
    if not args.get("rpcpassword"):
        cookie_path = os.path.join(net_dir, args.get("rpccookiefile") or cookie_name)
        try:
            cookie = write_cookie(cookie_path)
        except OSError as e:
            log.error("Unable to open cookie authentication file %s for writing: %s", cookie_path + ".tmp", e)
            raise HttpStartError(START_ERROR) from None
        log.info("Generated RPC authentication cookie %s", cookie_path)
    rpcauth = args.get_list("rpcauth") if args.get("rpcauth") else []
    whitelist_default = args.get_bool("rpcwhitelistdefault", args.is_set("rpcwhitelist"))
    external_users = args.get("rpcexternaluser").split(",") if args.get("rpcexternaluser") else []
    external_depth = max(args.get_int("rpcexternalworkqueue", DEFAULT_HTTP_WORKQUEUE), 1) if external_users else 0
    try:
        auth = RpcAuth(args.get("rpcuser"), args.get("rpcpassword"), rpcauth, cookie,
                       args.get_list("rpcwhitelist"), whitelist_default, external_users)
    except ValueError as e:
        log.error("%s", e)
        _remove(cookie_path)
        raise HttpStartError(START_ERROR) from None
    addresses = bind_addresses(args, args.get_int("rpcport", default_port))
    try:
        allowed = allowed_networks(args)
    except HttpStartError:
        _remove(cookie_path)
        raise
    try:
        server = HttpRpcServer(table, auth, addresses, args.get_int("rpcthreads", DEFAULT_HTTP_THREADS),
                               args.get_int("rpcworkqueue", DEFAULT_HTTP_WORKQUEUE), cookie_path, external_depth,
                               allowed)
    except OSError as e:
        log.error("Binding RPC on %s failed: %s", ", ".join(f"{h}:{p}" for h, p in addresses), e)
        _remove(cookie_path)
        raise HttpStartError(f"{START_ERROR} ({e})") from None
    server.start()
    log.info("HTTP RPC server listening on %s", ", ".join(f"{h}:{p}" for h, p in server.bound))
    return server


def _remove(path: str | None) -> None:
    if path is not None:
        try:
            os.remove(path)
        except OSError:
            pass
