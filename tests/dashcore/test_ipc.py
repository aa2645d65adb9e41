"""dashcore.ipc in one process over a socketpair: values both ways, errors, callbacks, identity, a peer going."""

from __future__ import annotations

import socket
import threading

import pytest

import mpipc
from dashcore.interfaces import (BlockInfo, CallbackHandler, ChainNotifications, Coin, Echo, FoundBlock, Init,
                                 InterfaceError, RpcCommand, RpcReply, RpcRequest, WalletBalances)
from dashcore.ipc import process
from dashcore.ipc.peer import PeerChain
from dashcore.rpc.server import RpcTable
from dashcore.rpc.util import RPCError
from dashcore.util.args import ArgsManager, Option


class FakeChain:
    """The Chain methods these tests use (served duck-typed, as PeerChain is)."""

    def __init__(self):
        self.rpc = RpcTable()
        self.rpc.set_ready()
        self.subscribers: list = []
        self.seen_threads: list = []

    def get_height(self):
        return None

    def find_block(self, block_hash, want_data=False):
        return FoundBlock(True, block_hash, 7, 1234, 1200, True, b"data" if want_data else b"")

    def find_coins(self, outpoints):
        return [Coin(c.txid, c.n, True, 5, b"\x51", 3, False) for c in outpoints]

    def handle_rpc(self, command: RpcCommand):
        return self.rpc.register(command)

    def handle_notifications(self, notifications: ChainNotifications):
        self.subscribers.append(notifications)
        return CallbackHandler(lambda: self.subscribers.remove(notifications))

    def request_mempool_transactions(self, notifications):
        self.seen_threads.append(threading.current_thread())
        notifications.transaction_added_to_mempool(b"tx")

    def broadcast_transaction(self, tx, max_tx_fee, relay):
        if tx == b"bad":
            raise ValueError("not a transaction")
        return ""


class Listener(ChainNotifications):
    def __init__(self):
        self.events: list = []
        self.threads: list = []

    def transaction_added_to_mempool(self, tx):
        self.events.append(("added", tx))
        self.threads.append(threading.current_thread())

    def transaction_removed_from_mempool(self, tx, reason):
        self.events.append(("removed", tx, reason))

    def block_connected(self, block):
        self.events.append(("connected", block))

    def block_disconnected(self, block):
        self.events.append(("disconnected", block))

    def updated_block_tip(self):
        self.events.append(("tip",))

    def chain_state_flushed(self, locator):
        self.events.append(("flushed", locator))


class NodeSideInit:
    """What a node serves: its Chain (wrapped as for a peer); remembers what construct brought."""

    def __init__(self, chain):
        self.chain = chain
        self.constructed = None

    def ipc_construct(self, global_args):
        self.constructed = global_args

    def make_echo(self) -> Echo:
        class E(Echo):
            def echo(self, echo):
                return echo
        return E()

    def make_node(self):
        return None

    def make_chain(self):
        return PeerChain(self.chain, "the peer has gone")

    def make_wallet_loader(self, chain):
        if chain is None:
            return None
        assert chain.get_height() is None  # our own PeerChain came back: a call on it is local
        return FakeLoader(chain)


@pytest.fixture
def pair():
    """(node-side NodeSideInit, the other side's Init client, the two connections)."""
    a, b = socket.socketpair()
    served = NodeSideInit(FakeChain())
    node_conn = mpipc.Connection(a, bootstrap=process.init_server(served), name="node")
    wallet_conn = mpipc.Connection(b, name="wallet")
    try:
        args = ArgsManager([Option("datadir"), Option("regtest"), Option("debug"), Option("wallet")])
        args.parse_command_line(["-regtest", "-debug=ipc", "-wallet=a", "-wallet=b", "-datadir=/"])
        init = process.init_client(wallet_conn, args)
        yield served, init, node_conn, wallet_conn
    finally:
        wallet_conn.close()
        node_conn.close()


def test_construct_carries_the_options(pair):
    served, init, _, _ = pair
    assert isinstance(init, Init) and init.make_echo().echo("hi") == "hi"
    args = ArgsManager([Option("datadir"), Option("regtest"), Option("wallet"), Option("keypool")])
    process.load_global_args(args, served.constructed)
    assert args.get_list("wallet") == ["a", "b"] and args.get_bool("regtest") and args.datadir() == "/"
    assert init.make_node() is None and init.make_wallet_loader(None) is None


def test_values_both_ways(pair):
    _, init, _, _ = pair
    chain = init.make_chain()
    assert chain.get_height() is None
    found = chain.find_block(b"\x01" * 32, want_data=True)
    assert found == FoundBlock(True, b"\x01" * 32, 7, 1234, 1200, True, b"data")
    assert chain.find_block(b"\x02" * 32).data == b""
    assert chain.find_coins([Coin(b"\x03" * 32, 1)]) == [Coin(b"\x03" * 32, 1, True, 5, b"\x51", 3, False)]
    with pytest.raises(mpipc.RemoteError) as info:
        chain.broadcast_transaction(b"bad", 0, True)
    assert info.value.type_name == "ValueError"


def test_rpc_commands_and_a_peer_that_goes(pair):
    served, init, _, wallet_conn = pair
    chain = init.make_chain()
    calls = []

    def actor(request: RpcRequest) -> RpcReply:
        calls.append(request)
        if request.method == "boom":
            raise KeyError("oops")
        return RpcReply('{"balance": 1}')
    handler = chain.handle_rpc(RpcCommand("wallet", "getbalance", ["minconf"], "getbalance ...", actor))
    chain.handle_rpc(RpcCommand("wallet", "boom", [], "boom", actor))
    table = served.chain.rpc
    assert table.execute("getbalance", [1], "/wallet/w") == '{"balance": 1}'
    assert calls[0] == RpcRequest("getbalance", "[1]", "/wallet/w", "")
    with pytest.raises(RPCError) as info:
        table.execute("boom", [])
    assert (info.value.code, info.value.message) == (-32603, "Internal error: KeyError: 'oops'")
    handler.disconnect()
    with pytest.raises(RPCError) as info:
        table.execute("getbalance", [])
    assert info.value.code == -32601
    chain.handle_rpc(RpcCommand("wallet", "getbalance", [], "", actor))
    wallet_conn.close()  # the peer goes: its commands answer a clear error at once
    with pytest.raises(RPCError) as info:
        table.execute("getbalance", [])
    assert (info.value.code, info.value.message) == (-1, "the peer has gone")


def test_notifications_callbacks_on_the_calling_thread_and_identity(pair):
    served, init, _, wallet_conn = pair
    chain = init.make_chain()
    listener = Listener()
    handler = chain.handle_notifications(listener)
    [sub] = served.chain.subscribers
    block = BlockInfo(b"\x04" * 32, b"\x05" * 32, 9, 99, b"raw")
    sub.block_connected(block)
    sub.transaction_removed_from_mempool(b"tx", "conflict")
    sub.chain_state_flushed([b"\x06" * 32])
    assert listener.events == [("connected", block), ("removed", b"tx", "conflict"), ("flushed", [b"\x06" * 32])]
    # a callback made while serving our call runs on the thread that called
    chain.request_mempool_transactions(listener)
    assert listener.events[-1] == ("added", b"tx") and listener.threads[-1] is threading.current_thread()
    handler.disconnect()
    assert served.chain.subscribers == []
    handler = chain.handle_notifications(listener)
    [sub] = served.chain.subscribers
    wallet_conn.close()
    sub.updated_block_tip()  # the peer is gone: the subscription removes itself
    assert served.chain.subscribers == []
    handler.disconnect()  # and disconnecting it on the gone side is quiet


class FakeWallet:
    def get_new_destination(self, label):
        raise InterfaceError("Error: This wallet has no available keys", -4)

    def get_balances(self):
        return WalletBalances(1, 2, 3)


class FakeLoader:
    def __init__(self, chain):
        self.chain = chain

    def get_wallets(self):
        return [FakeWallet()]

    def load_wallet(self, name, load_on_startup):
        assert load_on_startup is None
        raise InterfaceError("Wallet file verification failed. Path does not exist", -18)


def test_interface_error_lists_of_objects_and_optional_params(pair):
    _, init, _, _ = pair
    chain = init.make_chain()
    loader = init.make_wallet_loader(chain)
    [wallet] = loader.get_wallets()
    with pytest.raises(InterfaceError) as info:
        wallet.get_new_destination("x")
    assert (info.value.message, info.value.code) == ("Error: This wallet has no available keys", -4)
    assert wallet.get_balances() == WalletBalances(1, 2, 3)
    with pytest.raises(InterfaceError) as info:
        loader.load_wallet("missing", None)
    assert info.value.code == -18
