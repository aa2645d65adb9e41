"""Which wallets load at startup: settings.json's list, and the unnamed wallet when nothing names a wallet."""

from __future__ import annotations

import json
import os


def _settings(node) -> dict:
    with open(os.path.join(node.net_dir, "settings.json")) as f:
        return json.load(f)


def test_unnamed_wallet_loads_when_no_wallet_is_named(fresh_node):
    node = fresh_node
    node.start()
    assert node.rpc.listwallets() == []
    node.rpc.createwallet(wallet_name="", load_on_startup=False)
    node.stop()
    node.start()
    # nothing names a wallet, the unnamed one exists: it loads, and settings.json is left as it was
    assert node.rpc.listwallets() == [""]
    assert _settings(node).get("wallet") == []

    # the implied list is the base of the next change to settings.json
    node.rpc.createwallet(wallet_name="w0", load_on_startup=True)
    assert _settings(node)["wallet"] == ["", "w0"]
    node.rpc.unloadwallet(wallet_name="", load_on_startup=False)
    node.stop()
    node.start()
    assert node.rpc.listwallets() == ["w0"]
    node.stop()


def test_a_wallet_loaded_after_a_reorg_to_a_shorter_chain_counts_depth_on_it(node):
    rpc = node.rpc
    rpc.createwallet("away")
    w = node.wallet("away")
    addr, other = w.getnewaddress(), w.getnewaddress()
    base = rpc.getblockcount()
    rpc.generatetoaddress(10, addr)
    rpc.unloadwallet("away")
    rpc.invalidateblock(rpc.getblockhash(base + 1))  # the wallet's best block leaves the chain
    [block] = rpc.generatetoaddress(1, other)  # another block than the one invalidated
    rpc.generatetoaddress(2, "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf")
    rpc.loadwallet("away")
    coinbase = rpc.getblock(block)["tx"][0]
    assert w.gettransaction(coinbase)["confirmations"] == 3  # not counted from the old chain's height
