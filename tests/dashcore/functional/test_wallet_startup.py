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
