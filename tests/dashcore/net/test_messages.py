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
