"""Known peer addresses (Dash's addrman without its buckets) and the getaddr answers drawn from them.

Addresses come from addr/addrv2 messages and the addpeeraddress RPC; only routable IPv4/IPv6
ones are kept. A getaddr is answered from a cache per local socket (and network) that lives
21 to 27 hours on the node's clock, as Dash does so that repeated requests cannot map what
the node knows. Thread-safe: the message handler writes, the RPC thread reads.
"""

from __future__ import annotations

import ipaddress
import random
import threading
from collections.abc import Callable, Hashable, Iterable

from .protocol import TimedAddress

MAX_ADDRESSES = 65_536  # Dash's new table holds 1024 buckets of 64
ADDR_CACHE_LIFETIME = 21 * 60 * 60
ADDR_CACHE_JITTER = 6 * 60 * 60
HORIZON = 30 * 24 * 60 * 60  # an address not seen for this long is not given out (Dash's IsTerrible)
FUTURE_SLACK = 10 * 60


def network_of(host: str) -> str:
    return "ipv6" if ipaddress.ip_address(host).version == 6 else "ipv4"


def is_routable(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return False


class AddrMan:
    def __init__(self):
        self._lock = threading.Lock()
        self._addrs: dict[tuple[str, int], TimedAddress] = {}
        self._caches: dict[Hashable, tuple[int, list[TimedAddress]]] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._addrs)

    def add(self, addresses: Iterable[TimedAddress]) -> int:
        """Keep the routable ones (a newer time replaces an older one); how many were new."""
        added = 0
        with self._lock:
            for a in addresses:
                key = (a.address.host, a.address.port)
                if not a.address.port or not is_routable(a.address.host):
                    continue
                old = self._addrs.get(key)
                if old is None:
                    if len(self._addrs) >= MAX_ADDRESSES:
                        continue
                    added += 1
                elif old.time >= a.time:
                    continue
                self._addrs[key] = a
        return added

    def get_addresses(self, now: int, max_count: int = 0, max_pct: int = 0, network: str | None = None,
                      exclude: Callable[[str], bool] | None = None) -> list[TimedAddress]:
        """A random selection: at most ``max_count`` (0: no limit) and ``max_pct`` percent (0: no limit) of those
        known, of one network if given, leaving out stale ones and those ``exclude`` names (banned hosts)."""
        with self._lock:
            pool = list(self._addrs.values())
        if network is not None:
            pool = [a for a in pool if network_of(a.address.host) == network]
        pool = [a for a in pool if now - HORIZON <= a.time <= now + FUTURE_SLACK]
        count = len(pool)
        if max_pct:
            count = max_pct * count // 100
        if max_count:
            count = min(count, max_count)
        chosen = random.sample(pool, count)
        return [a for a in chosen if exclude is None or not exclude(a.address.host)]

    def cached_response(self, key: Hashable, now: int, max_count: int, max_pct: int,
                        exclude: Callable[[str], bool] | None = None) -> list[TimedAddress]:
        """The getaddr answer for requests arriving through one local socket: the same until it expires."""
        with self._lock:
            cached = self._caches.get(key)
        if cached is not None and cached[0] >= now:
            return cached[1]
        response = self.get_addresses(now, max_count, max_pct, exclude=exclude)
        expires = now + ADDR_CACHE_LIFETIME + random.randrange(ADDR_CACHE_JITTER)
        with self._lock:
            self._caches[key] = (expires, response)
        return response
