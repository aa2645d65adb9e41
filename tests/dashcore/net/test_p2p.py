"""P2P between real node processes: sync, relay, reorganisation, restart, misbehaving and stalling peers."""

from __future__ import annotations

import socket
import struct
from decimal import Decimal

from dashcore import chainparams
from dashcore.node.net import protocol as p
from dashcore.primitives.block import Block, BlockHeader, hash_meets_target
from dashcore.primitives.transaction import Transaction, TxIn, TxOut

from ..framework import assert_raises_rpc_error, wait_until
from .conftest import connect, disconnect, peers_of, sync_blocks


def test_three_nodes_sync_blocks_and_relay_a_transaction(make_node):
    n0, n1, n2 = make_node(), make_node(), make_node()
    n0.rpc.createwallet("w")
    w0 = n0.wallet("w")
    n0.rpc.generatetoaddress(101, w0.getnewaddress())
    connect(n1, n0)  # n0 <- n1 <- n2, as Dash's framework connects them
    connect(n2, n1)
    sync_blocks([n0, n1, n2])
    assert n2.rpc.getblockcount() == 101

    info = peers_of(n1, n0)[0]
    assert info["subver"] == "/Dash Core:23.1.2(testnode0)/" and info["addr"] == f"127.0.0.1:{n0.p2p_port}"
    assert info["synced_headers"] == 101 and info["synced_blocks"] == 101
    assert info["bytesrecv_per_msg"]["block"] > 0 and info["bytessent_per_msg"]["getdata"] > 0
    assert not {"feefilter", "wtxidrelay", "sendcmpct"} & set(info["bytesrecv_per_msg"])
    assert n1.rpc.getconnectioncount() == 2
    net = n1.rpc.getnetworkinfo()
    assert (net["connections"], net["connections_in"], net["connections_out"]) == (2, 1, 1)
    assert net["subversion"] == "/Dash Core:23.1.2(testnode1)/" and net["networkactive"] is True

    # a wallet transaction made on n0 reaches n2 through n1
    n2.rpc.createwallet("w")
    to = n2.wallet("w").getnewaddress()
    txid = w0.sendtoaddress(to, Decimal("3"))
    assert wait_until(lambda: txid in n2.rpc.getrawmempool(), 15)
    assert n2.wallet("w").getbalances()["mine"]["untrusted_pending"] == Decimal("3")

    # a block mined on n2 reaches n0 (announced as headers) and confirms the transaction everywhere
    n2.rpc.generatetoaddress(1, to)
    sync_blocks([n0, n1, n2])
    assert all(n.rpc.getrawmempool() == [] for n in (n0, n1, n2))
    assert w0.gettransaction(txid)["confirmations"] == 1
    for n in (n0, n1, n2):
        n.stop()


def test_longer_chain_makes_a_node_reorganise(make_node):
    n0, n1 = make_node(), make_node()
    n0.rpc.createwallet("w")
    w0 = n0.wallet("w")
    n0.rpc.generatetoaddress(101, w0.getnewaddress())
    connect(n1, n0)
    sync_blocks([n0, n1])
    disconnect(n1, n0)

    # split: n0 confirms a transaction in one block, n1 mines three
    txid = w0.sendtoaddress(w0.getnewaddress(), Decimal("1"))
    n0.rpc.generatetoaddress(1, w0.getnewaddress())
    short_tip = n0.rpc.getbestblockhash()
    long_tip = n1.rpc.generatetoaddress(3, "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf")[-1]

    connect(n0, n1)
    sync_blocks([n0, n1])
    assert n0.rpc.getbestblockhash() == long_tip and n0.rpc.getblockcount() == 104
    tips = {t["hash"]: t["status"] for t in n0.rpc.getchaintips()}
    assert tips[short_tip] == "valid-fork"
    # the transaction of the orphaned block is back in n0's mempool and relayed to n1
    assert txid in n0.rpc.getrawmempool()
    assert wait_until(lambda: txid in n1.rpc.getrawmempool(), 15)
    assert w0.gettransaction(txid)["confirmations"] == 0


def test_restarted_node_catches_up(make_node):
    n0, n1 = make_node(), make_node()
    n0.rpc.generatetoaddress(5, "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf")
    n0.rpc.addnode(f"127.0.0.1:{n1.p2p_port}", "add")  # n0 keeps reopening this connection
    assert_raises_rpc_error(-23, "Node already added", n0.rpc.addnode, f"127.0.0.1:{n1.p2p_port}", "add")
    sync_blocks([n0, n1])
    assert n0.rpc.getaddednodeinfo()[0]["connected"] is True

    n1.stop()
    n0.rpc.generatetoaddress(10, "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf")
    n1.start()
    assert n1.rpc.getblockcount() >= 5  # what it had on disk (n0 may already be reconnecting)
    sync_blocks([n0, n1])
    assert n1.rpc.getblockcount() == 15

    # and the other way: a node started with -connect catches up from its peer by itself
    n0.rpc.addnode(f"127.0.0.1:{n1.p2p_port}", "remove")
    n1.stop()
    n0.rpc.generatetoaddress(3, "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf")
    n1.start([f"-connect=127.0.0.1:{n0.p2p_port}"])
    sync_blocks([n0, n1])
    assert n1.rpc.getblockcount() == 18
    n1.stop()
    n0.stop()


def _block_on(node, bad_merkle: bool = False) -> Block:
    """A valid-looking block on the node's tip (with a broken merkle root if asked), nonce ground for regtest."""
    tip = node.rpc.getbestblockhash()
    template = Block.from_bytes(bytes.fromhex(node.rpc.getblock(tip, 0)))
    h = template.header
    root = bytes(32) if bad_merkle else h.merkle_root
    for nonce in range(1000):
        header = BlockHeader(h.version, bytes.fromhex(tip)[::-1], root, h.time + 1, h.bits, nonce)
        if hash_meets_target(header.hash, header.bits):
            return Block(header, template.txs)
    raise AssertionError("no nonce")


def test_misbehaving_peers_are_dropped_and_the_node_serves_the_others(make_node, raw_peers):
    n0, n1 = make_node("-disablewallet"), make_node("-disablewallet")
    n0.rpc.generatetoaddress(2, "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf")
    connect(n1, n0)
    sync_blocks([n0, n1])

    garbage = raw_peers(n0)
    garbage.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert garbage.wait_for_disconnect()

    oversized = raw_peers(n0)
    oversized.handshake()
    oversized.send_raw(p.MAGIC + b"block".ljust(12, b"\0") + struct.pack("<I", p.MAX_MESSAGE_SIZE + 1) + b"\0" * 4)
    assert oversized.wait_for_disconnect()

    # a wrong checksum: Dash drops the message and keeps the peer; the bytes count as *other*
    bad_sum = raw_peers(n0)
    bad_sum.handshake()
    wire = bytearray(p.Ping(1).to_bytes())
    wire[20] ^= 0xFF
    bad_sum.send_raw(bytes(wire))
    bad_sum.sync_with_ping()
    [info] = [q for q in n0.rpc.getpeerinfo() if q["subver"] == "/raw-peer:0.1/"]
    assert info["bytesrecv_per_msg"]["*other*"] == 32 and info["bytesrecv_per_msg"]["ping"] == 32

    # consensus-invalid block and transaction: disconnected (a local peer is not banned: it may come back)
    bad_block = raw_peers(n0)
    bad_block.handshake()
    bad_block.send(p.BlockMessage(_block_on(n0, bad_merkle=True)))
    assert bad_block.wait_for_disconnect()
    coinbase = Block.from_bytes(bytes.fromhex(n0.rpc.getblock(n0.rpc.getblockhash(1), 0))).txs[0]
    from dashcore.primitives.transaction import OutPoint
    prevout = OutPoint(coinbase.txid, 0)
    bad_tx = raw_peers(n0)
    bad_tx.handshake()
    bad_tx.send(p.TxMessage(Transaction((TxIn(prevout), TxIn(prevout)), (TxOut(1, b"\x51"),))))
    assert bad_tx.wait_for_disconnect()
    again = raw_peers(n0)
    again.handshake()
    again.sync_with_ping()

    assert n0.rpc.getblockcount() == 2 and n0.rpc.listbanned() == []
    # the others are still served: a new block reaches n1, the checksum peer gets it announced
    tip = n0.rpc.generatetoaddress(1, "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf")[0]
    sync_blocks([n0, n1])
    bad_sum.wait_for("inv", pred=lambda m: m.items[-1].hash == bytes.fromhex(tip)[::-1])
    assert peers_of(n0, n1) and peers_of(n1, n0)

    # setban disconnects and refuses; clearbanned lets it in again
    n0.rpc.setban("127.0.0.1", "add")
    assert bad_sum.wait_for_disconnect()
    assert [b["address"] for b in n0.rpc.listbanned()] == ["127.0.0.1/32"]
    refused = raw_peers(n0)
    assert refused.wait_for_disconnect()
    n0.rpc.clearbanned()
    connect(n1, n0)
    n0.stop()
    n1.stop()


def test_silent_and_stalling_peers_do_not_stall_sync(make_node, raw_peers):
    n0 = make_node("-disablewallet")
    hashes = n0.rpc.generatetoaddress(20, "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf")
    n1 = make_node("-disablewallet")

    silent = socket.create_connection(("127.0.0.1", n1.p2p_port))  # connects and never says a word
    try:
        # a peer that announces n0's chain and then never delivers a block
        staller = raw_peers(n1)
        staller.handshake(start_height=20)
        headers = [BlockHeader.from_bytes(bytes.fromhex(n0.rpc.getblockheader(h, False))) for h in hashes]
        staller.send(p.Headers(headers))
        staller.wait_for("getdata", pred=lambda m: any(i.type == p.MSG_BLOCK for i in m.items))
        assert n1.rpc.getpeerinfo()[-1]["inflight"]  # blocks wait on the staller

        # a peer that asks n0 for ~8 MB of blocks and never reads them
        hog = raw_peers(n0)
        hog.handshake()
        hog.send(p.GetData([p.Inv(p.MSG_BLOCK, bytes.fromhex(hashes[0])[::-1])] * p.MAX_INV_SIZE))

        connect(n1, n0)
        sync_blocks([n0, n1], timeout=20)
        assert staller.wait_for_disconnect()  # dropped as a staller once n0 could serve its blocks
        assert n1.rpc.getconnectioncount() == 2  # n0 and the silent one, still within its handshake time
    finally:
        silent.close()
    n1.stop()
    n0.stop()


def test_network_rpcs(make_node):
    n0, n1 = make_node("-disablewallet", "-bantime=1234"), make_node("-disablewallet")
    connect(n1, n0)
    n0.rpc.ping()
    assert wait_until(lambda: n0.rpc.getpeerinfo()[0]["bytessent_per_msg"]["ping"] >= 64)
    assert n0.rpc.getnettotals()["totalbytesrecv"] > 0
    assert_raises_rpc_error(-29, "Node not found", n0.rpc.disconnectnode, "127.0.0.1:1")
    peer = n0.rpc.getpeerinfo()[0]
    # both given is a params error even when the nodeid is not a number (Dash types it only once chosen)
    assert_raises_rpc_error(-32602, "Only one of address and nodeid should be provided.", n0.rpc.disconnectnode,
                            address=peer["addr"], nodeid=peer["addr"])
    assert_raises_rpc_error(-3, "not of expected type number", n0.rpc.disconnectnode, "", "1")
    onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
    n0.rpc.setban(onion, "add")
    n0.rpc.setban("10.1.1.1", "add")
    bans = n0.rpc.listbanned()
    assert [b["address"] for b in bans] == ["10.1.1.1/32", onion]
    assert {b["ban_duration"] for b in bans} == {1234}
    assert_raises_rpc_error(-23, "already banned", n0.rpc.setban, onion, "add")
    assert_raises_rpc_error(-30, "Invalid IP/Subnet", n0.rpc.setban, onion[:-7] + "a.onion", "add")
    n0.rpc.clearbanned()
    assert_raises_rpc_error(-24, "has not been added", n0.rpc.getaddednodeinfo, "127.0.0.1:1")
    assert n0.rpc.setnetworkactive(False) is False
    assert wait_until(lambda: n0.rpc.getconnectioncount() == 0 and n1.rpc.getconnectioncount() == 0)
    assert n0.rpc.getnetworkinfo()["networkactive"] is False
    n0.rpc.setnetworkactive(True)
    connect(n1, n0)
    n1.stop()
    n0.stop()


def test_orphan_transaction_waits_for_its_parent(make_node, raw_peers):
    n0, n1 = make_node(), make_node("-disablewallet")
    n0.rpc.createwallet("w")
    w0 = n0.wallet("w")
    n0.rpc.generatetoaddress(101, w0.getnewaddress())
    connect(n1, n0)
    sync_blocks([n0, n1])
    disconnect(n1, n0)
    # one mature coinbase: the second payment spends the first one's change
    parent = w0.sendtoaddress(w0.getnewaddress(), Decimal("1"))
    child = w0.sendtoaddress(w0.getnewaddress(), Decimal("2"))
    raw = {t: Transaction.from_bytes(bytes.fromhex(n0.rpc.getrawtransaction(t))) for t in (parent, child)}
    assert raw[child].vin[0].prevout.txid == raw[parent].txid

    peer = raw_peers(n1)
    peer.handshake()
    peer.send(p.TxMessage(raw[child]))
    asked = peer.wait_for("getdata", pred=lambda m: m.items == [p.Inv(p.MSG_TX, raw[parent].txid)])
    assert asked is not None and n1.rpc.getrawmempool() == []
    peer.send(p.TxMessage(raw[parent]))
    assert wait_until(lambda: sorted(n1.rpc.getrawmempool()) == sorted([parent, child]))
    n1.stop()
    n0.stop()
