"""How one node answers single P2P messages from a raw peer: locators, and the other limits Dash enforces."""

from __future__ import annotations

from dashcore.node.net import protocol as p

ADDR = "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf"


def _hash(hex_hash: str) -> bytes:
    return bytes.fromhex(hex_hash)[::-1]


def test_a_locator_longer_than_101_hashes_disconnects_and_101_are_answered(make_node, raw_peers):
    n0 = make_node("-disablewallet")
    hashes = [_hash(h) for h in n0.rpc.generatetoaddress(3, ADDR)]
    long_locator = [hashes[1]] * (p.MAX_LOCATOR_SIZE + 1)
    for kind in (p.GetHeaders, p.GetBlocks):
        greedy = raw_peers(n0)
        greedy.handshake()
        greedy.send(kind(long_locator))
        assert greedy.wait_for_disconnect()
        fair = raw_peers(n0)
        fair.handshake()
        fair.send(kind(long_locator[:-1]))
        if kind is p.GetHeaders:
            answer = fair.wait_for("headers", pred=lambda m: m.headers)
            assert [h.hash for h in answer.headers] == [hashes[2]]
        else:
            answer = fair.wait_for("inv")
            assert [i.hash for i in answer.items] == [hashes[2]]
    n0.stop()


def test_sendaddrv2_is_negotiated_between_version_and_verack(make_node, raw_peers):
    n0 = make_node("-disablewallet")
    teller = raw_peers(n0)
    teller.handshake()
    teller.send(p.Addr([p.TimedAddress(1_700_000_000, p.NetAddress(1, "10.1.2.3", 9999))]))
    teller.sync_with_ping()

    v2 = raw_peers(n0)
    v2.send(p.Version(p.PROTOCOL_VERSION, p.NODE_NETWORK, 0, p.NetAddress(), p.NetAddress(), 5, "/raw-peer:0.1/",
                      0, True))
    v2.wait_for("verack")
    commands = [m.command for m in v2.received]
    assert commands.index("version") < commands.index("sendaddrv2") < commands.index("verack")
    v2.send(p.Ping(1))  # before our verack: not answered, and nothing else leaks
    v2.send(p.GetAddr())
    v2.send(p.SendAddrV2())
    v2.send(p.Verack())
    v2.sync_with_ping()
    assert [m.command for m in v2.received].count("pong") == 1
    v2.send(p.GetAddr())
    answer = v2.wait_for("addrv2")
    assert [(a.address.host, a.address.port) for a in answer.addresses] == [("10.1.2.3", 9999)]

    late = raw_peers(n0)
    late.handshake()
    late.send(p.SendAddrV2())  # after verack: Dash disconnects
    assert late.wait_for_disconnect()
    n0.stop()
