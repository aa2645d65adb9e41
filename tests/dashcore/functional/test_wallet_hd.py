"""HD wallets (Dash's default, -usehd): keys derived at m/44'/1'/0'/change/index, and what a restored backup finds."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal


def test_hd_paths_and_a_backup_restored_past_its_keypool(fresh_node):
    node = fresh_node
    node.start(["-keypool=5"])
    rpc = node.rpc
    rpc.createwallet(wallet_name="hd", load_on_startup=True)
    rpc.createwallet(wallet_name="payer", load_on_startup=True)
    hd, payer = node.wallet("hd"), node.wallet("payer")
    info = hd.getwalletinfo()
    assert info["hdaccountcount"] == 1 and len(info["hdchainid"]) == 64
    first = hd.getaddressinfo(hd.getnewaddress())
    assert first["hdkeypath"] == "m/44'/1'/0'/0/0" and first["hdchainid"] == info["hdchainid"]
    assert len(first["hdmasterfingerprint"]) == 8
    assert hd.getaddressinfo(hd.getrawchangeaddress())["hdkeypath"] == "m/44'/1'/0'/1/0"
    assert payer.getwalletinfo()["hdchainid"] != info["hdchainid"]  # a seed of its own
    rpc.generatetoaddress(101, payer.getnewaddress())

    wallet_file = os.path.join(node.net_dir, "wallets", "hd", "wallet.dat")
    node.stop()
    shutil.copyfile(wallet_file, wallet_file + ".bak")  # the keypool holds external keys 1..5
    node.start(["-keypool=5"])
    hd, payer = node.wallet("hd"), node.wallet("payer")
    addresses = [hd.getnewaddress() for _ in range(8)]  # keys 1..8
    assert hd.getaddressinfo(addresses[-1])["hdkeypath"] == "m/44'/1'/0'/0/8"
    payer.sendtoaddress(addresses[4], 10)  # key 5: in the backup's keypool
    rpc = node.rpc
    rpc.generatetoaddress(1, payer.getnewaddress())
    payer.sendtoaddress(addresses[7], 5)  # key 8: derived once key 5 is seen
    rpc.generatetoaddress(1, payer.getnewaddress())
    node.stop()
    shutil.copyfile(wallet_file + ".bak", wallet_file)
    node.start(["-keypool=5"])
    hd = node.wallet("hd")
    assert hd.getbalance() == Decimal("15")
    assert hd.getaddressinfo(hd.getnewaddress())["hdkeypath"] == "m/44'/1'/0'/0/9"
    node.stop()


def test_usehd_0_draws_keys_at_random(fresh_node):
    node = fresh_node
    node.start(["-usehd=0"])
    node.rpc.createwallet("plainkeys")
    w = node.wallet("plainkeys")
    assert "hdchainid" not in w.getwalletinfo()
    assert "hdkeypath" not in w.getaddressinfo(w.getnewaddress())
    node.stop()
