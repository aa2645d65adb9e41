"""Banned subnets (manual bans, kept in ``banlist.json``) and discouraged addresses (misbehaving peers, in memory).

Times are the node's clock (mock time included), so bans expire as tests move time. The
list is written after every change, as Dash does, and read at start; a missing file is
recreated empty.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import threading
from dataclasses import dataclass

from ...util import time as clock
from . import protocol

log = logging.getLogger("dashcore.net")

DEFAULT_BAN_TIME = 24 * 60 * 60
BANLIST_VERSION = 1

NET_IPV4, NET_IPV6, NET_ONION, NET_I2P = 1, 2, 3, 4  # Dash's Network enum, which orders its ban list


@dataclass(frozen=True)
class SpecialHost:
    """A Tor v3 or I2P address: banned only as itself (such networks have no netmask)."""

    network: int
    addr: bytes  # the Tor public key, or the I2P destination hash

    @property
    def text(self) -> str:
        return protocol.special_text(BIP155_OF[self.network], self.addr)


Subnet = ipaddress.IPv4Network | ipaddress.IPv6Network | SpecialHost
BIP155_OF = {NET_ONION: protocol.BIP155_TORV3, NET_I2P: protocol.BIP155_I2P}


def parse_special(text: str) -> SpecialHost | None:
    """A Tor v3 (with a valid checksum) or I2P (.b32.i2p) address, as Dash's CNetAddr::SetSpecial takes it."""
    found = protocol.special_bytes(text)
    if found is None:
        return None
    network, raw = found
    return SpecialHost(NET_ONION if network == protocol.BIP155_TORV3 else NET_I2P, raw)


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
