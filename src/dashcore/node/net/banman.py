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

from ...util import time as clock

log = logging.getLogger("dashcore.net")

DEFAULT_BAN_TIME = 24 * 60 * 60
BANLIST_VERSION = 1

Subnet = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_subnet(text: str) -> Subnet:
    """An IP or IP/mask as a network; ValueError if it is neither."""
    return ipaddress.ip_network(text.strip(), strict=False)


def subnet_text(net: Subnet) -> str:
    return f"{net.network_address}/{net.prefixlen}"


def _order(net: Subnet) -> tuple:
    # IPv4 before IPv6, then by address, then the wider mask first (as Dash's CSubNet ordering)
    return net.version, int(net.network_address), net.prefixlen


def host_in(host: str, net: Subnet) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.version == net.version and ip in net


class BanMan:
    def __init__(self, path: str | None):
        self._path = path
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
        until = bantime if absolute and bantime else now + (bantime if bantime > 0 else DEFAULT_BAN_TIME)
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
