"""The connection manager: listening, connecting, the socket thread, bans, and the threads of the P2P network.

Threads, each owned and joined here:
- ``net``: one selector over every socket. It reads bytes, cuts them into messages
  (``protocol.MessageReader``) and queues them on their peer; it writes what others queued
  to send. It never runs validation and never takes ``cs_main``, so a peer that is slow,
  silent or flooding cannot stop it from serving the others.
- ``msghand``: ``PeerManager`` — takes one message per peer in turn and processes it,
  then does the periodic work of each peer (pings, announcements, block requests).
- ``addcon``: opens the connections of ``-connect``/``-addnode``/``addnode add``, and
  opens them again when they drop.

``self.lock`` guards the peer table, the added nodes and the bans; it is never held while
calling into validation or doing socket I/O that could block.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import selectors
import socket
import threading

from ... import chainparams
from ...util import time as clock
from ...util.args import ArgsManager
from . import protocol
from .addrman import AddrMan
from .banman import DEFAULT_BAN_TIME, BanMan, Subnet, host_in, parse_subnet
from .peer import PERMISSIONS, Peer

log = logging.getLogger("dashcore.net")

DEFAULT_MAX_CONNECTIONS = 125
DEFAULT_PEER_TIMEOUT = 60
TIMEOUT_INTERVAL = 20 * 60  # seconds without sending or receiving after which a peer is dropped
RECEIVE_FLOOD_SIZE = 5_000_000  # bytes of queued messages after which we stop reading a peer
SEND_BUFFER_SIZE = 1_000_000  # bytes queued to send after which we stop answering getdata
CONNECT_TIMEOUT = 5.0
ADDED_NODE_RETRY = 2.0


class NetError(Exception):
    """A P2P option or bind that prevents the network from starting."""


def split_host_port(value: str, default_port: int) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address."""
    value = value.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:] else default_port
    if value.count(":") == 1:
        host, port = value.split(":")
        return host, int(port)
    return value, default_port


IMPLICIT = "implicit"  # a -whitelist entry without "perms@": the legacy whitelisted peer
#: Permissions that bring others with them (Dash's flag values overlap so).
_IMPLIED = {"forcerelay": {"relay"}, "noban": {"download"}}


def parse_permissions(value: str) -> tuple[frozenset[str], str]:
    """``perm,perm@rest`` → (permissions, rest); no ``@`` gives the implicit legacy set. NetError on a bad name."""
    if "@" not in value:
        return frozenset({IMPLICIT}), value
    perms_text, rest = value.split("@", 1)
    perms: set[str] = set()
    for name in (n.strip() for n in perms_text.split(",")):
        if name == "all":
            perms.update(PERMISSIONS)
        elif name in PERMISSIONS:
            perms.add(name)
            perms.update(_IMPLIED.get(name, ()))
        elif name:
            raise NetError(f"Error: Invalid P2P permission: '{name}'")
    return frozenset(perms), rest


class Whitelist:
    """``-whitelist=[perm,perm@]<ip|subnet>``: permissions by source address."""

    def __init__(self, values: list[str]):
        self.entries = []
        for value in values:
            perms, net_text = parse_permissions(value)
            try:
                self.entries.append((parse_subnet(net_text), perms))
            except ValueError:
                raise NetError(f"Error: Invalid netmask specified in -whitelist: '{net_text}'") from None

    def permissions(self, host: str) -> frozenset[str]:
        out: set[str] = set()
        for net, perms in self.entries:
            if host_in(host, net):
                out |= perms
        return frozenset(out)


class Connman:
    def __init__(self, args: ArgsManager, user_agent: str, start_height, banlist_path: str | None = None):
        self.args = args
        self.user_agent = user_agent
        self.port = args.get_int("port", chainparams.DEFAULT_PORT)
        self.max_connections = max(args.get_int("maxconnections", DEFAULT_MAX_CONNECTIONS), 0)
        self.peer_timeout = args.get_int("peertimeout", DEFAULT_PEER_TIMEOUT)
        if self.peer_timeout <= 0:
            raise NetError("Error: peertimeout must be a positive integer.")
        if args.is_set("listen") and not args.get_bool("listen") and (args.is_set("bind") or args.is_set("whitebind")):
            raise NetError("Error: Cannot set -bind or -whitebind together with -listen=0")
        self.whitelist = Whitelist(args.get_list("whitelist"))
        self.whitelist_relay = args.get_bool("whitelistrelay", True)
        self.whitelist_force_relay = args.get_bool("whitelistforcerelay", False)
        self.whitebinds: list[tuple[str, int, frozenset[str]]] = []
        for value in args.get_list("whitebind"):
            perms, address = parse_permissions(value)
            try:
                host, port = split_host_port(address, 0)
                ipaddress.ip_address(host)
            except ValueError:
                raise NetError(f"Error: Cannot resolve -whitebind address: '{address}'") from None
            if not port:
                raise NetError(f"Error: Need to specify a port with -whitebind: '{address}'")
            self.whitebinds.append((host, port, perms))
        self.bloom_filters = args.get_bool("peerbloomfilters", True)  # Dash's default; off, filter messages drop peers
        connect = [c for c in args.get_list("connect") if c not in ("", "0")]
        self.connect_only = args.is_set("connect")  # -connect (even =0): no automatic outbound
        if args.is_set("connect") and args.get("connect") == "0":
            connect = []
        self.listen = args.get_bool("listen", not connect)
        self.lock = threading.RLock()
        self.peers: dict[int, Peer] = {}
        self.added: list[str] = list(dict.fromkeys(connect + args.get_list("addnode")))
        self.addrman = AddrMan()
        self.banman = BanMan(banlist_path, args.get_int("bantime", DEFAULT_BAN_TIME))
        self.network_active = True
        self.listen_addresses: list[tuple[str, int]] = []
        self.total_sent = 0
        self.total_recv = 0
        self.manager = None  # the PeerManager, given to start()
        self._start_height = start_height
        self._next_id = 0
        self._listeners: list[socket.socket] = []
        self._onion_listeners: set[socket.socket] = set()
        self._listener_permissions: dict[socket.socket, frozenset[str]] = {}  # -whitebind's
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stopping = threading.Event()
        self._added_wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._gone: list[Peer] = []

    # -- start and stop --------------------------------------------------------------------------

    def bind(self) -> None:
        if not self.listen:
            return
        binds = [b for b in self.args.get_list("bind") if b]
        # -bind=<addr>[:port]=onion: what comes in there is taken as coming from Tor
        targets = [(*split_host_port(b.split("=")[0], self.port), b.endswith("=onion"), frozenset()) for b in binds]
        targets += [(host, port, False, perms) for host, port, perms in self.whitebinds]
        for host, port, onion, perms in targets or [("0.0.0.0", self.port, False, frozenset())]:
            try:
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                s = socket.socket(family, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((host, port))
                s.listen(64)
                s.setblocking(False)
            except (OSError, OverflowError) as e:
                for other in self._listeners:
                    other.close()
                raise NetError(f"Error: Unable to bind to {host}:{port} on this computer. Dash Core is probably "
                               f"already running. ({e})") from None
            self._listeners.append(s)
            if onion:
                self._onion_listeners.add(s)
            self._listener_permissions[s] = perms
            self.listen_addresses.append((host, s.getsockname()[1]))
            log.info("Bound to %s:%d", host, s.getsockname()[1])

    def start(self, manager) -> None:
        self.manager = manager
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        for s in self._listeners:
            self._selector.register(s, selectors.EVENT_READ, "listen")
        for name, target in (("net", self._run_net), ("msghand", manager.run), ("addcon", self._run_added)):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()
        self._added_wake.set()
        self.wake()
        if self.manager is not None:
            self.manager.wake()
        for t in self._threads:
            t.join(10)
        with self.lock:
            peers = list(self.peers.values())
            self.peers.clear()
        for p in peers:
            self._close_socket(p)
        for s in self._listeners:
            s.close()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()
        self.banman.flush()

    def wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass

    # -- peers -------------------------------------------------------------------------------------

    def snapshot(self) -> list[Peer]:
        with self.lock:
            return list(self.peers.values())

    def find(self, peer_id: int) -> Peer | None:
        with self.lock:
            return self.peers.get(peer_id)

    def find_by_addr(self, addr: str) -> Peer | None:
        host, port = split_host_port(addr, self.port)
        with self.lock:
            for p in self.peers.values():
                if p.host == host and p.port == port:
                    return p
        return None

    def permissions(self, host: str, listener_permissions: frozenset[str] = frozenset()) -> frozenset[str]:
        """A peer's permissions: its listener's (-whitebind) and its address's (-whitelist); the legacy implicit set
        is noban, mempool, relay unless -whitelistrelay=0, and forcerelay with -whitelistforcerelay."""
        perms = set(listener_permissions | self.whitelist.permissions(host))
        if IMPLICIT in perms:
            perms.discard(IMPLICIT)
            perms.update(("noban", "download", "mempool"))
            if self.whitelist_relay:
                perms.add("relay")
            if self.whitelist_force_relay:
                perms.update(("forcerelay", "relay"))
        return frozenset(perms)

    def _add_peer(self, sock: socket.socket, host: str, port: int, inbound: bool, conn_type: str,
                  inbound_onion: bool = False, permissions: frozenset[str] | None = None) -> Peer:
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        try:
            bind = sock.getsockname()[:2]
        except OSError:
            bind = ("", 0)
        with self.lock:
            self._next_id += 1
            peer = Peer(self._next_id - 1, sock, host, port, inbound, conn_type,
                        self.permissions(host) if permissions is None else permissions, bind)
            peer.inbound_onion = inbound_onion
            self.peers[peer.id] = peer
        if inbound:
            log.debug("Added connection peer=%d", peer.id)
        else:
            log.debug("Added connection to %s peer=%d", peer.addr, peer.id)
        if not inbound:
            self.manager.initialize_outbound(peer)
        self.wake()
        return peer

    def connect(self, address: str, conn_type: str = "manual") -> Peer | None:
        """Open an outbound connection (blocking up to CONNECT_TIMEOUT); None if it failed."""
        if not self.network_active or self.stopping:
            return None
        if self.find_by_addr(address) is not None:
            return None
        try:
            host, port = split_host_port(address, self.port)
            sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
        except (OSError, ValueError) as e:
            log.debug("connection to %s failed: %s", address, e)
            return None
        if self.stopping:
            sock.close()
            return None
        peer_host, peer_port = sock.getpeername()[:2]
        return self._add_peer(sock, peer_host, peer_port, False, conn_type)

    def disconnect_peer(self, peer: Peer, reason: str = "") -> None:
        if not peer.disconnect:
            log.debug("disconnecting %r%s", peer, f": {reason}" if reason else "")
            peer.disconnect = True
            self.wake()

    def send(self, peer: Peer, msg: protocol.Message) -> None:
        self.send_raw(peer, msg.command, msg.serialize())

    def send_raw(self, peer: Peer, command: str, payload: bytes) -> None:
        if peer.disconnect:
            return
        data = protocol.frame(command, payload)
        log.debug("sending %s (%d bytes) peer=%d", command, len(payload), peer.id)
        with peer.send_lock:
            was_empty = not peer.send_buf
            peer.send_buf += data
            peer.bytes_sent_per_msg[command] += len(data)
            if was_empty:
                self._flush(peer)
            pending = bool(peer.send_buf)
        if pending:
            self.wake()

    def _flush(self, peer: Peer) -> None:
        """Write what the socket takes now (send_lock held)."""
        while peer.send_buf:
            try:
                n = peer.sock.send(peer.send_buf)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if not peer.disconnect:
                    log.debug("socket send error %r: %s", peer, e)
                peer.disconnect = True
                peer.send_buf.clear()
                return
            if n <= 0:
                return
            del peer.send_buf[:n]
            peer.bytes_sent += n
            self.total_sent += n
            peer.last_send = clock.get_time()

    def send_paused(self, peer: Peer) -> bool:
        return len(peer.send_buf) > SEND_BUFFER_SIZE

    def pop_message(self, peer: Peer) -> protocol.RawMessage | None:
        with self.lock:
            if not peer.recv_queue or peer.disconnect:
                return None
            msg = peer.recv_queue.popleft()
            was_full = peer.recv_queue_bytes > RECEIVE_FLOOD_SIZE
            peer.recv_queue_bytes -= msg.wire_size
            if was_full and peer.recv_queue_bytes <= RECEIVE_FLOOD_SIZE:
                self.wake()
            return msg

    def take_gone(self) -> list[Peer]:
        with self.lock:
            gone, self._gone = self._gone, []
            return gone

    # -- the network thread ---------------------------------------------------------------------------

    def _run_net(self) -> None:
        registered: dict[int, int] = {}  # peer id -> events
        while not self.stopping:
            for peer in self.snapshot():
                if peer.disconnect:
                    self._remove(peer, registered)
                    continue
                events = 0
                if peer.recv_queue_bytes <= RECEIVE_FLOOD_SIZE:
                    events |= selectors.EVENT_READ
                if peer.send_buf:
                    events |= selectors.EVENT_WRITE
                old = registered.get(peer.id)
                try:
                    if old is None:
                        if events:
                            self._selector.register(peer.sock, events, peer)
                            registered[peer.id] = events
                    elif events != old:
                        if events:
                            self._selector.modify(peer.sock, events, peer)
                            registered[peer.id] = events
                        else:
                            self._selector.unregister(peer.sock)
                            del registered[peer.id]
                except (OSError, ValueError, KeyError):
                    peer.disconnect = True
            try:
                ready = self._selector.select(0.5)
            except OSError:
                ready = []
            for key, mask in ready:
                if key.data == "wake":
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except OSError:
                        pass
                elif key.data == "listen":
                    self._accept(key.fileobj)
                else:
                    peer = key.data
                    if mask & selectors.EVENT_READ:
                        self._receive(peer)
                    if mask & selectors.EVENT_WRITE and not peer.disconnect:
                        with peer.send_lock:
                            self._flush(peer)
            self._check_timeouts(clock.get_time())
        for peer in self.snapshot():
            self._remove(peer, registered)

    def _remove(self, peer: Peer, registered: dict[int, int]) -> None:
        peer.disconnect = True
        if registered.pop(peer.id, None) is not None:
            try:
                self._selector.unregister(peer.sock)
            except (KeyError, ValueError, OSError):
                pass
        with self.lock:
            if self.peers.pop(peer.id, None) is None:
                return
            self._gone.append(peer)
        self._close_socket(peer)
        log.debug("disconnected %r", peer)
        if self.manager is not None:
            self.manager.wake()
        if peer.conn_type == "manual":
            self._added_wake.set()

    @staticmethod
    def _close_socket(peer: Peer) -> None:
        try:
            peer.sock.close()
        except OSError:
            pass

    def _accept(self, listener: socket.socket) -> None:
        try:
            sock, addr = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            if e.errno not in (errno.EMFILE, errno.ENFILE):
                log.debug("accept failed: %s", e)
            return
        host, port = addr[0], addr[1]
        if host.startswith("::ffff:"):
            host = host[7:]
        perms = self.permissions(host, self._listener_permissions.get(listener, frozenset()))
        if not self.network_active:
            log.debug("connection from %s dropped (not accepting new connections)", host)
            sock.close()
            return
        if "noban" not in perms and (self.banman.is_banned(host) or self.banman.is_discouraged(host)):
            log.debug("connection from %s dropped (banned)", host)
            sock.close()
            return
        with self.lock:
            full = len(self.peers) >= self.max_connections
        if full and "noban" not in perms:
            log.debug("connection from %s dropped (full)", host)
            sock.close()
            return
        self._add_peer(sock, host, port, True, "inbound", listener in self._onion_listeners, perms)

    def _receive(self, peer: Peer) -> None:
        try:
            data = peer.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            log.debug("socket recv error %r: %s", peer, e)
            self.disconnect_peer(peer)
            return
        if not data:
            log.debug("socket closed by %r", peer)
            self.disconnect_peer(peer)
            return
        peer.bytes_recv += len(data)
        self.total_recv += len(data)
        peer.last_recv = clock.get_time()
        try:
            messages = peer.reader.feed(data)
        except protocol.ProtocolError as e:
            log.info("%s, peer=%d", e, peer.id)
            peer.bytes_recv_per_msg[protocol.OTHER] += len(data)
            self.disconnect_peer(peer)
            return
        if not messages:
            return
        with self.lock:
            for m in messages:
                if not m.valid:
                    log.info("%s, peer=%d", m.error, peer.id)
                    peer.bytes_recv_per_msg[protocol.OTHER] += m.wire_size
                    continue
                key = m.command if m.command in protocol.MESSAGES else protocol.OTHER
                peer.bytes_recv_per_msg[key] += m.wire_size
                peer.recv_queue.append(m)
                peer.recv_queue_bytes += m.wire_size
        self.manager.wake()

    def _check_timeouts(self, now: int) -> None:
        for peer in self.snapshot():
            if not peer.disconnect and self._inactive(peer, now):
                self.disconnect_peer(peer, "inactive")

    def inactivity_checks_due(self, peer: Peer, now: int) -> bool:
        """Whether -peertimeout has passed since the peer connected (node's clock): only then are peers dropped for
        silence or an unanswered ping (the functional tests set it huge, so that jumps in mock time drop no one)."""
        return peer.connected_at + self.peer_timeout < now

    def _inactive(self, peer: Peer, now: int) -> bool:
        """Dash's inactivity check, on the node's (mock) clock."""
        if not self.inactivity_checks_due(peer, now):
            return False
        if not peer.last_recv or not peer.last_send:
            log.debug("socket no message in first %d seconds, %d %d peer=%d", self.peer_timeout,
                      peer.last_recv != 0, peer.last_send != 0, peer.id)
            return True
        if now > peer.last_send + TIMEOUT_INTERVAL:
            log.debug("socket sending timeout: %ds peer=%d", now - peer.last_send, peer.id)
            return True
        if now > peer.last_recv + TIMEOUT_INTERVAL:
            log.debug("socket receive timeout: %ds peer=%d", now - peer.last_recv, peer.id)
            return True
        if not peer.handshake_done:
            log.debug("version handshake timeout peer=%d", peer.id)
            return True
        return False

    # -- added nodes ------------------------------------------------------------------------------------

    def _run_added(self) -> None:
        while not self.stopping:
            with self.lock:
                wanted = list(self.added)
            for address in wanted:
                if self.stopping:
                    return
                if self.network_active and self.find_by_addr(address) is None:
                    self.connect(address, "manual")
            self._added_wake.wait(ADDED_NODE_RETRY)
            self._added_wake.clear()

    def add_node(self, address: str) -> bool:
        with self.lock:
            if address in self.added:
                return False
            self.added.append(address)
        self._added_wake.set()
        return True

    def remove_added_node(self, address: str) -> bool:
        with self.lock:
            if address not in self.added:
                return False
            self.added.remove(address)
            return True

    def set_network_active(self, active: bool) -> None:
        self.network_active = active
        if not active:
            for p in self.snapshot():
                self.disconnect_peer(p, "network disabled")
        else:
            self._added_wake.set()
        log.info("SetNetworkActive: %s", active)

    # -- bans -------------------------------------------------------------------------------------------

    def ban(self, net: Subnet, bantime: int = 0, absolute: bool = False) -> None:
        """Ban a subnet (for bantime seconds, until bantime if absolute, or the default day) and drop its peers."""
        self.banman.ban(net, bantime, absolute)
        for p in self.snapshot():
            if host_in(p.host, net) and not p.has_permission("noban"):
                self.disconnect_peer(p, "banned")

    def discourage(self, host: str) -> None:
        self.banman.discourage(host)


def local_nonce() -> int:
    return int.from_bytes(os.urandom(8), "little")
