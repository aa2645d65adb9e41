"""The ban list without a node: Tor and I2P addresses banned as themselves, Dash's order, -bantime, the file."""

from __future__ import annotations

import ipaddress

import pytest

from dashcore.node.net.banman import NET_I2P, NET_ONION, BanMan, SpecialHost, host_in, parse_subnet, subnet_text

ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
I2P = "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p"


def test_tor_v3_and_i2p_addresses_parse_and_print_as_themselves():
    onion = parse_subnet(ONION)
    assert isinstance(onion, SpecialHost) and onion.network == NET_ONION and subnet_text(onion) == ONION
    assert subnet_text(parse_subnet(ONION.upper().replace(".ONION", ".onion"))) == ONION
    i2p = parse_subnet(I2P)
    assert i2p.network == NET_I2P and subnet_text(i2p) == I2P
    assert host_in(ONION, onion) and not host_in("127.0.0.1", onion)
    assert not host_in(ONION, ipaddress.ip_network("0.0.0.0/0"))


@pytest.mark.parametrize("text", [
    ONION[:-7] + "a.onion",          # checksum does not match
    ONION[:-8] + ".onion",           # too short
    "aaaa.onion",
    ONION + "/32",                   # Tor has no netmask
    I2P[:-9] + ".b32.i2p",
    "1.2.3.4/33",
    "not an address",
])
def test_bad_addresses_are_refused(text):
    with pytest.raises(ValueError):
        parse_subnet(text)


def test_order_is_ipv4_ipv6_tor_i2p_then_address_then_wider_mask(tmp_path):
    ban = BanMan(str(tmp_path / "banlist.json"))
    for text in (I2P, ONION, "::1/128", "10.0.0.0/32", "10.0.0.0/8", "9.0.0.1"):
        ban.ban(parse_subnet(text))
    assert [subnet_text(n) for n, _, _ in ban.banned()] == [
        "9.0.0.1/32", "10.0.0.0/8", "10.0.0.0/32", "::1/128", ONION, I2P]


def test_default_ban_time_and_the_file_round_trip(tmp_path):
    path = str(tmp_path / "banlist.json")
    ban = BanMan(path, default_ban_time=1234)
    ban.ban(parse_subnet(ONION))
    ban.ban(parse_subnet("1.2.3.4"), 60)
    durations = {subnet_text(n): until - created for n, created, until in ban.banned()}
    assert durations == {ONION: 1234, "1.2.3.4/32": 60}
    again = BanMan(path)
    assert [subnet_text(n) for n, _, _ in again.banned()] == ["1.2.3.4/32", ONION]
    assert again.unban(parse_subnet(ONION)) and not again.unban(parse_subnet(ONION))
