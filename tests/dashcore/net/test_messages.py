"""How one node answers single P2P messages from a raw peer: locators, address negotiation, and blocks that
are invalid in the ways Dash tells apart (mutated, invalid, from the future)."""

from __future__ import annotations

import os
import time

from dashcore import chainparams
from dashcore.node.net import protocol as p
from dashcore.node.validation import coinbase_height_prefix
from dashcore.primitives.block import Block, BlockHeader, hash_meets_target, merkle_root
from dashcore.primitives.transaction import NULL_HASH, NULL_INDEX, OutPoint, Transaction, TxIn, TxOut

from ..framework import assert_raises_rpc_error, free_port, wait_until

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
    told = {(f"20.1.2.{i}", 9999) for i in range(10)}
    for host, port in told:
        n0.rpc.addpeeraddress(host, port)

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
    got = {(a.address.host, a.address.port) for a in answer.addresses}
    assert len(got) == 2 and got <= told  # 23% of what is known

    late = raw_peers(n0)
    late.handshake()
    late.send(p.SendAddrV2())  # after verack: Dash disconnects
    assert late.wait_for_disconnect()
    n0.stop()


def _tx(tag: int) -> Transaction:
    return Transaction((TxIn(OutPoint(bytes([tag]) * 32, 0), b"\x51"),), (TxOut(1000, b"\x51"),))


def _block(node, txs=(), amount=None, time_offset=1, tag=0, parent=None) -> Block:
    """A block on the node's tip (or on ``parent``, a getblockheader result) paying ``amount`` (the subsidy by
    default) to OP_TRUE, nonce ground for regtest; ``txs`` follow the coinbase as given (the merkle root is of them,
    duplicates included)."""
    tip = parent or node.rpc.getblockheader(node.rpc.getbestblockhash())
    height = tip["height"] + 1
    value = chainparams.block_subsidy(tip["height"]) if amount is None else amount
    coinbase = Transaction((TxIn(OutPoint(NULL_HASH, NULL_INDEX), coinbase_height_prefix(height) + bytes([tag])),),
                           (TxOut(value, b"\x51"),))
    all_txs = (coinbase, *txs)
    root = merkle_root([t.txid for t in all_txs])[0]
    for nonce in range(1000):
        header = BlockHeader(0x20000000, bytes.fromhex(tip["hash"])[::-1], root, tip["time"] + time_offset,
                             chainparams.POW_LIMIT_BITS, nonce)
        if hash_meets_target(header.hash, header.bits):
            return Block(header, all_txs)
    raise AssertionError("no nonce")


def _debug_log(node) -> str:
    with open(os.path.join(node.net_dir, "debug.log"), errors="replace") as f:
        return f.read()


def _requested(peer, block: Block) -> bool:
    peer.wait_for("getdata", pred=lambda m: any(i.hash == block.hash for i in m.items))
    return True


def test_mutated_invalid_and_future_blocks(make_node, raw_peers):
    n0 = make_node("-disablewallet", "-whitelist=noban@127.0.0.1", "-debug=net")
    n0.rpc.generatetoaddress(1, ADDR)
    peer = raw_peers(n0)
    peer.handshake(start_height=1)

    # CVE-2012-2459: the last transaction twice leaves the header (and hash) as it was; the block is refused as
    # mutated, and the header is not taken as invalid: the same hash is asked for again
    mutated = _block(n0, (_tx(1), _tx(2), _tx(2)))
    assert mutated.hash == _block(n0, (_tx(1), _tx(2))).hash
    peer.send(p.Headers([mutated.header]))
    assert _requested(peer, mutated)
    peer.send(p.BlockMessage(mutated))
    peer.sync_with_ping()
    assert "is invalid: bad-txns-duplicate" in _debug_log(n0)
    asked = [m for m in peer.received if m.command == "getdata" and mutated.hash in m.payload]
    assert len(asked) == 2

    # an invalid block, then a sibling with the same work: the sibling is fetched and becomes the tip
    greedy = _block(n0, amount=chainparams.block_subsidy(1) + 1)
    peer.send(p.BlockMessage(greedy))
    peer.sync_with_ping()
    assert "bad-cb-amount" in _debug_log(n0)
    good = _block(n0, tag=1)
    peer.send(p.Headers([good.header]))
    assert _requested(peer, good)
    peer.send(p.BlockMessage(good))
    assert wait_until(lambda: n0.rpc.getbestblockhash() == good.header.hash_hex)

    # from too far in the future: not taken (Dash's reason in the log); once the clock has moved on, it is
    now = n0.rpc.getblockheader(good.header.hash_hex)["time"]
    n0.rpc.setmocktime(now)
    future = _block(n0, time_offset=chainparams.MAX_FUTURE_BLOCK_TIME + 1)
    peer.send(p.BlockMessage(future))
    peer.sync_with_ping()
    assert "time-too-new" in _debug_log(n0) and n0.rpc.getbestblockhash() == good.header.hash_hex
    n0.rpc.setmocktime(now + 1)
    peer.send(p.Headers([future.header]))
    assert _requested(peer, future)
    peer.send(p.BlockMessage(future))
    assert wait_until(lambda: n0.rpc.getbestblockhash() == future.header.hash_hex)
    n0.stop()


def _announced(peer, since: int) -> list[tuple[str, list[bytes]]]:
    out = []
    for raw in peer.received[since:]:
        if raw.command == "inv":
            out.append(("inv", [i.hash for i in p.decode(raw).items if i.type == p.MSG_BLOCK]))
        elif raw.command == "headers" and raw.payload != b"\0":
            out.append(("headers", [h.hash for h in p.decode(raw).headers]))
    return out


def test_blocks_are_announced_by_headers_only_when_they_connect_to_a_header_the_peer_has(make_node, raw_peers):
    n0 = make_node("-disablewallet")
    n0.rpc.generatetoaddress(1, ADDR)
    peer = raw_peers(n0)
    peer.handshake(start_height=1)
    peer.sync_with_ping()

    def mine_and_wait() -> tuple[bytes, list]:
        """Mine a block; every announcement the peer got until (and with) the one of it."""
        mark = len(peer.received)
        h = _hash(n0.rpc.generatetoaddress(1, ADDR)[0])
        deadline = time.monotonic() + 10
        while not any(h in hashes for _, hashes in _announced(peer, mark)):
            assert time.monotonic() < deadline, _announced(peer, mark)
            peer.read_some(0.2)
        return h, _announced(peer, mark)

    b2, seen = mine_and_wait()
    assert seen == [("inv", [b2])]  # no sendheaders yet
    peer.send(p.GetData([p.Inv(p.MSG_BLOCK, b2)]))
    peer.wait_for("block")
    peer.send(p.SendHeaders())
    peer.sync_with_ping()
    b3, seen = mine_and_wait()
    assert seen == [("inv", [b3])]  # fetching b2 did not tell the node the peer has b2's header
    peer.send(p.GetHeaders([b3]))  # an empty answer: from now on the node knows the peer has its tip's header
    peer.wait_for("headers", pred=lambda m: not m.headers)
    b4, seen = mine_and_wait()
    assert seen == [("headers", [b4])]

    # a block the peer announced (by headers) and delivered is not announced back to it
    mine = _block(n0, tag=7)
    peer.send(p.Headers([mine.header]))
    peer.wait_for("getdata", pred=lambda m: any(i.hash == mine.hash for i in m.items))
    peer.send(p.BlockMessage(mine))
    assert wait_until(lambda: n0.rpc.getbestblockhash() == mine.header.hash_hex)
    b6, seen = mine_and_wait()
    assert seen == [("headers", [b6])]
    n0.stop()


def test_without_peerbloomfilters_filter_and_mempool_messages_disconnect(make_node, raw_peers):
    n0 = make_node("-disablewallet", "-peerbloomfilters=0", "-deprecatedrpc=banscore")
    for command, payload in (("mempool", b""), ("filterload", b"\x01\xcc" + bytes(9)), ("filteradd", b"\x01\xcc"),
                             ("filterclear", b"")):
        peer = raw_peers(n0)
        peer.handshake()
        peer.sync_with_ping()
        peer.send_raw(p.frame(command, payload))
        assert peer.wait_for_disconnect(), command
    assert wait_until(lambda: n0.rpc.getconnectioncount() == 0)
    fine = raw_peers(n0)
    fine.handshake()
    fine.sync_with_ping()
    [info] = n0.rpc.getpeerinfo()
    assert info["banscore"] == 0  # shown with -deprecatedrpc=banscore
    n0.stop()


def test_with_peerbloomfilters_by_default_mempool_is_answered(make_node, raw_peers):
    n0 = make_node("-disablewallet")
    peer = raw_peers(n0)
    peer.handshake()
    peer.send_raw(p.frame("filterclear", b""))
    peer.send(p.MempoolRequest())
    peer.sync_with_ping()
    assert "banscore" not in n0.rpc.getpeerinfo()[0]
    n0.stop()


def test_stale_blocks_are_served_only_while_recent(make_node, raw_peers):
    # the clock jumps two months: with this -peertimeout neither silence nor our unanswered ping drops the peer
    n0 = make_node("-disablewallet", "-peertimeout=999999999")
    n0.rpc.setmocktime(int(time.time()) - 60 * 24 * 60 * 60)
    hashes = n0.rpc.generatetoaddress(3, ADDR)
    peer = raw_peers(n0)
    peer.handshake()
    fork1 = _block(n0, tag=1, parent=n0.rpc.getblockheader(hashes[0]))
    fork2 = _block(n0, tag=1, parent={"hash": fork1.header.hash_hex, "height": 2, "time": fork1.header.time})
    fork3 = _block(n0, tag=1, parent={"hash": fork2.header.hash_hex, "height": 3, "time": fork2.header.time})
    for b in (fork1, fork2, fork3):
        peer.send(p.BlockMessage(b))
    assert wait_until(lambda: n0.rpc.getbestblockhash() == fork3.header.hash_hex)
    stale = _hash(hashes[-1])

    def served(block_hash: bytes) -> tuple[bool, bool]:
        mark = len(peer.received)
        peer.send(p.GetData([p.Inv(p.MSG_BLOCK, block_hash)]))
        peer.send(p.GetHeaders([], block_hash))
        peer.sync_with_ping()
        got = peer.received[mark:]
        return (any(m.command == "block" and p.decode(m).block.hash == block_hash for m in got),
                any(m.command == "headers" and p.decode(m).headers for m in got))

    assert served(stale) == (True, True)  # off the main chain, but recent
    n0.rpc.setmocktime(0)
    n0.rpc.generatetoaddress(1, ADDR)  # the best header is now two months younger than the stale block
    assert served(stale) == (False, False)
    assert served(_hash(hashes[0])) == (True, True)  # as old, but on the main chain
    n0.stop()


def test_getaddr_is_answered_from_a_cache_per_socket(make_node, raw_peers):
    onion_port = free_port()
    n0 = make_node("-disablewallet", f"-bind=127.0.0.1:{onion_port}=onion")
    assert n0.rpc.addpeeraddress("10.0.0.1", 9999) == {"success": False}  # not routable
    for i in range(200):
        assert n0.rpc.addpeeraddress(f"20.{i}.1.1", 9999)["success"]
    assert len(n0.rpc.getnodeaddresses(0)) == 200
    [one] = n0.rpc.getnodeaddresses()
    assert one["port"] == 9999 and one["network"] == "ipv4" and one["services"] == p.NODE_NETWORK
    assert n0.rpc.getnodeaddresses(0, "ipv6") == []
    assert_raises_rpc_error(-8, "Network not recognized: tor", n0.rpc.getnodeaddresses, 1, "tor")
    assert_raises_rpc_error(-8, "Address count out of range", n0.rpc.getnodeaddresses, -1)

    def answer(port=None) -> list[tuple[str, int]]:
        peer = raw_peers(n0, port)
        peer.handshake()
        peer.send(p.GetAddr())
        msg = peer.wait_for("addr")
        peer.send(p.GetAddr())  # a second one is ignored
        peer.sync_with_ping()
        assert [m.command for m in peer.received].count("addr") == 1
        return [(a.address.host, a.address.port) for a in msg.addresses]

    first = answer()
    assert len(first) == 46  # 23% of what is known
    assert answer() == first
    through_onion = answer(onion_port)
    assert through_onion != first and answer(onion_port) == through_onion
    assert "onion" in {q["network"] for q in n0.rpc.getpeerinfo()}
    n0.stop()


ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
I2P = "c4gfnttsuwqomiygupdqqqyy5y5emnk5c73hrfvatri67prd7vyq.b32.i2p"


def _received_addrs(peer, command: str) -> set[str]:
    return {a.address.host for m in peer.received if m.command == command for a in p.decode(m).addresses}


def test_fresh_addresses_are_relayed_on_the_mock_clock_in_the_format_each_peer_takes(make_node, raw_peers):
    # the clock jumps half an hour: with this -peertimeout our unanswered pings drop no one
    n0 = make_node("-disablewallet", "-whitelist=addr@127.0.0.1", "-peertimeout=999999999")
    now = int(time.time())
    n0.rpc.setmocktime(now)
    v2 = raw_peers(n0)
    v2.send(p.Version(p.PROTOCOL_VERSION, p.NODE_NETWORK, now, p.NetAddress(), p.NetAddress(), 5, "/raw-peer:0.1/",
                      0, True))
    v2.wait_for("verack")
    v2.send(p.SendAddrV2())
    v2.send(p.Verack())
    v1 = raw_peers(n0)
    v1.handshake()
    for peer in (v2, v1):
        peer.send(p.GetAddr())  # takes part in address relay from now on
        peer.sync_with_ping()
    source = raw_peers(n0)
    source.handshake()
    sent = [p.TimedAddress(now, p.NetAddress(p.NODE_NETWORK, host, 9999)) for host in ("20.1.2.3", ONION, I2P)]
    source.send(p.AddrV2(sent))
    source.sync_with_ping()
    v2.sync_with_ping()
    assert not _received_addrs(v2, "addrv2")  # nothing before the send timer
    n0.rpc.setmocktime(now + 30 * 60)
    assert wait_until(lambda: v2.read_some(0.2) and _received_addrs(v2, "addrv2") == {"20.1.2.3", ONION, I2P})
    assert wait_until(lambda: v1.read_some(0.2) and _received_addrs(v1, "addr") == {"20.1.2.3"})
    source.sync_with_ping()
    assert not _received_addrs(source, "addrv2") and not _received_addrs(source, "addr")
    assert [a["address"] for a in n0.rpc.getnodeaddresses(0)] == ["20.1.2.3"]  # only networks we reach are kept
    n0.stop()


def test_addresses_from_a_peer_without_the_addr_permission_are_rate_limited(make_node, raw_peers):
    n0 = make_node("-disablewallet")
    now = int(time.time())
    n0.rpc.setmocktime(now)
    peer = raw_peers(n0)
    peer.handshake()
    peer.send(p.Addr([p.TimedAddress(now, p.NetAddress(p.NODE_NETWORK, f"20.1.2.{i}", 9999)) for i in range(5)]))
    peer.sync_with_ping()
    [info] = n0.rpc.getpeerinfo()
    assert (info["addr_processed"], info["addr_rate_limited"], info["addr_relay_enabled"]) == (1, 4, True)
    n0.rpc.setmocktime(now + 20)  # two more tokens
    peer.send(p.Addr([p.TimedAddress(now, p.NetAddress(p.NODE_NETWORK, f"20.1.3.{i}", 9999)) for i in range(5)]))
    peer.sync_with_ping()
    [info] = n0.rpc.getpeerinfo()
    assert (info["addr_processed"], info["addr_rate_limited"]) == (3, 7)
    n0.stop()


def test_a_transaction_is_given_only_to_peers_told_of_it_or_once_it_is_old(make_node, raw_peers):
    n0 = make_node()
    now = int(time.time())
    n0.rpc.setmocktime(now)
    n0.rpc.createwallet("w")
    w = n0.wallet("w")
    n0.rpc.generatetoaddress(101, w.getnewaddress())
    txid = w.sendtoaddress(w.getnewaddress(), 1)

    def quiet_peer():  # asks us not to announce transactions to it
        peer = raw_peers(n0)
        peer.send(p.Version(p.PROTOCOL_VERSION, p.NODE_NETWORK, now, p.NetAddress(), p.NetAddress(), 9,
                            "/raw-peer:0.1/", 0, False))
        peer.wait_for("verack")
        peer.send(p.Verack())
        return peer

    def ask(peer) -> str:
        mark = len(peer.received)
        peer.send(p.GetData([p.Inv(p.MSG_TX, _hash(txid))]))
        peer.sync_with_ping()
        got = [m.command for m in peer.received[mark:] if m.command in ("tx", "notfound")]
        assert len(got) == 1
        return got[0]

    stranger, asker = quiet_peer(), quiet_peer()
    assert ask(stranger) == "notfound"
    asker.send(p.MempoolRequest())
    asker.wait_for("inv", pred=lambda m: any(i.hash == _hash(txid) for i in m.items))
    assert ask(asker) == "tx"
    n0.rpc.setmocktime(now + 121)  # in the mempool for over two minutes: anyone may have it
    assert ask(stranger) == "tx"
    n0.stop()


def test_a_forcerelay_peer_has_known_transactions_relayed_again(make_node, raw_peers):
    n0 = make_node("-whitelist=forcerelay@127.0.0.1", "-debug=net")
    n0.rpc.createwallet("w")
    w = n0.wallet("w")
    n0.rpc.generatetoaddress(101, w.getnewaddress())
    txid = w.sendtoaddress(w.getnewaddress(), 1)
    raw = bytes.fromhex(n0.rpc.getrawtransaction(txid))
    gateway = raw_peers(n0)
    gateway.handshake()
    assert n0.rpc.getpeerinfo()[0]["permissions"] == ["forcerelay", "relay"]
    gateway.send_raw(p.frame("tx", raw))
    gateway.sync_with_ping()
    assert f"Force relaying tx {txid} from peer=0" in _debug_log(n0)
    changed = Transaction.from_bytes(raw)
    changed = Transaction(changed.vin, (TxOut(changed.vout[0].value + 1, changed.vout[0].script_pubkey),
                                        *changed.vout[1:]), changed.version)
    for _ in range(2):  # refused, then known as refused
        gateway.send(p.TxMessage(changed))
        gateway.sync_with_ping()
    assert f"Not relaying non-mempool transaction {changed.txid_hex} from forcerelay peer=0" in _debug_log(n0)
    n0.stop()
