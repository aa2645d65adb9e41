"""The Dash/Bitcoin v1 P2P wire protocol, without I/O: message framing and the message types.

``frame(command, payload)`` makes the bytes of one message; ``MessageReader.feed(data)``
takes bytes as they arrive and gives back whole messages. A header that cannot be trusted
(wrong magic, oversized length, malformed command) raises ``ProtocolError``: the stream
cannot be resynchronised and the peer is dropped. A message with a wrong checksum comes
out with ``valid=False``, as Dash Core drops such a message and keeps the peer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import struct
from dataclasses import dataclass, field
from typing import ClassVar

from ... import chainparams
from ...crypto.hashes import sha256d
from ...primitives.block import Block, BlockHeader
from ...primitives.serialize import DeserializationError, Reader, compact_size, var_bytes
from ...primitives.transaction import Transaction

MAGIC = chainparams.MESSAGE_START
HEADER_SIZE = 24
COMMAND_SIZE = 12
MAX_MESSAGE_SIZE = 3 * 1024 * 1024  # Dash's MAX_PROTOCOL_MESSAGE_LENGTH

PROTOCOL_VERSION = 70240
MIN_PEER_PROTO_VERSION = 70215
ADDRV2_PROTO_VERSION = 70223  # from here on sendaddrv2 is sent, and addrv2 understood
NODE_NETWORK = 1
NODE_BLOOM = 1 << 2
NODE_NETWORK_LIMITED = 1 << 10
NODE_HEADERS_COMPRESSED = 1 << 11
LOCAL_SERVICES = NODE_NETWORK | NODE_NETWORK_LIMITED
SERVICE_NAMES = {NODE_NETWORK: "NETWORK", NODE_BLOOM: "BLOOM", NODE_NETWORK_LIMITED: "NETWORK_LIMITED",
                 NODE_HEADERS_COMPRESSED: "HEADERS_COMPRESSED"}

MSG_TX = 1
MSG_BLOCK = 2
MAX_INV_SIZE = 50_000
MAX_HEADERS_RESULTS = 2000
MAX_ADDR_TO_SEND = 1000
MAX_LOCATOR_SIZE = 101
MAX_SUBVERSION_LENGTH = 256
MAX_GETBLOCKS_RESULTS = 500

#: Counted under this name in bytes*_per_msg: messages of an unknown type and ones with a bad checksum.
OTHER = "*other*"


class ProtocolError(Exception):
    """Bytes from a peer that break the framing; the connection cannot go on."""


class MessageError(Exception):
    """A message whose payload does not decode as its type says."""


class OversizedList(MessageError):
    """A list message (inv, getdata, headers) with more entries than the protocol allows."""

    def __init__(self, what: str, count: int, limit: int):
        super().__init__(f"{what}: {count} entries, more than {limit}")
        self.what, self.count = what, count


def checksum(payload: bytes) -> bytes:
    return sha256d(payload)[:4]


def frame(command: str, payload: bytes = b"") -> bytes:
    """One message on the wire: magic, command (NUL-padded), length, checksum, payload."""
    name = command.encode("ascii")
    if len(name) > COMMAND_SIZE:
        raise ValueError(f"command too long: {command}")
    return MAGIC + name.ljust(COMMAND_SIZE, b"\0") + struct.pack("<I", len(payload)) + checksum(payload) + payload


@dataclass
class RawMessage:
    command: str
    payload: bytes
    valid: bool = True  # False: dropped for a header error (checksum, message type); ``error`` says which
    error: str = ""

    @property
    def wire_size(self) -> int:
        return HEADER_SIZE + len(self.payload)


_SAFE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,;-_/:?@()")


def _sanitize(raw: bytes) -> str:
    """The printable part of a message type, as Dash logs it (SanitizeString)."""
    return "".join(c for c in raw.split(b"\0", 1)[0].decode("latin-1") if c in _SAFE_CHARS)


def _parse_command(raw: bytes) -> str | None:
    """The message type of a header, or None unless it is printable ASCII padded with NULs."""
    name, _, padding = raw.partition(b"\0")
    if padding.strip(b"\0") or not name or any(c < 0x20 or c > 0x7E for c in name):
        return None
    return name.decode("ascii")


class MessageReader:
    """Bytes in, messages out. Keeps no more than one message's bytes.

    A wrong magic or an oversized length is a ProtocolError (the peer is dropped); a wrong
    checksum or an invalid message type gives a RawMessage that is not ``valid`` (dropped,
    the stream goes on), as Dash's V1Transport treats them.
    """

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE):
        self._buf = bytearray()
        self._max_size = max_size
        self._header: tuple[str | None, bytes, int, bytes] | None = None

    def feed(self, data: bytes) -> list[RawMessage]:
        self._buf += data
        out = []
        while True:
            if self._header is None:
                if len(self._buf) < HEADER_SIZE:
                    if self._buf and not MAGIC.startswith(bytes(self._buf[:4])):
                        raise ProtocolError(f"Header error: Wrong MessageStart {bytes(self._buf[:4]).hex()} received")
                    return out
                head = bytes(self._buf[:HEADER_SIZE])
                if head[:4] != MAGIC:
                    raise ProtocolError(f"Header error: Wrong MessageStart {head[:4].hex()} received")
                raw_command = head[4:16]
                command = _parse_command(raw_command)
                (length,) = struct.unpack_from("<I", head, 16)
                if length > self._max_size:
                    raise ProtocolError(f"Header error: Size too large ({_sanitize(raw_command)}, {length} bytes)")
                self._header = (command, raw_command, length, head[20:24])
                del self._buf[:HEADER_SIZE]
            command, raw_command, length, check = self._header
            if len(self._buf) < length:
                return out
            payload = bytes(self._buf[:length])
            del self._buf[:length]
            self._header = None
            name = command if command is not None else _sanitize(raw_command)
            actual = checksum(payload)
            if actual != check:
                out.append(RawMessage(name, payload, False, f"Header error: Wrong checksum ({name}, {length} bytes), "
                                                            f"expected {actual.hex()} was {check.hex()}"))
            elif command is None:
                out.append(RawMessage(name, payload, False, f"Header error: Invalid message type ({name}, "
                                                            f"{length} bytes)"))
            else:
                out.append(RawMessage(command, payload))


# -- addresses ------------------------------------------------------------------------------


def ip_to_bytes(host: str) -> bytes:
    """An IPv4 or IPv6 address as the 16 bytes of the wire (IPv4 mapped into IPv6)."""
    ip = ipaddress.ip_address(host)
    if ip.version == 4:
        return b"\0" * 10 + b"\xff\xff" + ip.packed
    return ip.packed


def ip_from_bytes(raw: bytes) -> str:
    ip = ipaddress.IPv6Address(raw)
    return str(ip.ipv4_mapped) if ip.ipv4_mapped else str(ip)


@dataclass(frozen=True)
class NetAddress:
    services: int = 0
    host: str = "0.0.0.0"
    port: int = 0

    def serialize(self) -> bytes:
        return struct.pack("<Q", self.services) + ip_to_bytes(self.host) + struct.pack(">H", self.port)

    @classmethod
    def read(cls, r: Reader) -> "NetAddress":
        services = struct.unpack("<Q", r.read(8))[0]
        host = ip_from_bytes(r.read(16))
        return cls(services, host, struct.unpack(">H", r.read(2))[0])


@dataclass(frozen=True)
class TimedAddress:
    time: int
    address: NetAddress

    def serialize(self) -> bytes:
        return struct.pack("<I", self.time) + self.address.serialize()

    @classmethod
    def read(cls, r: Reader) -> "TimedAddress":
        return cls(r.u32(), NetAddress.read(r))


#: BIP155 network ids and their address sizes. IPv4, IPv6, Tor v3 and I2P addresses are kept (the latter two as
#: their text, ``....onion`` / ``....b32.i2p``); others are read and skipped.
BIP155_IPV4, BIP155_IPV6, BIP155_TORV3, BIP155_I2P = 1, 2, 4, 5
_BIP155_SIZES = {BIP155_IPV4: 4, BIP155_IPV6: 16, 3: 10, BIP155_TORV3: 32, BIP155_I2P: 32, 6: 16}
MAX_ADDRV2_SIZE = 512
_TORV3_VERSION = b"\x03"


def b32_text(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def b32_bytes(text: str) -> bytes | None:
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8), casefold=True)
    except (ValueError, binascii.Error):
        return None


def torv3_checksum(pubkey: bytes) -> bytes:
    return hashlib.sha3_256(b".onion checksum" + pubkey + _TORV3_VERSION).digest()[:2]


def special_text(network: int, raw: bytes) -> str:
    """A Tor v3 public key or an I2P destination hash as its address text."""
    if network == BIP155_TORV3:
        return b32_text(raw + torv3_checksum(raw) + _TORV3_VERSION) + ".onion"
    return b32_text(raw) + ".b32.i2p"


def special_bytes(host: str) -> tuple[int, bytes] | None:
    """The BIP155 network and bytes of a Tor v3 (checksum checked) or I2P address text; None for anything else."""
    if "\0" in host:
        return None
    if len(host) > 6 and host.endswith(".onion"):
        raw = b32_bytes(host[:-6])
        if raw is None or len(raw) != 35 or raw[34:] != _TORV3_VERSION or raw[32:34] != torv3_checksum(raw[:32]):
            return None
        return BIP155_TORV3, raw[:32]
    if len(host) == 60 and host[52:].lower() == ".b32.i2p":
        raw = b32_bytes(host[:52])
        return (BIP155_I2P, raw) if raw is not None and len(raw) == 32 else None
    return None


def _read_compact_unchecked(r: Reader) -> int:
    """A compact size without the size-of-a-list check (BIP155's service bits may use all 64)."""
    first = r.u8()
    if first < 253:
        return first
    size = {253: 2, 254: 4, 255: 8}[first]
    return int.from_bytes(r.read(size), "little")


def _read_addrv2(r: Reader) -> TimedAddress | None:
    when = r.u32()
    services = _read_compact_unchecked(r)
    network = r.u8()
    size = r.compact_size()
    if size > MAX_ADDRV2_SIZE:
        raise MessageError(f"Address too long: {size} > {MAX_ADDRV2_SIZE}")
    raw = r.read(size)
    port = struct.unpack(">H", r.read(2))[0]
    expected = _BIP155_SIZES.get(network)
    if expected is not None and size != expected:
        raise MessageError(f"BIP155 network {network} address with length {size} (should be {expected})")
    if network == BIP155_IPV4:
        host = str(ipaddress.IPv4Address(raw))
    elif network == BIP155_IPV6:
        host = ip_from_bytes(raw)
    elif network in (BIP155_TORV3, BIP155_I2P):
        host = special_text(network, raw)
    else:
        return None
    return TimedAddress(when, NetAddress(services, host, port))


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _addrv2_bytes(a: TimedAddress) -> bytes:
    special = special_bytes(a.address.host)
    if special is not None:
        network, raw = special
    else:
        ip = ipaddress.ip_address(a.address.host)
        network, raw = (BIP155_IPV4 if ip.version == 4 else BIP155_IPV6), ip.packed
    return (struct.pack("<I", a.time) + compact_size(a.address.services) + bytes([network])
            + compact_size(len(raw)) + raw + struct.pack(">H", a.address.port))


@dataclass(frozen=True)
class Inv:
    type: int
    hash: bytes

    def serialize(self) -> bytes:
        return struct.pack("<I", self.type) + self.hash

    @classmethod
    def read(cls, r: Reader) -> "Inv":
        return cls(r.u32(), r.read(32))


# -- messages ---------------------------------------------------------------------------------

MESSAGES: dict[str, type["Message"]] = {}


class Message:
    """A message type: ``command`` on the wire, ``serialize()`` its payload, ``decode(payload)``."""

    command: ClassVar[str] = ""

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        if cls.command:
            MESSAGES[cls.command] = cls

    def serialize(self) -> bytes:
        return b""

    @classmethod
    def read(cls, r: Reader) -> "Message":
        return cls()

    @classmethod
    def decode(cls, payload: bytes) -> "Message":
        r = Reader(payload)
        try:
            msg = cls.read(r)
            if cls.command != "version":  # Dash's version may carry fields we do not know
                r.expect_end()
        except (DeserializationError, ValueError, struct.error) as e:
            raise MessageError(f"{cls.command}: {e}") from None
        return msg

    def to_bytes(self) -> bytes:
        return frame(self.command, self.serialize())


def decode(message: RawMessage) -> Message | None:
    """The typed message, or None for a type we do not know (ignored, as Dash ignores them)."""
    cls = MESSAGES.get(message.command)
    return cls.decode(message.payload) if cls is not None else None


def _read_list(r: Reader, limit: int, what: str, read) -> list:
    n = r.compact_size()
    if n > limit:
        raise OversizedList(what, n, limit)
    return [read(r) for _ in range(n)]


@dataclass
class Version(Message):
    command: ClassVar[str] = "version"
    version: int = PROTOCOL_VERSION
    services: int = LOCAL_SERVICES
    time: int = 0
    addr_recv: NetAddress = field(default_factory=NetAddress)
    addr_from: NetAddress = field(default_factory=NetAddress)
    nonce: int = 0
    user_agent: str = ""
    start_height: int = 0
    relay: bool = True
    mnauth_challenge: bytes = b"\0" * 32
    masternode: bool = False

    def serialize(self) -> bytes:
        return (struct.pack("<iQq", self.version, self.services, self.time) + self.addr_recv.serialize()
                + self.addr_from.serialize() + struct.pack("<Q", self.nonce)
                + var_bytes(self.user_agent.encode("utf-8")) + struct.pack("<i?", self.start_height, self.relay)
                + self.mnauth_challenge + struct.pack("<?", self.masternode))

    @classmethod
    def read(cls, r: Reader) -> "Version":
        version = r.i32()
        services = struct.unpack("<Q", r.read(8))[0]
        time = r.i64()
        addr_recv = NetAddress.read(r)
        msg = cls(version, services, time, addr_recv)
        if r.at_end():
            return msg
        msg.addr_from = NetAddress.read(r)
        msg.nonce = struct.unpack("<Q", r.read(8))[0]
        ua = r.var_bytes()
        if len(ua) > MAX_SUBVERSION_LENGTH:
            raise DeserializationError("user agent too long")
        msg.user_agent = ua.decode("utf-8", "replace")
        msg.start_height = r.i32()
        msg.relay = r.u8() != 0 if not r.at_end() else True
        if len(r.data) - r.pos >= 33:
            msg.mnauth_challenge = r.read(32)
            msg.masternode = r.u8() != 0
        return msg


@dataclass
class Verack(Message):
    command: ClassVar[str] = "verack"


@dataclass
class GetAddr(Message):
    command: ClassVar[str] = "getaddr"


@dataclass
class MempoolRequest(Message):
    command: ClassVar[str] = "mempool"


@dataclass
class SendHeaders(Message):
    command: ClassVar[str] = "sendheaders"


@dataclass
class Ping(Message):
    command: ClassVar[str] = "ping"
    nonce: int = 0

    def serialize(self) -> bytes:
        return struct.pack("<Q", self.nonce)

    @classmethod
    def read(cls, r: Reader) -> "Ping":
        return cls(struct.unpack("<Q", r.read(8))[0])


@dataclass
class Pong(Ping):
    command: ClassVar[str] = "pong"


@dataclass
class Addr(Message):
    command: ClassVar[str] = "addr"
    addresses: list[TimedAddress] = field(default_factory=list)

    def serialize(self) -> bytes:
        return compact_size(len(self.addresses)) + b"".join(a.serialize() for a in self.addresses)

    @classmethod
    def read(cls, r: Reader) -> "Addr":
        return cls(_read_list(r, MAX_ADDR_TO_SEND, "addr", TimedAddress.read))


@dataclass
class AddrV2(Message):
    """BIP155 addresses: IPv4, IPv6, Tor v3 and I2P ones are kept (relayed, though this node reaches only IP)."""

    command: ClassVar[str] = "addrv2"
    addresses: list[TimedAddress] = field(default_factory=list)

    def serialize(self) -> bytes:
        return compact_size(len(self.addresses)) + b"".join(_addrv2_bytes(a) for a in self.addresses)

    @classmethod
    def read(cls, r: Reader) -> "AddrV2":
        entries = _read_list(r, MAX_ADDR_TO_SEND, "addrv2", _read_addrv2)
        return cls([a for a in entries if a is not None])


@dataclass
class SendAddrV2(Message):
    command: ClassVar[str] = "sendaddrv2"


@dataclass
class InvMessage(Message):
    command: ClassVar[str] = "inv"
    items: list[Inv] = field(default_factory=list)

    def serialize(self) -> bytes:
        return compact_size(len(self.items)) + b"".join(i.serialize() for i in self.items)

    @classmethod
    def read(cls, r: Reader) -> "InvMessage":
        return cls(_read_list(r, MAX_INV_SIZE, cls.command, Inv.read))


@dataclass
class GetData(InvMessage):
    command: ClassVar[str] = "getdata"


@dataclass
class NotFound(InvMessage):
    command: ClassVar[str] = "notfound"


@dataclass
class GetHeaders(Message):
    command: ClassVar[str] = "getheaders"
    locator: list[bytes] = field(default_factory=list)
    hash_stop: bytes = b"\0" * 32
    version: int = PROTOCOL_VERSION

    def serialize(self) -> bytes:
        return (struct.pack("<I", self.version) + compact_size(len(self.locator)) + b"".join(self.locator)
                + self.hash_stop)

    @classmethod
    def read(cls, r: Reader) -> "GetHeaders":
        version = r.u32()
        # not limited here: a locator longer than MAX_LOCATOR_SIZE decodes, and the node disconnects its sender
        locator = [r.read(32) for _ in range(r.compact_size())]
        return cls(locator, r.read(32), version)


@dataclass
class GetBlocks(GetHeaders):
    command: ClassVar[str] = "getblocks"


@dataclass
class Headers(Message):
    command: ClassVar[str] = "headers"
    headers: list[BlockHeader] = field(default_factory=list)

    def serialize(self) -> bytes:
        return compact_size(len(self.headers)) + b"".join(h.serialize() + b"\0" for h in self.headers)

    @classmethod
    def read(cls, r: Reader) -> "Headers":
        def one(r: Reader) -> BlockHeader:
            h = BlockHeader.read(r)
            if r.compact_size() != 0:
                raise DeserializationError("a header with transactions")
            return h
        return cls(_read_list(r, MAX_HEADERS_RESULTS, "headers", one))


@dataclass
class BlockMessage(Message):
    command: ClassVar[str] = "block"
    block: Block | None = None
    raw: bytes = b""  # the serialized block, when it is at hand (sending from disk)

    def serialize(self) -> bytes:
        return self.raw or (self.block.serialize() if self.block else b"")

    @classmethod
    def read(cls, r: Reader) -> "BlockMessage":
        return cls(Block.from_bytes(r.read(len(r.data) - r.pos)))


@dataclass
class TxMessage(Message):
    command: ClassVar[str] = "tx"
    tx: Transaction | None = None

    def serialize(self) -> bytes:
        return self.tx.serialize() if self.tx else b""

    @classmethod
    def read(cls, r: Reader) -> "TxMessage":
        return cls(Transaction.read(r))


#: Every message type this node knows, by command.
COMMANDS = sorted(MESSAGES)
