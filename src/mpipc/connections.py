"""Making connections: spawn a child over a socketpair, listen and connect on an address.

    child = spawn([sys.executable, "server.py"])        # the child gets "<fd>" appended
    init = child.bootstrap()                           # the child's bootstrap capability
    ...
    child.close()                                      # closes, then waits for the child

    serve_spawned(MyInit())                            # in the child: serve until the parent goes

    listener = listen("unix:/run/app.sock", MyInit)    # a bootstrap object per connection
    conn = connect("unix:/run/app.sock")

Addresses are ``unix:/path`` (the socket file is made with mode 0600) or TCP
``host:port`` (or ``tcp:host:port``). A TCP peer must send the secret of the
listener's cookie file before any Cap'n Proto byte; one that does not is refused and
logged. There is no default path: an application picks its own.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from typing import Callable, Sequence

from . import log as iolog
from .errors import MpipcError
from .transport import Connection, shutdown

log = logging.getLogger("mpipc")

AUTH_PREFIX = b"MPIPC-COOKIE "  # then the secret in hex and a newline, before any RPC byte
AUTH_OK = b"OK\n"
AUTH_TIMEOUT = 5.0
_umask_lock = threading.Lock()


class Spawned:
    """A child process and the connection to it."""

    def __init__(self, connection: Connection, process: subprocess.Popen):
        self.connection = connection
        self.process = process

    @property
    def pid(self) -> int:
        return self.process.pid

    def bootstrap(self):
        """The child's bootstrap capability (its Init)."""
        return self.connection.bootstrap()

    def close(self, timeout: float = 10.0) -> int:
        """Close the connection (the child then exits) and wait for it; kill it after ``timeout``."""
        self.connection.close()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.error("%s child %d did not exit %.0f s after its connection closed; killing it",
                      iolog.prefix(), self.process.pid, timeout)
            self.process.kill()
            return self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def spawn(argv: Sequence[str], bootstrap=None, fd_option: str | None = None, name: str | None = None,
          **popen) -> Spawned:
    """Start ``argv`` with one end of a socketpair and connect to it over the other.

    The child gets the fd number as its last argument (``prog <fd>``, as
    libmultiprocess's examples take it) or, with ``fd_option="-ipcfd"``, as
    ``prog -ipcfd <fd>`` (as Bitcoin's and Dash's executables take it). ``bootstrap``
    is what this side serves to the child. Extra keywords go to ``subprocess.Popen``.
    """
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        fd = theirs.fileno()
        args = list(argv) + ([fd_option, str(fd)] if fd_option else [str(fd)])
        pass_fds = tuple(popen.pop("pass_fds", ())) + (fd,)
        try:
            process = subprocess.Popen(args, pass_fds=pass_fds, **popen)
        except OSError as exc:
            ours.close()
            raise MpipcError(f"cannot start {argv[0]}: {exc}") from exc
    finally:
        theirs.close()
    label = name or f"{os.path.basename(str(argv[0]))}-{process.pid}"
    return Spawned(Connection(ours, bootstrap=bootstrap, name=label), process)


def fd_from_argv(argv: Sequence[str]) -> int:
    """The fd a parent passed: ``<fd>`` alone, ``-ipcfd <fd>`` or ``-ipcfd=<fd>``."""
    args = list(argv)
    for i, arg in enumerate(args):
        if arg.startswith("-ipcfd="):
            return _fd(arg.split("=", 1)[1])
        if arg == "-ipcfd" and i + 1 < len(args):
            return _fd(args[i + 1])
    if len(args) == 1:
        return _fd(args[0])
    raise MpipcError(f"expected one fd number or -ipcfd <fd> on the command line, got {args!r}")


def _fd(text: str) -> int:
    try:
        fd = int(text)
    except ValueError:
        raise MpipcError(f"not an fd number: {text!r}") from None
    try:
        os.fstat(fd)
    except OSError:
        raise MpipcError(f"fd {fd} is not open in this process") from None
    return fd


def serve_spawned(bootstrap, argv: Sequence[str] | None = None, name: str | None = None,
                  ignore_sigint: bool = True) -> Connection:
    """In a spawned child: serve ``bootstrap`` on the fd from the command line until the
    parent goes away; gives the closed connection.

    Ctrl-C in a terminal reaches the whole process group; the child leaves it to its
    parent, whose going away ends the child (``ignore_sigint=False`` keeps Python's
    default, a KeyboardInterrupt)."""
    fd = fd_from_argv(sys.argv[1:] if argv is None else argv)
    if ignore_sigint and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(socket.socket(fileno=fd), bootstrap=bootstrap,
                      name=name or f"{os.path.basename(sys.argv[0] or 'child')}-{os.getpid()}")
    conn.wait_closed()
    conn.close()
    return conn


# ---------------------------------------------------------------------- addresses
def parse_address(address: str) -> tuple[str, object]:
    """``("unix", path)`` or ``("tcp", (host, port))``; MpipcError for anything else."""
    if address.startswith("unix:"):
        path = address[5:]
        if not path:
            raise MpipcError("unix address needs a path: unix:/path/to/socket")
        return "unix", path
    if address == "unix":
        raise MpipcError("unix address needs a path: unix:/path/to/socket")
    rest = address[4:] if address.startswith("tcp:") else address
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise MpipcError(f"bad address {address!r}: use unix:/path or host:port")
    return "tcp", (host.strip("[]"), int(port))


def _read_cookie(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            secret = f.read().strip()
    except OSError as exc:
        raise MpipcError(f"cannot read the cookie file {path}: {exc.strerror}") from None
    if not secret:
        raise MpipcError(f"the cookie file {path} is empty")
    return secret


def connect(address: str, bootstrap=None, cookie_file: str | None = None, name: str | None = None,
            timeout: float = 10.0) -> Connection:
    """Connect to a listener at ``address``; TCP sends the secret of ``cookie_file`` first."""
    kind, where = parse_address(address)
    family = socket.AF_UNIX if kind == "unix" else socket.AF_INET6 if ":" in where[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(where)
        except OSError as exc:
            raise MpipcError(f"cannot connect to {address}: {exc.strerror or exc}") from None
        if kind == "tcp":
            if cookie_file is None:
                raise MpipcError("a TCP connection needs the listener's cookie file (cookie_file=...)")
            sock.sendall(AUTH_PREFIX + _read_cookie(cookie_file) + b"\n")
            reply = _recv_line(sock, 16)
            if reply != AUTH_OK:
                raise MpipcError(f"{address} refused the cookie")
        sock.settimeout(None)
    except BaseException:
        sock.close()
        raise
    return Connection(sock, bootstrap=bootstrap, name=name or f"client-{address}")


def _recv_line(sock: socket.socket, limit: int) -> bytes:
    line = b""
    while not line.endswith(b"\n") and len(line) < limit:
        chunk = sock.recv(1)
        if not chunk:
            break
        line += chunk
    return line


class Listener:
    """Accepts connections on an address, each served with a bootstrap of its own."""

    def __init__(self, address: str, bootstrap: Callable[[], object], max_connections: int | None = None,
                 cookie_file: str | None = None, name: str = "listener"):
        self.address = address
        self.kind, where = parse_address(address)
        self._bootstrap = bootstrap
        self.max_connections = max_connections
        self.name = name
        self.connections: list[Connection] = []
        self._admitting: list[threading.Thread] = []
        self._admitted = 0  # connections being admitted, not yet in self.connections
        self._lock = threading.Lock()
        self._closed = False
        self.cookie_file = cookie_file
        self._secret = None
        if self.kind == "unix":
            self.path = where
            self.sock = self._bind_unix(where)
        else:
            family = socket.AF_INET6 if ":" in where[0] else socket.AF_INET
            self.sock = socket.socket(family, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.sock.bind(where)
            except OSError as exc:
                self.sock.close()
                raise MpipcError(f"cannot listen on {address}: {exc.strerror or exc}") from None
            if cookie_file is None:
                raise MpipcError("a TCP listener needs a cookie file (cookie_file=...)")
            self._secret = self._make_cookie(cookie_file)
        self.sock.listen(16)
        self._thread = threading.Thread(target=self._accept_loop, name=f"{name}-accept", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int | None:
        return self.sock.getsockname()[1] if self.kind == "tcp" else None

    @staticmethod
    def _bind_unix(path: str) -> socket.socket:
        try:
            if stat.S_ISSOCK(os.lstat(path).st_mode):
                probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    probe.connect(path)
                except OSError:
                    os.unlink(path)  # a stale socket left by a process that died
                else:
                    raise MpipcError(f"{path} is in use by a running listener")
                finally:
                    probe.close()
        except FileNotFoundError:
            pass
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with _umask_lock:  # the file is born 0600: no moment when others may connect
            old = os.umask(0o177)
            try:
                sock.bind(path)
            except OSError as exc:
                sock.close()
                raise MpipcError(f"cannot listen on unix:{path}: {exc.strerror or exc}") from None
            finally:
                os.umask(old)
        return sock

    @staticmethod
    def _make_cookie(path: str) -> bytes:
        secret = secrets.token_hex(32).encode()
        tmp = f"{path}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secret)
        os.replace(tmp, path)
        return secret

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                sock, peer = self.sock.accept()
            except OSError:
                if self._closed:
                    return
                time.sleep(0.05)
                continue
            thread = threading.Thread(target=self._admit, args=(sock, peer), name=f"{self.name}-admit",
                                      daemon=True)
            with self._lock:
                self._admitting = [t for t in self._admitting if t.is_alive()] + [thread]
            thread.start()

    def _admit(self, sock: socket.socket, peer) -> None:
        with self._lock:
            self.connections = [c for c in self.connections if c.alive]
            full = (self.max_connections is not None
                    and len(self.connections) + self._admitted >= self.max_connections)
            if not full:
                self._admitted += 1  # holds its place until it is in self.connections
        if full:
            log.warning("%s %s: refused a connection from %r: already %d connections", iolog.prefix(),
                        self.name, peer, self.max_connections)
            sock.close()
            return
        conn = None
        try:
            if self._secret is not None and not self._authenticate(sock, peer):
                sock.close()
                return
            try:
                server = self._bootstrap()
            except Exception:
                log.exception("%s %s: making the bootstrap object failed", iolog.prefix(), self.name)
                sock.close()
                return
            conn = Connection(sock, bootstrap=server, name=f"{self.name}-{peer or 'unix'}")
        finally:
            with self._lock:
                self._admitted -= 1
                if conn is not None and not self._closed:
                    self.connections.append(conn)
                    conn = None
            if conn is not None:
                conn.close()

    def _authenticate(self, sock: socket.socket, peer) -> bool:
        sock.settimeout(AUTH_TIMEOUT)
        try:
            line = _recv_line(sock, len(AUTH_PREFIX) + 200)
            ok = line.startswith(AUTH_PREFIX) and hmac.compare_digest(
                line[len(AUTH_PREFIX):].strip(), self._secret)
            if ok:
                sock.sendall(AUTH_OK)
                sock.settimeout(None)
                return True
        except OSError:
            pass
        log.warning("%s %s: refused a connection from %r: no valid cookie", iolog.prefix(), self.name,
                    peer)
        return False

    def close(self) -> None:
        """Stop accepting, close every connection, and remove the socket file."""
        if self._closed:
            return
        self._closed = True
        shutdown(self.sock)
        self.sock.close()
        self._thread.join(5)
        with self._lock:
            admitting = list(self._admitting)
        for thread in admitting:
            thread.join(AUTH_TIMEOUT + 1)
        with self._lock:
            conns, self.connections = self.connections, []
        for conn in conns:
            conn.close()
        if self.kind == "unix":
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def listen(address: str, bootstrap: Callable[[], object], max_connections: int | None = None,
           cookie_file: str | None = None, name: str = "listener") -> Listener:
    """Accept connections on ``address``; ``bootstrap()`` makes each one's bootstrap object."""
    return Listener(address, bootstrap, max_connections, cookie_file, name)
