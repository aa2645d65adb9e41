"""One P2P connection: its socket, its buffers, its traffic counters and what we know of the peer.

The socket and buffers belong to the connection manager's network thread; the sync state
(``in_flight``, ``best_known``, ...) to the message handler thread. Fields the RPC thread
reads for ``getpeerinfo`` are plain values, read without a lock.
"""

from __future__ import annotations

import collections
import ipaddress
import socket
import threading

from ...util import time as clock
from . import protocol

#: Permissions a -whitelist entry can give (Bitcoin's NetPermissionFlags names).
PERMISSIONS = ("bloomfilter", "noban", "forcerelay", "relay", "mempool", "download", "addr")


class KnownSet:
    """A set that forgets its oldest entries beyond ``limit`` (what a peer is known to have)."""

    def __init__(self, limit: int = 50_000):
        self._items: collections.OrderedDict[bytes, None] = collections.OrderedDict()
        self._limit = limit

    def add(self, item: bytes) -> None:
        self._items[item] = None
        self._items.move_to_end(item)
        if len(self._items) > self._limit:
            self._items.popitem(last=False)

    def __contains__(self, item: bytes) -> bool:
        return item in self._items


class Peer:
    def __init__(self, peer_id: int, sock: socket.socket, host: str, port: int, inbound: bool,
                 conn_type: str, permissions: frozenset[str], bind: tuple[str, int] = ("", 0)):
        self.id = peer_id
        self.sock = sock
        self.host = host
        self.port = port
        self.inbound = inbound
        self.conn_type = conn_type  # "inbound", "manual", "outbound-full-relay"
        self.permissions = permissions
        self.bind = bind
        self.inbound_onion = False  # came in through a -bind=...=onion listener
        self.connected_at = clock.get_time()  # the node's clock: mock time moves it, as the inactivity check expects

        # network thread
        self.reader = protocol.MessageReader()
        self.send_lock = threading.Lock()
        self.send_buf = bytearray()
        self.recv_queue: collections.deque[protocol.RawMessage] = collections.deque()
        self.recv_queue_bytes = 0
        self.disconnect = False
        self.bytes_sent = 0
        self.bytes_recv = 0
        self.bytes_sent_per_msg: dict[str, int] = collections.defaultdict(int)
        self.bytes_recv_per_msg: dict[str, int] = collections.defaultdict(int)
        self.last_send = 0
        self.last_recv = 0

        # handshake
        self.our_nonce = 0
        self.version = 0
        self.services = 0
        self.subver = ""
        self.start_height = -1
        self.relay_txes = False
        self.got_version = False
        self.handshake_done = False
        self.time_offset = 0

        # ping
        self.ping_nonce = 0
        self.ping_start = 0.0
        self.ping_time: float | None = None
        self.min_ping: float | None = None
        self.ping_requested = False

        # sync and relay (message handler thread)
        self.best_known: object | None = None  # the most-work header (node) the peer is known to have
        self.synced_headers = -1
        self.synced_blocks = -1
        self.prefer_headers = False
        self.best_header_sent: object | None = None  # the last header we sent it (announced or asked for)
        self.last_unknown_block: bytes | None = None  # announced by inv before we had its header
        self.in_flight: dict[bytes, float] = {}
        self.getheaders_at = 0.0
        self.unconnecting_headers = 0
        self.known = KnownSet()
        self.tx_to_announce: list[bytes] = []
        self.announced_txs = KnownSet(3500)  # transactions we told it of: it may ask for them
        self.last_mempool_request = 0  # when we answered its mempool request (node's clock)
        self.blocks_to_announce: list[bytes] = []
        self.hash_continue: bytes | None = None
        self.getdata_backlog: list = []
        self.getaddr_answered = False
        self.wants_addrv2 = False  # it sent sendaddrv2: addresses go to it as addrv2
        self.addr_relay_enabled = False  # it takes part in address relay (asked for or sent addresses; outbound)
        self.addr_known = KnownSet(5000)  # addresses it has, as "host:port"
        self.addrs_to_send: list = []
        self.next_addr_send = 0.0
        self.getaddr_sent = False  # we asked it for addresses and the answer is not complete yet
        self.addr_token_bucket = 1.0
        self.addr_token_time = 0.0
        self.addr_rate_limited = 0
        self.misbehavior = 0
        self.last_block_time = 0
        self.last_tx_time = 0
        self.addr_processed = 0

    # -- descriptions --------------------------------------------------------------------------

    @property
    def addr(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def has_permission(self, name: str) -> bool:
        return name in self.permissions

    def is_local(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def __repr__(self) -> str:
        return f"peer={self.id} ({self.addr}{', inbound' if self.inbound else ''})"
