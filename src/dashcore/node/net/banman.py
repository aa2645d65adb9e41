"""Banned subnets (manual bans, kept in ``banlist.json``) and discouraged addresses (misbehaving peers, in memory).

Times are the node's clock (mock time included), so bans expire as tests move time. The
list is written after every change, as Dash does, and read at start; a missing file is
recreated empty.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import logging
import os
import threading
from dataclasses import dataclass

from ...util import time as clock

log = logging.getLogger("dashcore.net")

DEFAULT_BAN_TIME = 24 * 60 * 60
BANLIST_VERSION = 1

NET_IPV4, NET_IPV6, NET_ONION, NET_I2P = 1, 2, 3, 4  # Dash's Network enum, which orders its ban list

_TORV3_PUBKEY_LEN = 32
_TORV3_VERSION = b"\x03"
_I2P_B32_LEN = 52


@dataclass(frozen=True)
class SpecialHost:
    """A Tor v3 or I2P address: banned only as itself (such networks have no netmask)."""

    network: int
    addr: bytes  # the Tor public key, or the I2P destination hash

    @property
    def text(self) -> str:
        if self.network == NET_ONION:
            checksum = _torv3_checksum(self.addr)
            return _b32(self.addr + checksum + _TORV3_VERSION) + ".onion"
        return _b32(self.addr) + ".b32.i2p"


Subnet = ipaddress.IPv4Network | ipaddress.IPv6Network | SpecialHost


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def _b32decode(text: str) -> bytes | None:
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8), casefold=True)
    except (ValueError, binascii.Error):
        return None


def _torv3_checksum(pubkey: bytes) -> bytes:
    return hashlib.sha3_256(b".onion checksum" + pubkey + _TORV3_VERSION).digest()[:2]


def parse_special(text: str) -> SpecialHost | None:
    """A Tor v3 (with a valid checksum) or I2P (.b32.i2p) address, as Dash's CNetAddr::SetSpecial takes it."""
    if "\0" in text:
        return None
    if len(text) > 6 and text.endswith(".onion"):
        raw = _b32decode(text[:-6])
        if raw is None or len(raw) != _TORV3_PUBKEY_LEN + 3:
            return None
        pubkey, checksum, version = raw[:32], raw[32:34], raw[34:]
        if version != _TORV3_VERSION or checksum != _torv3_checksum(pubkey):
            return None
        return SpecialHost(NET_ONION, pubkey)
    if len(text) == _I2P_B32_LEN + 8 and text[_I2P_B32_LEN:].lower() == ".b32.i2p":
        raw = _b32decode(text[:_I2P_B32_LEN])
        if raw is None or len(raw) != 32:
            return None
        return SpecialHost(NET_I2P, raw)
    return None


def parse_subnet(text: str) -> Subnet:
    """An IP or IP/mask as a network, or a Tor/I2P address as itself; ValueError if it is none of these."""
    text = text.strip()
    special = parse_special(text)
    if special is not None:
        return special
    return ipaddress.ip_network(text, strict=False)


def subnet_text(net: Subnet) -> str:
    if isinstance(net, SpecialHost):
        return net.text
    return f"{net.network_address}/{net.prefixlen}"


def _order(net: Subnet) -> tuple:
    # Dash's CSubNet order: by network (IPv4, IPv6, Tor, I2P), then address, then the wider mask first
    if isinstance(net, SpecialHost):
        return net.network, net.addr, 0
    return (NET_IPV4 if net.version == 4 else NET_IPV6), net.network_address.packed, net.prefixlen


def host_in(host: str, net: Subnet) -> bool:
    if isinstance(net, SpecialHost):
        return parse_special(host) == net
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.version == net.version and ip in net


class BanMan:
    def __init__(self, path: str | None, default_ban_time: int = DEFAULT_BAN_TIME):
        self._path = path
        self._default_ban_time = default_ban_time
        self._lock = threading.Lock()
        self._banned: dict[Subnet, tuple[int, int]] = {}  # subnet -> (created, until)
        self._discouraged: set[str] = set()
        self._load()

    # -- persistence --------------------------------------------------------------------------------

    def _load(self) -> None:
        if self._path is None:
            return
        try:
            with open(self._path) as f:
                data = json.load(f)
            for entry in data.get("banned_nets", []):
                self._banned[parse_subnet(entry["address"])] = (int(entry["ban_created"]), int(entry["banned_until"]))
        except FileNotFoundError:
            log.info("Recreating the banlist database")
            self._banned.clear()
            self._dump()
            return
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            log.warning("Invalid or corrupt banlist file %s (%s): recreating it", self._path, e)
            self._banned.clear()
            self._dump()
            return
        self._sweep()
        log.info("Loaded %d banned node addresses/subnets", len(self._banned))

    def _dump(self) -> None:
        if self._path is None:
            return
        entries = [{"version": BANLIST_VERSION, "ban_created": created, "banned_until": until,
                    "address": subnet_text(net)} for net, (created, until) in sorted(self._banned.items(),
                                                                                     key=lambda kv: _order(kv[0]))]
        tmp = self._path + ".new"
        try:
            with open(tmp, "w") as f:
                json.dump({"banned_nets": entries}, f, indent=4)
            os.replace(tmp, self._path)
        except OSError as e:
            log.warning("could not write %s: %s", self._path, e)

    def _sweep(self) -> bool:
        now = clock.get_time()
        expired = [net for net, (_, until) in self._banned.items() if until <= now]
        for net in expired:
            del self._banned[net]
        return bool(expired)

    # -- bans ------------------------------------------------------------------------------------------

    def ban(self, net: Subnet, bantime: int = 0, absolute: bool = False) -> None:
        now = clock.get_time()
        until = bantime if absolute and bantime else now + (bantime if bantime > 0 else self._default_ban_time)
        with self._lock:
            self._banned[net] = (now, until)
            self._dump()

    def unban(self, net: Subnet) -> bool:
        with self._lock:
            if self._banned.pop(net, None) is None:
                return False
            self._dump()
            return True

    def banned(self) -> list[tuple[Subnet, int, int]]:
        """(subnet, created, until) of every ban still in force, in Dash's order."""
        with self._lock:
            if self._sweep():
                self._dump()
            return [(net, c, u) for net, (c, u) in sorted(self._banned.items(), key=lambda kv: _order(kv[0]))]

    def is_banned_subnet(self, net: Subnet) -> bool:
        return any(n == net for n, _, _ in self.banned())

    def clear(self) -> None:
        with self._lock:
            self._banned.clear()
            self._discouraged.clear()
            self._dump()

    def is_banned(self, host: str) -> bool:
        return any(host_in(host, net) for net, _, _ in self.banned())

    # -- discouragement ---------------------------------------------------------------------------------

    def discourage(self, host: str) -> None:
        with self._lock:
            self._discouraged.add(host)

    def is_discouraged(self, host: str) -> bool:
        with self._lock:
            return host in self._discouraged

    def flush(self) -> None:
        with self._lock:
            self._sweep()
            self._dump()
