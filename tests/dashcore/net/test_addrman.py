"""Known addresses without a node: routable ones only, Dash's share of them per getaddr, the per-socket cache."""

from __future__ import annotations

from dashcore.node.net import protocol as p
from dashcore.node.net.addrman import ADDR_CACHE_LIFETIME, HORIZON, AddrMan

NOW = 1_700_000_000


def _addr(host: str, port: int = 9999, when: int = NOW) -> p.TimedAddress:
    return p.TimedAddress(when, p.NetAddress(p.NODE_NETWORK, host, port))


def _many(n: int) -> list[p.TimedAddress]:
    return [_addr(f"{1 + i // 256}.{i % 256}.1.1") for i in range(n)]


def test_only_routable_addresses_are_kept_and_newer_times_win():
    man = AddrMan()
    assert man.add([_addr("10.0.0.1"), _addr("127.0.0.1"), _addr("0.1.1.1"), _addr("8.8.8.8", 0)]) == 0
    assert man.add([_addr("8.8.8.8"), _addr("2001:4860::1"), _addr("8.8.8.8")]) == 2
    man.add([_addr("8.8.8.8", when=NOW + 5)])
    got = {(a.address.host, a.time) for a in man.get_addresses(NOW)}
    assert got == {("8.8.8.8", NOW + 5), ("2001:4860::1", NOW)}
    assert [a.address.host for a in man.get_addresses(NOW, network="ipv6")] == ["2001:4860::1"]


def test_a_share_of_the_known_addresses_and_no_stale_or_excluded_ones():
    man = AddrMan()
    man.add(_many(1000))
    assert len(man.get_addresses(NOW, 1000, 23)) == 230
    assert len(man.get_addresses(NOW, 100, 23)) == 100
    assert len(man.get_addresses(NOW, 0, 0)) == 1000
    assert man.get_addresses(NOW + HORIZON + 1) == []
    assert len(man.get_addresses(NOW, exclude=lambda host: host.startswith("1."))) == 1000 - 256


def test_getaddr_answers_are_cached_per_key_until_they_expire():
    man = AddrMan()
    man.add(_many(5000))
    first = man.cached_response("a", NOW, 1000, 23)
    assert len(first) == 1000
    assert man.cached_response("a", NOW + 3600, 1000, 23) == first
    other = man.cached_response("b", NOW, 1000, 23)
    assert other != first
    assert man.cached_response("a", NOW + ADDR_CACHE_LIFETIME + 6 * 3600 + 1, 1000, 23) != first
