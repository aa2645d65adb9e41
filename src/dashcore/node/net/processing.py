"""PeerManager: what each P2P message means to the node — handshake, pings, headers-first sync, relay, orphans.

Everything here runs on the ``msghand`` thread (its ``run``), except the two entry points
the validation signals call (``_Notifications``), which only queue work and wake it. Block
and transaction validation is done by the chain state under its own ``cs_main``; no
network lock is held meanwhile, so the socket thread keeps serving every peer.

Headers go first: headers from peers form a tree beside the chain state's block index
(``HeaderNode``), blocks are requested along the peer's most-work header chain (at most
``MAX_BLOCKS_IN_FLIGHT_PER_PEER`` at once) and handed to the chain state in order, which
reorganises to the most-work chain on its own.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import threading
import time

from ... import chainparams
from ...crypto.hashes import hash_to_hex, sha256d
from ...interfaces import ChainNotifications
from ...primitives.block import Block, BlockHeader, hash_meets_target, work_of
from ...primitives.transaction import Transaction
from ...util import time as clock
from ..validation import Chainstate, ValidationError
from . import protocol as p
from .addrman import is_routable
from .peer import KnownSet, Peer

log = logging.getLogger("dashcore.net")

PING_INTERVAL = 120.0
PING_TIMEOUT = 20 * 60.0


def _addr_key(a: p.TimedAddress) -> bytes:
    return f"{a.address.host}:{a.address.port}".encode()


def mockable_now() -> float:
    """Seconds since the epoch on the node's clock: the mock time when one is set (pings are timed by it)."""
    mock = clock.get_mock_time()
    return float(mock) if mock else time.time()


MAX_BLOCKS_IN_FLIGHT_PER_PEER = 16
BLOCK_DOWNLOAD_WINDOW = 1024
BLOCK_STALL_TIMEOUT = 4.0  # a block requested this long ago, with nothing else queued from the peer
TX_REQUEST_TIMEOUT = 5.0  # then ask another peer that announced it
MAX_ORPHANS = 100
MAX_ORPHAN_SIZE = 100_000
ORPHAN_EXPIRE = 20 * 60.0
MAX_PENDING_BLOCKS = 64
MAX_UNCONNECTING_HEADERS = 10
MAX_BLOCKS_TO_ANNOUNCE = 8
UNCONDITIONAL_RELAY_DELAY = 2 * 60  # a transaction this long in the mempool may be asked for unannounced
MAX_PCT_ADDR_TO_SEND = 23  # a getaddr answer holds at most this share of the addresses known
AVG_ADDRESS_BROADCAST_INTERVAL = 30.0
MAX_ADDR_RATE_PER_SECOND = 0.1
MAX_ADDR_PROCESSING_TOKEN_BUCKET = 1000
STALE_RELAY_AGE_LIMIT = 30 * 24 * 60 * 60  # a block off the main chain older than this (or this much work behind)
POW_TARGET_SPACING = 150  # Dash's 2.5 minutes, by which work is turned into time
SENDHEADERS_VERSION = 70012

#: Reasons a transaction is invalid by consensus (Bitcoin's TX_CONSENSUS): its sender is punished.
PUNISHED_TX_REASONS = {"bad-txns-vin-empty", "bad-txns-vout-empty", "bad-txns-oversize", "bad-txns-vout-negative",
                       "bad-txns-vout-toolarge", "bad-txns-txouttotal-toolarge", "bad-txns-inputs-duplicate",
                       "bad-cb-length", "bad-txns-prevout-null", "coinbase", "bad-txns-in-belowout"}
#: Block rejections that are not the sender's fault.
UNPUNISHED_BLOCK_REASONS = {"time-too-new", "prev-blk-not-found"}
#: Bloom filter messages (BIP37): not implemented, so ignored, but with -peerbloomfilters=0 they cost the peer.
BLOOM_COMMANDS = {"filterload", "filteradd", "filterclear"}
#: A mutated block (Bitcoin's BLOCK_MUTATED) says nothing of its header: the real block has the same hash.
MUTATED_BLOCK_REASONS = {"bad-txnmrklroot", "bad-txns-duplicate"}


class HeaderNode:
    """A header we know without (yet) its block; shaped like the chain state's BlockIndex."""

    __slots__ = ("hash", "header", "prev", "height", "chain_work", "failed")

    def __init__(self, header: BlockHeader, prev):
        self.hash = header.hash
        self.header = header
        self.prev = prev
        self.height = prev.height + 1
        self.chain_work = prev.chain_work + work_of(header.bits)
        self.failed = False

    @property
    def time(self) -> int:
        return self.header.time

    def median_time_past(self) -> int:
        times, n = [], self
        while n is not None and len(times) < 11:
            times.append(n.header.time)
            n = n.prev
        return sorted(times)[len(times) // 2]


class _Notifications(ChainNotifications):
    """Validation events in: queue the relay work for the message handler."""

    def __init__(self, manager: "PeerManager"):
        self._m = manager

    def transaction_added_to_mempool(self, tx: bytes) -> None:
        self._m.queue_tx_relay(sha256d(tx))

    def transaction_removed_from_mempool(self, tx: bytes, reason: str) -> None:
        pass

    def block_connected(self, block) -> None:
        pass

    def block_disconnected(self, block) -> None:
        pass

    def updated_block_tip(self) -> None:
        self._m.queue_tip_changed()

    def chain_state_flushed(self, locator: list[bytes]) -> None:
        pass


class PeerManager:
    def __init__(self, connman, chainstate: Chainstate, signals):
        self.connman = connman
        self.cs = chainstate
        self._cond = threading.Condition()
        self._woken = False
        self._relay_txids: list[bytes] = []
        self._tip_changed = False
        self.headers: dict[bytes, HeaderNode] = {}
        self.best_header = None
        self.in_flight: dict[bytes, int] = {}  # block hash -> peer id
        self.pending: dict[bytes, tuple[Block, int]] = {}  # blocks whose parent we do not have yet
        self.tx_requested: dict[bytes, tuple[float, int, list[int]]] = {}  # txid -> (when, asked, other announcers)
        self.rejected: set[bytes] = set()
        self.orphans: dict[bytes, tuple[Transaction, int, float]] = {}
        self.orphans_by_prev: dict[bytes, set[bytes]] = {}
        self.announced = KnownSet(1000)
        self.nonces: set[int] = set()
        self._download_due = True
        self._last_periodic = 0.0
        self._relay_key = os.urandom(16)  # which peers relay an address: ours alone to know
        self._handler = signals.register(_Notifications(self))

    def close(self) -> None:
        self._handler.disconnect()

    # -- the thread --------------------------------------------------------------------------------

    def wake(self) -> None:
        with self._cond:
            self._woken = True
            self._cond.notify()

    def queue_tx_relay(self, txid: bytes) -> None:
        with self._cond:
            self._relay_txids.append(txid)
        self.wake()

    def queue_tip_changed(self) -> None:
        with self._cond:
            self._tip_changed = True
        self.wake()

    def run(self) -> None:
        while not self.connman.stopping:
            try:
                busy = self._step()
            except Exception:  # noqa: BLE001 - one bad step must not end the message handler
                log.exception("message handler")
                busy = False
            if not busy:
                with self._cond:
                    if not self._woken:
                        self._cond.wait(0.1)
                    self._woken = False
        self.close()

    def _step(self) -> bool:
        for peer in self.connman.take_gone():
            self._finalize(peer)
        self._apply_notifications()
        busy = False
        for peer in self.connman.snapshot():
            if peer.disconnect:
                continue
            # a peer that does not read what we send gets nothing more processed until it does
            paused = self.connman.send_paused(peer) or peer.getdata_backlog
            msg = None if paused else self.connman.pop_message(peer)
            if msg is not None:
                self._process(peer, msg)
                busy = busy or bool(peer.recv_queue)
            if not peer.disconnect:
                self._send_messages(peer, time.monotonic())
        now = time.monotonic()
        if now - self._last_periodic >= 0.5:
            self._last_periodic = now
            self._periodic(now)
        if self._download_due:
            self._download_due = False
            for peer in self.connman.snapshot():
                self._request_blocks(peer)
        return busy

    # -- helpers ------------------------------------------------------------------------------------

    def send(self, peer: Peer, msg: p.Message) -> None:
        self.connman.send(peer, msg)

    def misbehaving(self, peer: Peer, score: int, reason: str) -> None:
        before = peer.misbehavior
        peer.misbehavior += score
        log.info("Misbehaving: peer=%d (%d -> %d) reason: %s", peer.id, before, peer.misbehavior, reason)
        if peer.misbehavior < 100:
            return
        if peer.has_permission("noban"):
            log.info("Warning: not punishing noban peer %d!", peer.id)
        elif peer.conn_type == "manual":
            log.info("Warning: not punishing manually connected peer %d!", peer.id)
        else:
            self.connman.disconnect_peer(peer, reason)
            if not peer.is_local():
                self.connman.discourage(peer.host)

    def _lookup(self, block_hash: bytes):
        return self.cs.index.get(block_hash) or self.headers.get(block_hash)

    def _is_invalid(self, node) -> bool:
        idx = self.cs.index.get(node.hash)
        if idx is not None:
            return idx.failed or idx.failed_child
        n = node
        while isinstance(n, HeaderNode):
            if n.failed:
                return True
            n = n.prev
        return n is not None and (n.failed or n.failed_child)

    def _best_header(self):
        tip = self.cs.tip
        best = self.best_header
        if best is None or best.chain_work <= tip.chain_work or self._is_invalid(best):
            return tip
        return best

    @staticmethod
    def _locator(node) -> list[bytes]:
        """Hashes back from ``node``: ten one by one, then at doubling steps, and the genesis block last."""
        hashes, step, n = [], 1, node
        while n is not None:
            hashes.append(n.hash)
            if n.prev is None:
                break
            if len(hashes) >= 10:
                step *= 2
            for _ in range(step):
                if n.prev is None:
                    break
                n = n.prev
        return hashes

    def _process_block_availability(self, peer: Peer) -> None:
        """A block the peer announced before we had its header: now that we may have it, it is the peer's."""
        if peer.last_unknown_block is not None:
            node = self._lookup(peer.last_unknown_block)
            if node is not None:
                self._update_best_known(peer, node)
                peer.last_unknown_block = None

    def _update_best_known(self, peer: Peer, node) -> None:
        peer.known.add(node.hash)
        if peer.best_known is None or node.chain_work >= peer.best_known.chain_work:  # the latest of equals
            peer.best_known = node
            peer.synced_headers = node.height
            self._download_due = True

    def _send_getheaders(self, peer: Peer, stop: bytes = b"\0" * 32, back_one: bool = False) -> None:
        with self.cs.cs_main:
            start = self._best_header()
            if back_one and start.prev is not None:
                start = start.prev  # so that the answer has at least one header: the peer's best becomes known
            locator = self._locator(start)
        peer.getheaders_at = time.monotonic()
        self.send(peer, p.GetHeaders(locator, stop))

    def _find_fork(self, locator: list[bytes]):
        """The block of our active chain where a locator's chain leaves it (cs_main held)."""
        for h in locator:
            idx = self.cs.index.get(h)
            if idx is not None:
                while not self.cs.in_active_chain(idx):
                    idx = idx.prev
                return idx
        return self.cs.active[0]

    # -- messages ------------------------------------------------------------------------------------

    def _process(self, peer: Peer, raw: p.RawMessage) -> None:
        if raw.command in BLOOM_COMMANDS and peer.handshake_done and not self.connman.bloom_filters:
            # we offer no bloom services then: Dash drops a peer that uses them anyway
            log.debug("%s received despite not offering bloom services from peer=%d; disconnecting", raw.command,
                      peer.id)
            self.connman.disconnect_peer(peer, "bloom filter message")
            return
        if raw.command == "pong" and peer.handshake_done:
            log.debug("received: pong (%d bytes) peer=%d", len(raw.payload), peer.id)
            self._on_pong_payload(peer, raw.payload)
            return
        try:
            msg = p.decode(raw)
        except p.OversizedList as e:
            self.misbehaving(peer, 20, f"{e.what} message size = {e.count}")
            return
        except p.MessageError as e:
            log.info("malformed message from peer=%d: %s", peer.id, e)
            self.misbehaving(peer, 20, f"malformed {raw.command}")
            return
        if msg is None:
            log.debug("ignoring unknown message %r from peer=%d", raw.command, peer.id)
            return
        log.debug("received: %s (%d bytes) peer=%d", raw.command, len(raw.payload), peer.id)
        if msg.command == "version":
            self._on_version(peer, msg)
            return
        if not peer.got_version:
            log.debug('non-version message before version handshake. Message "%s" from peer=%d', msg.command, peer.id)
            return
        if msg.command == "verack":
            self._on_verack(peer)
            return
        if msg.command == "sendaddrv2":
            self._on_sendaddrv2(peer)
            return
        if not peer.handshake_done:
            log.debug('Unsupported message "%s" prior to verack from peer=%d', msg.command, peer.id)
            return
        handler = getattr(self, "_on_" + msg.command, None)
        if handler is not None:
            try:
                handler(peer, msg)
            except Exception:  # noqa: BLE001 - a bug processing one message must not end the thread
                log.exception("processing %s from peer=%d", msg.command, peer.id)

    def initialize_outbound(self, peer: Peer) -> None:
        """Called on an outbound connection: we speak first."""
        self._send_version(peer)

    def _send_version(self, peer: Peer) -> None:
        nonce = int.from_bytes(os.urandom(8), "little") or 1
        peer.our_nonce = nonce
        self.nonces.add(nonce)
        with self.cs.cs_main:
            height = self.cs.height()
        try:
            addr_recv = p.NetAddress(peer.services, peer.host, peer.port)
            addr_recv.serialize()
        except ValueError:
            addr_recv = p.NetAddress()
        self.send(peer, p.Version(p.PROTOCOL_VERSION, p.LOCAL_SERVICES, clock.get_time(), addr_recv,
                                  p.NetAddress(p.LOCAL_SERVICES), nonce, self.connman.user_agent, height, True,
                                  os.urandom(32), False))

    def _on_version(self, peer: Peer, msg: p.Version) -> None:
        if peer.got_version:
            log.debug("redundant version message from peer=%d", peer.id)
            return
        if peer.inbound and msg.nonce in self.nonces:
            log.info("connected to self at %s, disconnecting", peer.addr)
            self.connman.disconnect_peer(peer, "self connection")
            return
        if msg.version < p.MIN_PEER_PROTO_VERSION:
            log.info("peer=%d using obsolete version %d; disconnecting", peer.id, msg.version)
            self.connman.disconnect_peer(peer, "obsolete version")
            return
        peer.version = msg.version
        peer.services = msg.services
        peer.subver = "".join(c if c.isprintable() else "?" for c in msg.user_agent)
        peer.start_height = msg.start_height
        peer.relay_txes = msg.relay
        peer.time_offset = msg.time - clock.get_time()
        peer.addr_token_time = mockable_now()
        peer.got_version = True
        if peer.inbound:
            self._send_version(peer)
        if min(peer.version, p.PROTOCOL_VERSION) >= p.ADDRV2_PROTO_VERSION:
            self.send(peer, p.SendAddrV2())  # BIP155, between version and verack
        self.send(peer, p.Verack())
        if not peer.inbound:
            peer.addr_relay_enabled = True
            peer.getaddr_sent = True
            peer.addr_token_bucket += p.MAX_ADDR_TO_SEND  # the answer may be as long as that
            self.send(peer, p.GetAddr())

    def _on_verack(self, peer: Peer) -> None:
        if peer.handshake_done:
            return
        peer.handshake_done = True
        log.info("New %s peer connected: version: %d, blocks=%d, peer=%d",
                 "inbound" if peer.inbound else peer.conn_type, peer.version, peer.start_height, peer.id)
        if peer.version >= SENDHEADERS_VERSION:
            self.send(peer, p.SendHeaders())
        self._send_getheaders(peer, back_one=True)

    def _on_sendaddrv2(self, peer: Peer) -> None:
        if min(peer.version, p.PROTOCOL_VERSION) < p.ADDRV2_PROTO_VERSION:
            return
        if peer.handshake_done:
            log.debug("sendaddrv2 received after verack from peer=%d; disconnecting", peer.id)
            self.connman.disconnect_peer(peer, "sendaddrv2 after verack")
            return
        peer.wants_addrv2 = True

    def _on_ping(self, peer: Peer, msg: p.Ping) -> None:
        self.send(peer, p.Pong(msg.nonce))

    def _on_pong_payload(self, peer: Peer, payload: bytes) -> None:
        """A pong: our ping's round trip, or one of the problems Dash logs (a short one cancels the ping)."""
        expected, nonce, problem, finished = peer.ping_nonce, 0, "", False
        if len(payload) >= 8:
            nonce = int.from_bytes(payload[:8], "little")
            if expected:
                if nonce == expected:
                    finished = True
                    rtt = mockable_now() - peer.ping_start
                    if rtt >= 0:
                        peer.ping_time = rtt
                        peer.min_ping = rtt if peer.min_ping is None else min(peer.min_ping, rtt)
                    else:
                        problem = "Timing mishap"
                elif nonce == 0:
                    finished, problem = True, "Nonce zero"
                else:
                    problem = "Nonce mismatch"
            else:
                problem = "Unsolicited pong without ping"
        else:
            finished, problem = True, "Short payload"
        if problem:
            log.debug("pong peer=%d: %s, %x expected, %x received, %d bytes", peer.id, problem, expected, nonce,
                      len(payload))
        if finished:
            peer.ping_nonce = 0

    def _on_getaddr(self, peer: Peer, msg) -> None:
        if not peer.inbound:
            log.debug('Ignoring "getaddr" from %s connection. peer=%d', peer.conn_type, peer.id)
            return
        if peer.getaddr_answered:
            log.debug('Ignoring repeated "getaddr". peer=%d', peer.id)
            return
        peer.getaddr_answered = True
        peer.addr_relay_enabled = True
        banman = self.connman.banman
        exclude = lambda host: banman.is_banned(host) or banman.is_discouraged(host)  # noqa: E731
        now = clock.get_time()
        if peer.has_permission("addr"):
            addrs = self.connman.addrman.get_addresses(now, p.MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND, exclude=exclude)
        else:  # the same answer to everyone who asks through this socket for a day, as Dash
            addrs = self.connman.addrman.cached_response((peer.inbound_onion, peer.bind), now, p.MAX_ADDR_TO_SEND,
                                                         MAX_PCT_ADDR_TO_SEND, exclude)
        if addrs:
            for a in addrs:
                peer.addr_known.add(_addr_key(a))
            self.send(peer, p.AddrV2(addrs) if peer.wants_addrv2 else p.Addr(addrs))

    def _on_addr(self, peer: Peer, msg: p.Addr) -> None:
        """Store what is new and relay fresh ones (of a short message, not a getaddr answer) on to a peer or two;
        without the addr permission a peer may send one address per ten seconds (Dash's token bucket)."""
        peer.addr_relay_enabled = True
        now = clock.get_time()
        rate_limited = not peer.has_permission("addr")
        if peer.addr_token_bucket < MAX_ADDR_PROCESSING_TOKEN_BUCKET:
            elapsed = max(0.0, mockable_now() - peer.addr_token_time)
            peer.addr_token_bucket = min(peer.addr_token_bucket + elapsed * MAX_ADDR_RATE_PER_SECOND,
                                         MAX_ADDR_PROCESSING_TOKEN_BUCKET)
        peer.addr_token_time = mockable_now()
        banman = self.connman.banman
        keep, processed, limited = [], 0, 0
        for a in msg.addresses:
            if peer.addr_token_bucket < 1.0:
                if rate_limited:
                    limited += 1
                    continue
            else:
                peer.addr_token_bucket -= 1.0
            if not a.address.services & (p.NODE_NETWORK | p.NODE_NETWORK_LIMITED):
                continue
            if a.time <= 100_000_000 or a.time > now + 10 * 60:
                a = p.TimedAddress(now - 5 * 24 * 60 * 60, a.address)
            peer.addr_known.add(_addr_key(a))
            if banman.is_banned(a.address.host) or banman.is_discouraged(a.address.host):
                continue
            processed += 1
            if a.time > now - 10 * 60 and not peer.getaddr_sent and len(msg.addresses) <= 10 \
                    and (not p.is_ip(a.address.host) or is_routable(a.address.host)):
                self._relay_address(peer, a)
            keep.append(a)
        peer.addr_processed += processed
        peer.addr_rate_limited += limited
        self.connman.addrman.add(a for a in keep if p.is_ip(a.address.host))
        if len(msg.addresses) < p.MAX_ADDR_TO_SEND:
            peer.getaddr_sent = False  # the answer to our getaddr, if any, is complete

    def _relay_address(self, source: Peer, a: p.TimedAddress) -> None:
        """To two peers (one or two for networks we do not reach), the same ones for a day (Dash's RelayAddress)."""
        reachable = p.is_ip(a.address.host)
        day = clock.get_time() // (24 * 60 * 60)
        seed = hashlib.blake2b(f"{a.address.host}:{a.address.port}:{day}".encode(), key=self._relay_key).digest()
        count = 2 if reachable or seed[0] & 1 else 1
        ranked = sorted((hashlib.blake2b(seed + q.id.to_bytes(8, "little")).digest(), q.id, q)
                        for q in self.connman.snapshot()
                        if q.addr_relay_enabled and q is not source and not q.disconnect
                        and (q.wants_addrv2 or p.is_ip(a.address.host)))
        for _, _, target in ranked[-count:]:
            self._push_address(target, a)

    @staticmethod
    def _push_address(peer: Peer, a: p.TimedAddress) -> None:
        if _addr_key(a) in peer.addr_known:
            return
        if len(peer.addrs_to_send) >= p.MAX_ADDR_TO_SEND:
            peer.addrs_to_send[random.randrange(len(peer.addrs_to_send))] = a
        else:
            peer.addrs_to_send.append(a)

    def _maybe_send_addr(self, peer: Peer, now: float) -> None:
        """Queued addresses go out at random intervals of 30 s on average (node's clock), as Dash's MaybeSendAddr."""
        if not peer.addr_relay_enabled or now <= peer.next_addr_send:
            return
        peer.next_addr_send = now + random.expovariate(1 / AVG_ADDRESS_BROADCAST_INTERVAL)
        queued, peer.addrs_to_send = peer.addrs_to_send, []
        fresh = [a for a in queued if _addr_key(a) not in peer.addr_known
                 and (peer.wants_addrv2 or p.is_ip(a.address.host))]
        if not fresh:
            return
        for a in fresh:
            peer.addr_known.add(_addr_key(a))
        self.send(peer, p.AddrV2(fresh) if peer.wants_addrv2 else p.Addr(fresh))

    _on_addrv2 = _on_addr

    def _on_sendheaders(self, peer: Peer, msg) -> None:
        peer.prefer_headers = True

    def _on_inv(self, peer: Peer, msg: p.InvMessage) -> None:
        unknown_block = None
        wanted = []
        now = time.monotonic()
        for item in msg.items:
            peer.known.add(item.hash)
            if item.type == p.MSG_BLOCK:
                node = self._lookup(item.hash)
                if node is not None:
                    self._update_best_known(peer, node)
                else:
                    unknown_block = peer.last_unknown_block = item.hash
            elif item.type == p.MSG_TX:
                if self._have_tx(item.hash):
                    continue
                asked = self.tx_requested.get(item.hash)
                if asked is not None:
                    if peer.id not in asked[2] and peer.id != asked[1]:
                        asked[2].append(peer.id)
                    continue
                self.tx_requested[item.hash] = (now, peer.id, [])
                wanted.append(p.Inv(p.MSG_TX, item.hash))
        if unknown_block is not None:
            self._send_getheaders(peer, unknown_block)
        if wanted:
            self.send(peer, p.GetData(wanted))

    def _on_getdata(self, peer: Peer, msg: p.GetData) -> None:
        notfound = []
        for n, item in enumerate(msg.items):
            if peer.disconnect:
                return
            if self.connman.send_paused(peer):
                peer.getdata_backlog = msg.items[n:]  # answered once the peer has read what is queued
                break
            if item.type == p.MSG_BLOCK:
                with self.cs.cs_main:
                    idx = self.cs.index.get(item.hash)
                    data = None
                    if idx is not None and not (idx.failed or idx.failed_child):
                        if self._block_request_allowed(idx):
                            data = self.cs.read_block_bytes(idx)
                        else:
                            log.debug("ProcessGetBlockData: ignoring request from peer=%d for old block that isn't in "
                                      "the main chain", peer.id)
                    tip_hash = self.cs.tip.hash
                if data is None:
                    continue
                self.connman.send_raw(peer, "block", data)
                peer.known.add(item.hash)
                if peer.hash_continue == item.hash:
                    self.send(peer, p.InvMessage([p.Inv(p.MSG_BLOCK, tip_hash)]))
                    peer.hash_continue = None
            elif item.type == p.MSG_TX:
                with self.cs.cs_main:
                    entry = self.cs.mempool.entries.get(item.hash)
                if entry is not None and not self._tx_request_allowed(peer, entry):
                    entry = None
                if entry is None:
                    notfound.append(item)
                else:
                    self.connman.send_raw(peer, "tx", entry.tx.serialize())
                    peer.known.add(item.hash)
            else:
                notfound.append(item)
        if notfound:
            self.send(peer, p.NotFound(notfound))

    @staticmethod
    def _tx_request_allowed(peer: Peer, entry) -> bool:
        """A transaction is given only to a peer we announced it to, or once it has been in the mempool a while (or
        before the peer's last mempool request): else asking would tell when it reached us (Dash's FindTxForGetData)."""
        if peer.last_mempool_request and entry.time <= peer.last_mempool_request:
            return True
        return entry.time <= clock.get_time() - UNCONDITIONAL_RELAY_DELAY or entry.tx.txid in peer.announced_txs

    def _on_notfound(self, peer: Peer, msg: p.NotFound) -> None:
        for item in msg.items:
            if item.type == p.MSG_TX:
                asked = self.tx_requested.get(item.hash)
                if asked is not None and asked[1] == peer.id:
                    self._retry_tx_request(item.hash)
            elif item.type == p.MSG_BLOCK and self.in_flight.get(item.hash) == peer.id:
                self._release_block(item.hash)

    def _block_request_allowed(self, idx) -> bool:
        """Whether a block (or header) may be served (cs_main held): the main chain always; a block off it only when
        it was valid and is recent in time and in work, so that stale blocks do not fingerprint the node."""
        if self.cs.in_active_chain(idx):
            return True
        best = self._best_header()
        if not idx.validated or best.time - idx.time >= STALE_RELAY_AGE_LIMIT:
            return False
        proof = work_of(best.header.bits)
        return proof > 0 and (best.chain_work - idx.chain_work) * POW_TARGET_SPACING // proof < STALE_RELAY_AGE_LIMIT

    def _locator_too_long(self, peer: Peer, msg: p.GetHeaders) -> bool:
        if len(msg.locator) <= p.MAX_LOCATOR_SIZE:
            return False
        log.debug("%s locator size %d > %d, disconnect peer=%d", msg.command, len(msg.locator), p.MAX_LOCATOR_SIZE,
                  peer.id)
        self.connman.disconnect_peer(peer, "locator too long")
        return True

    def _on_getheaders(self, peer: Peer, msg: p.GetHeaders) -> None:
        if self._locator_too_long(peer, msg):
            return
        with self.cs.cs_main:
            if self.cs.is_initial_block_download() and not peer.has_permission("download"):
                log.debug("ignoring getheaders from peer=%d because node is in initial block download", peer.id)
                return
            if not msg.locator:
                idx = self.cs.index.get(msg.hash_stop)
                if idx is None:
                    return
                if not self._block_request_allowed(idx):
                    log.debug("ProcessMessage: ignoring request from peer=%d for old block header that isn't in the "
                              "main chain", peer.id)
                    return
                found = [idx]
            else:
                fork = self._find_fork(msg.locator)
                found = []
                for idx in self.cs.active[fork.height + 1:fork.height + 1 + p.MAX_HEADERS_RESULTS]:
                    found.append(idx)
                    if idx.hash == msg.hash_stop:
                        break
            peer.best_header_sent = found[-1] if found else self.cs.tip
        self.send(peer, p.Headers([idx.header for idx in found]))

    def _on_getblocks(self, peer: Peer, msg: p.GetBlocks) -> None:
        if self._locator_too_long(peer, msg):
            return
        with self.cs.cs_main:
            fork = self._find_fork(msg.locator)
            items = []
            for idx in self.cs.active[fork.height + 1:]:
                if idx.hash == msg.hash_stop:
                    break
                items.append(p.Inv(p.MSG_BLOCK, idx.hash))
                if len(items) >= p.MAX_GETBLOCKS_RESULTS:
                    peer.hash_continue = idx.hash
                    break
        if items:
            self.send(peer, p.InvMessage(items))

    def _on_mempool(self, peer: Peer, msg) -> None:
        if not self.connman.bloom_filters and not peer.has_permission("mempool"):
            if not peer.has_permission("noban"):
                log.debug("mempool request with bloom filters disabled, disconnect peer=%d", peer.id)
                self.connman.disconnect_peer(peer, "mempool request")
            return
        with self.cs.cs_main:
            txids = list(self.cs.mempool.entries)
        peer.last_mempool_request = clock.get_time()
        for i in range(0, len(txids), p.MAX_INV_SIZE):
            chunk = txids[i:i + p.MAX_INV_SIZE]
            self.send(peer, p.InvMessage([p.Inv(p.MSG_TX, t) for t in chunk]))
            for t in chunk:
                peer.known.add(t)
                peer.announced_txs.add(t)

    # -- headers and blocks ------------------------------------------------------------------------------

    def _accept_header(self, peer: Peer, header: BlockHeader, prev):
        """The node of a header whose parent is known (added if new); None if it is invalid."""
        node = self._lookup(header.hash)
        if node is not None:
            if self._is_invalid(node):
                self.misbehaving(peer, 100, "duplicate-invalid header")
                return None
            return node
        if self._is_invalid(prev):
            self.misbehaving(peer, 100, "bad-prevblk")
            return None
        if header.bits != chainparams.POW_LIMIT_BITS:
            self.misbehaving(peer, 100, "bad-diffbits")
            return None
        if not hash_meets_target(header.hash, header.bits):
            self.misbehaving(peer, 100, "high-hash")
            return None
        if header.time <= prev.median_time_past():
            self.misbehaving(peer, 100, "time-too-old")
            return None
        if header.time > clock.get_time() + chainparams.MAX_FUTURE_BLOCK_TIME:
            log.debug("AcceptBlockHeader: Consensus::ContextualCheckBlockHeader: %s, time-too-new, block timestamp too "
                      "far in the future %d %d (peer=%d)", header.hash_hex, header.time,
                      clock.get_time() + chainparams.MAX_FUTURE_BLOCK_TIME, peer.id)
            return None
        node = HeaderNode(header, prev)
        self.headers[node.hash] = node
        if self.best_header is None or node.chain_work > self.best_header.chain_work:
            self.best_header = node
        return node

    def _on_headers(self, peer: Peer, msg: p.Headers) -> None:
        headers = msg.headers
        if not headers:
            return
        for a, b in zip(headers, headers[1:]):
            if b.prev_hash != a.hash:
                self.misbehaving(peer, 20, "non-continuous headers sequence")
                return
        prev = self._lookup(headers[0].prev_hash)
        if prev is None:
            peer.unconnecting_headers += 1
            self._send_getheaders(peer)
            if peer.unconnecting_headers % MAX_UNCONNECTING_HEADERS == 0:
                self.misbehaving(peer, 20, f"{peer.unconnecting_headers} non-connecting headers")
            return
        peer.unconnecting_headers = 0
        with self.cs.cs_main:
            for h in headers:
                node = self._accept_header(peer, h, prev)
                if node is None:
                    return
                prev = node
        self._update_best_known(peer, prev)
        if len(headers) == p.MAX_HEADERS_RESULTS:
            with self.cs.cs_main:
                locator = self._locator(prev)
            self.send(peer, p.GetHeaders(locator))
        self._request_blocks(peer)

    def _request_blocks(self, peer: Peer) -> None:
        self._process_block_availability(peer)
        if not peer.handshake_done or peer.disconnect or peer.best_known is None:
            return
        if len(peer.in_flight) >= MAX_BLOCKS_IN_FLIGHT_PER_PEER:
            return
        with self.cs.cs_main:
            best = peer.best_known
            tip = self.cs.tip
            path = []
            n = best
            while n is not None:
                idx = self.cs.index.get(n.hash)
                if idx is not None and self.cs.in_active_chain(idx):
                    break
                path.append(n)
                n = n.prev
            peer.synced_blocks = n.height if n is not None else -1
            if best.chain_work < tip.chain_work:
                return
            path.reverse()
            want = []
            now = time.monotonic()
            for n in path[:BLOCK_DOWNLOAD_WINDOW]:
                if self._is_invalid(n):
                    break
                if n.hash in self.cs.index or n.hash in self.pending or n.hash in self.in_flight:
                    continue
                want.append(n.hash)
                if len(peer.in_flight) + len(want) >= MAX_BLOCKS_IN_FLIGHT_PER_PEER:
                    break
        if want:
            for h in want:
                self.in_flight[h] = peer.id
                peer.in_flight[h] = now
            log.debug("requesting %d block(s) from peer=%d, first %s", len(want), peer.id, hash_to_hex(want[0]))
            self.send(peer, p.GetData([p.Inv(p.MSG_BLOCK, h) for h in want]))

    def _release_block(self, block_hash: bytes) -> None:
        owner = self.in_flight.pop(block_hash, None)
        if owner is not None:
            peer = self.connman.find(owner)
            if peer is not None:
                peer.in_flight.pop(block_hash, None)
        self._download_due = True

    def _on_block(self, peer: Peer, msg: p.BlockMessage) -> None:
        block = msg.block
        h = block.hash
        peer.known.add(h)
        self._release_block(h)
        peer.in_flight.pop(h, None)
        prev = self._lookup(block.header.prev_hash)
        if prev is None:
            log.debug("block %s from peer=%d does not connect; asking for headers", block.header.hash_hex, peer.id)
            self._send_getheaders(peer)
            return
        with self.cs.cs_main:
            node = self._accept_header(peer, block.header, prev)
        if node is None:
            return
        self._update_best_known(peer, node)
        if block.header.prev_hash in self.cs.index:
            self._submit(block, peer.id)
        elif len(self.pending) < MAX_PENDING_BLOCKS:
            self.pending[h] = (block, peer.id)

    def _submit(self, block: Block, peer_id: int) -> None:
        """Hand a block (and the waiting blocks it is the parent of) to the chain state."""
        queue = [(block, peer_id)]
        while queue:
            b, pid = queue.pop(0)
            try:
                is_new = self.cs.process_new_block(b)
            except ValidationError as e:
                log.info("block %s from peer=%d is invalid: %s", b.header.hash_hex, pid, e.reason)
                node = self.headers.get(b.hash)
                if node is not None and e.reason not in MUTATED_BLOCK_REASONS:
                    node.failed = True
                peer = self.connman.find(pid)
                if peer is not None and e.reason not in UNPUNISHED_BLOCK_REASONS:
                    self.misbehaving(peer, 100, f"invalid block: {e.reason}")
                continue
            peer = self.connman.find(pid)
            if is_new and peer is not None:
                peer.last_block_time = int(time.time())
            for child_hash, (child, cpid) in list(self.pending.items()):
                if child.header.prev_hash == b.hash:
                    del self.pending[child_hash]
                    queue.append((child, cpid))
        self._download_due = True

    # -- transactions ----------------------------------------------------------------------------------

    def _have_tx(self, txid: bytes) -> bool:
        if txid in self.orphans or txid in self.rejected:
            return True
        with self.cs.cs_main:
            return txid in self.cs.mempool or self.cs.db.find_tx_block(txid) is not None

    def _retry_tx_request(self, txid: bytes) -> None:
        asked = self.tx_requested.pop(txid, None)
        if asked is None:
            return
        for other in asked[2]:
            peer = self.connman.find(other)
            if peer is not None and peer.handshake_done and not peer.disconnect:
                self.tx_requested[txid] = (time.monotonic(), other, [o for o in asked[2] if o != other])
                self.send(peer, p.GetData([p.Inv(p.MSG_TX, txid)]))
                return

    def _on_tx(self, peer: Peer, msg: p.TxMessage) -> None:
        tx = msg.tx
        peer.known.add(tx.txid)
        self.tx_requested.pop(tx.txid, None)
        if self._have_tx(tx.txid):
            if peer.has_permission("forcerelay"):  # a gateway for nodes behind it: relayed even if known
                with self.cs.cs_main:
                    in_mempool = tx.txid in self.cs.mempool
                if in_mempool:
                    log.info("Force relaying tx %s from peer=%d", tx.txid_hex, peer.id)
                    self.queue_tx_relay(tx.txid)
                else:
                    log.info("Not relaying non-mempool transaction %s from forcerelay peer=%d", tx.txid_hex, peer.id)
            return
        if self._accept_tx(tx, peer):
            peer.last_tx_time = int(time.time())
            self._process_orphans(tx.txid)

    def _accept_tx(self, tx: Transaction, peer: Peer | None, peer_id: int = -1) -> bool:
        source = peer.id if peer is not None else peer_id
        try:
            self.cs.accept_to_mempool(tx)
            log.debug("AcceptToMemoryPool: peer=%d: accepted %s", source, tx.txid_hex)
            return True
        except ValidationError as e:
            if e.reason == "bad-txns-inputs-missingorspent":
                with self.cs.cs_main:
                    missing = {i.prevout.txid for i in tx.vin
                               if self.cs.get_coin(i.prevout.txid, i.prevout.n, include_mempool=True) is None
                               and i.prevout.txid not in self.cs.mempool}
                if missing and not missing & self.rejected:
                    self._add_orphan(tx, source)
                    if peer is not None:
                        want = [t for t in missing if t not in self.tx_requested and t not in self.orphans]
                        for t in want:
                            self.tx_requested[t] = (time.monotonic(), peer.id, [])
                        if want:
                            self.send(peer, p.GetData([p.Inv(p.MSG_TX, t) for t in want]))
                    return False
            log.debug("%s from peer=%d was not accepted: %s", tx.txid_hex, source, e.reason)
            self.rejected.add(tx.txid)
            if peer is not None and e.reason in PUNISHED_TX_REASONS:
                self.misbehaving(peer, 100, f"invalid transaction: {e.reason}")
            return False

    def _add_orphan(self, tx: Transaction, peer_id: int) -> None:
        if tx.txid in self.orphans or tx.size > MAX_ORPHAN_SIZE:
            return
        while len(self.orphans) >= MAX_ORPHANS:
            self._remove_orphan(random.choice(list(self.orphans)))
        self.orphans[tx.txid] = (tx, peer_id, time.monotonic() + ORPHAN_EXPIRE)
        for i in tx.vin:
            self.orphans_by_prev.setdefault(i.prevout.txid, set()).add(tx.txid)
        log.debug("stored orphan tx %s (%d orphans)", tx.txid_hex, len(self.orphans))

    def _remove_orphan(self, txid: bytes) -> tuple[Transaction, int, float] | None:
        entry = self.orphans.pop(txid, None)
        if entry is not None:
            for i in entry[0].vin:
                children = self.orphans_by_prev.get(i.prevout.txid)
                if children is not None:
                    children.discard(txid)
                    if not children:
                        del self.orphans_by_prev[i.prevout.txid]
        return entry

    def _process_orphans(self, parent: bytes) -> None:
        work = [parent]
        while work:
            for child in list(self.orphans_by_prev.get(work.pop(), ())):
                entry = self._remove_orphan(child)
                if entry is None:
                    continue
                tx, source, _ = entry
                if self._accept_tx(tx, None, source):
                    work.append(tx.txid)

    # -- relay and periodic work -------------------------------------------------------------------------

    def _apply_notifications(self) -> None:
        with self._cond:
            txids, self._relay_txids = self._relay_txids, []
            tip_changed, self._tip_changed = self._tip_changed, False
        peers = [q for q in self.connman.snapshot() if q.handshake_done and not q.disconnect]
        if txids:
            for peer in peers:
                if peer.relay_txes:
                    peer.tx_to_announce.extend(t for t in txids if t not in peer.known)
        if not tip_changed:
            return
        self.rejected.clear()
        self._download_due = True
        with self.cs.cs_main:
            if self.cs.is_initial_block_download():
                return
            blocks = []
            n = self.cs.tip
            while n.prev is not None and n.hash not in self.announced and len(blocks) < MAX_BLOCKS_TO_ANNOUNCE:
                blocks.append(n.hash)
                n = n.prev
        for h in blocks:
            self.announced.add(h)
        blocks.reverse()
        for peer in peers:
            peer.blocks_to_announce.extend(blocks)
        for txid in list(self.orphans):
            entry = self._remove_orphan(txid)
            if entry is not None and self._accept_tx(entry[0], None, entry[1]):
                self._process_orphans(txid)

    def _send_messages(self, peer: Peer, now: float) -> None:
        if not peer.handshake_done:
            return
        clock_now = mockable_now()
        if (peer.ping_nonce and clock_now - peer.ping_start > PING_TIMEOUT
                and self.connman.inactivity_checks_due(peer, int(clock_now))):
            log.info("ping timeout: %.6fs peer=%d", clock_now - peer.ping_start, peer.id)
            self.connman.disconnect_peer(peer, "ping timeout")
            return
        if peer.ping_requested or (not peer.ping_nonce and (not peer.ping_start
                                                            or clock_now - peer.ping_start > PING_INTERVAL)):
            peer.ping_requested = False
            peer.ping_nonce = int.from_bytes(os.urandom(8), "little") or 1
            peer.ping_start = clock_now
            self.send(peer, p.Ping(peer.ping_nonce))
        self._maybe_send_addr(peer, clock_now)
        if peer.getdata_backlog and not self.connman.send_paused(peer):
            items, peer.getdata_backlog = peer.getdata_backlog, []
            self._on_getdata(peer, p.GetData(items))
        if peer.blocks_to_announce:
            self._announce_blocks(peer)
        if peer.tx_to_announce:
            txids, peer.tx_to_announce = peer.tx_to_announce, []
            with self.cs.cs_main:
                txids = [t for t in dict.fromkeys(txids) if t in self.cs.mempool and t not in peer.known]
            for t in txids:
                peer.known.add(t)
                peer.announced_txs.add(t)
            for i in range(0, len(txids), p.MAX_INV_SIZE):
                self.send(peer, p.InvMessage([p.Inv(p.MSG_TX, t) for t in txids[i:i + p.MAX_INV_SIZE]]))

    @staticmethod
    def _is_ancestor(node, of) -> bool:
        while of is not None and of.height > node.height:
            of = of.prev
        return of is not None and of.hash == node.hash

    def _peer_has_header(self, peer: Peer, node) -> bool:
        """Whether the peer has this header: it is behind the best one the peer told us of, or behind the last one we
        sent it (Dash's PeerHasHeader; blocks merely fetched or announced by inv do not count)."""
        return any(best is not None and self._is_ancestor(node, best) for best in (peer.best_known,
                                                                                    peer.best_header_sent))

    def _announce_blocks(self, peer: Peer) -> None:
        """New tips as headers when the peer asked for them and they connect to a header it has; else the tip by inv
        (Dash's SendMessages: too many blocks, a reorganised-away or unconnected list also fall back to inv)."""
        hashes, peer.blocks_to_announce = peer.blocks_to_announce, []
        self._process_block_availability(peer)
        with self.cs.cs_main:
            revert = not peer.prefer_headers or len(hashes) > MAX_BLOCKS_TO_ANNOUNCE
            headers, last = [], None
            for h in ([] if revert else hashes):
                idx = self.cs.index.get(h)
                if idx is None or not self.cs.in_active_chain(idx) or (last is not None and idx.prev is not last):
                    revert = True
                    break
                last = idx
                if headers:
                    headers.append(idx)
                elif self._peer_has_header(peer, idx):
                    continue
                elif idx.prev is None or self._peer_has_header(peer, idx.prev):
                    headers.append(idx)
                else:
                    revert = True
                    break
            if not revert:
                if headers:
                    peer.best_header_sent = last
                    if len(headers) > 1:
                        log.debug("SendMessages: %d headers, range (%s, %s), to peer=%d", len(headers),
                                  headers[0].header.hash_hex, headers[-1].header.hash_hex, peer.id)
                    else:
                        log.debug("SendMessages: sending header %s to peer=%d", headers[0].header.hash_hex, peer.id)
                    self.send(peer, p.Headers([i.header for i in headers]))
                return
            tip = self.cs.index.get(hashes[-1]) if hashes else None
            if tip is None or self._peer_has_header(peer, tip):
                return
        log.debug("SendMessages: sending inv peer=%d hash=%s", peer.id, tip.header.hash_hex)
        self.send(peer, p.InvMessage([p.Inv(p.MSG_BLOCK, tip.hash)]))

    def _periodic(self, now: float) -> None:
        peers = [q for q in self.connman.snapshot() if not q.disconnect]
        for peer in peers:
            if not peer.in_flight or peer.recv_queue:
                continue
            oldest_hash, since = min(peer.in_flight.items(), key=lambda kv: kv[1])
            if now - since <= BLOCK_STALL_TIMEOUT:
                continue
            node = self._lookup(oldest_hash)
            others = [q for q in peers if q is not peer and q.handshake_done and q.best_known is not None
                      and node is not None and q.best_known.chain_work >= node.chain_work]
            if others:
                log.info("Timeout downloading block %s from peer=%d, disconnecting", hash_to_hex(oldest_hash), peer.id)
                self.connman.disconnect_peer(peer, "block download stalled")
        for txid, (when, _, _) in list(self.tx_requested.items()):
            if now - when > TX_REQUEST_TIMEOUT:
                self._retry_tx_request(txid)
        for txid, (_, _, expires) in list(self.orphans.items()):
            if expires < now:
                self._remove_orphan(txid)

    def _finalize(self, peer: Peer) -> None:
        """A peer is gone: what it was to send us is asked of others."""
        for h in list(peer.in_flight):
            if self.in_flight.get(h) == peer.id:
                del self.in_flight[h]
        peer.in_flight.clear()
        for txid, (_, asked, _) in list(self.tx_requested.items()):
            if asked == peer.id:
                self._retry_tx_request(txid)
        for txid, (_, source, _) in list(self.orphans.items()):
            if source == peer.id:
                self._remove_orphan(txid)
        self.nonces.discard(peer.our_nonce)
        self._download_due = True
