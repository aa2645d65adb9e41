"""The wallet directory: what listwalletdir finds, plain wallet files, -nowallet, paths that cannot be made."""

from __future__ import annotations

import os
import shutil

from ..framework import assert_raises_rpc_error


def test_wallet_files_and_nowallet(fresh_node):
    node = fresh_node
    node.start()
    rpc = node.rpc
    wallets = os.path.join(node.net_dir, "wallets")
    for name in ("a", "sub/b", "plain"):
        rpc.createwallet(wallet_name=name, load_on_startup=True)
    node.stop()
    # a wallet file on its own (not <name>/wallet.dat) is a wallet too; a link looping on itself is skipped
    os.rename(os.path.join(wallets, "plain", "wallet.dat"), os.path.join(wallets, "plainfile"))
    shutil.rmtree(os.path.join(wallets, "plain"))
    os.mkdir(os.path.join(wallets, "loop"))
    os.symlink("wallet.dat", os.path.join(wallets, "loop", "wallet.dat"))
    with open(os.path.join(wallets, "notes.txt"), "w") as f:
        f.write("not a wallet")

    # -nowallet: neither -wallet nor settings.json's list loads anything
    node.start(["-nowallet"])
    rpc = node.rpc
    assert rpc.listwallets() == []
    assert [w["name"] for w in rpc.listwalletdir()["wallets"]] == ["a", "plainfile", "sub/b"]
    rpc.loadwallet("plainfile")
    assert node.wallet("plainfile").getwalletinfo()["walletname"] == "plainfile"
    assert_raises_rpc_error(-1, "filesystem error: cannot create directories: Not a directory",
                            rpc.createwallet, "plainfile/bad")
    node.stop()
    with open(os.path.join(node.net_dir, "debug.log")) as f:
        assert "ListDatabases: Error scanning" in f.read()
