"""The legacy wallet's address book, watch-only scripts, keypool gap and raw-transaction funding, over JSON-RPC."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal

from ..framework import assert_raises_rpc_error

from dashcore import address, script
from dashcore.crypto.hashes import hash160
from dashcore.primitives.transaction import Transaction, TxOut
from dashcore.wallet.ismine import multisig_script


def _funded(node, name: str):
    """A new wallet with 500 spendable DASH (one mature coinbase)."""
    node.rpc.createwallet(name)
    w = node.wallet(name)
    node.rpc.generatetoaddress(101, w.getnewaddress())
    return w


def test_watch_only_p2sh_and_labels(node):
    payer = _funded(node, "ws_payer")
    node.rpc.createwallet("ws_watcher")
    watcher = node.wallet("ws_watcher")
    pubkey = payer.getaddressinfo(payer.getnewaddress())["pubkey"]
    redeem = multisig_script(1, [bytes.fromhex(pubkey)])
    p2sh_address = address.from_script_hash(hash160(redeem))

    assert_raises_rpc_error(-5, "Cannot use the p2sh flag with an address - use a script instead",
                            watcher.importaddress, p2sh_address, "x", False, True)
    assert watcher.importaddress(redeem.hex(), "watchonly", False, True) is None
    info = watcher.getaddressinfo(p2sh_address)
    assert (info["ismine"], info["iswatchonly"], info["isscript"], info["labels"]) == (False, True, True, ["watchonly"])
    assert (info["script"], info["hex"], info["pubkeys"], info["sigsrequired"]) == ("multisig", redeem.hex(), [pubkey], 1)
    # the payer holds the key but not the redeem script: the P2SH is not its own
    assert payer.getaddressinfo(p2sh_address)["ismine"] is False

    txid = payer.sendtoaddress(p2sh_address, Decimal("0.1"))
    node.rpc.generatetoaddress(1, payer.getnewaddress())
    entries = watcher.listtransactions(label="watchonly", include_watchonly=True)
    assert [(e["txid"], e["category"], e["amount"], e["label"], e["involvesWatchonly"]) for e in entries] == \
        [(txid, "receive", Decimal("0.1"), "watchonly", True)]
    assert watcher.listtransactions(dummy="watchonly", include_watchonly=True) == entries
    assert watcher.listtransactions("watchonly", 100, 0, False) == []
    assert watcher.listtransactions() == []  # watch-only is left out by default
    assert_raises_rpc_error(-8, 'Label argument must be a valid label name or "*".', watcher.listtransactions, label="")
    balances = watcher.getbalances()
    assert balances["mine"]["trusted"] == 0 and balances["watchonly"]["trusted"] == Decimal("0.1")
    assert watcher.getbalance() == 0 and watcher.getbalance("*", 0, False, True) == Decimal("0.1")
    unspent = watcher.listunspent()
    assert [(u["txid"], u["spendable"], u["solvable"]) for u in unspent] == [(txid, False, True)]
    assert watcher.gettransaction(txid)["amount"] == 0
    assert watcher.gettransaction(txid, True)["amount"] == Decimal("0.1")


def test_keypool_gap_on_a_copied_wallet(node):
    payer = _funded(node, "gap_payer")
    node.rpc.createwallet("gap_a")
    a = node.wallet("gap_a")
    a.keypoolrefill(30)
    node.rpc.unloadwallet("gap_a")
    wallets = os.path.join(node.net_dir, "wallets")
    os.makedirs(os.path.join(wallets, "gap_b"))
    shutil.copyfile(os.path.join(wallets, "gap_a", "wallet.dat"), os.path.join(wallets, "gap_b", "wallet.dat"))
    node.rpc.loadwallet("gap_a")
    node.rpc.loadwallet("gap_b")
    b = node.wallet("gap_b")
    first, second, third = (a.getnewaddress(f"pizza{i}") for i in (1, 2, 3))
    payer.sendtoaddress(third, Decimal("0.001"))
    node.rpc.generatetoaddress(1, payer.getnewaddress())
    # the copy sees a key of its keypool used: it and the keys before it leave the keypool
    for addr in (first, second, third):
        assert b.getaddressinfo(addr)["labels"] == [""]
        assert b.getaddressinfo(addr)["ismine"] is True
    assert b.getnewaddress() not in (first, second, third)
    assert a.getaddressinfo(third)["labels"] == ["pizza3"]
    assert [e["amount"] for e in b.listtransactions()] == [Decimal("0.001")]


def test_fund_sign_and_send_raw(node):
    w = _funded(node, "raw_funder")
    data_out = TxOut(0, bytes([script.OP_RETURN]) + script.push_data(b"\xaa"))
    to = node.wallet("raw_funder").getnewaddress()
    raw = node.rpc.createrawtransaction([], [{"data": "aa"}, {to: 1}])
    assert raw == Transaction((), (data_out, TxOut(100_000_000, address.to_script(to)))).serialize().hex()
    funded = w.fundrawtransaction(raw)
    tx = Transaction.from_bytes(bytes.fromhex(funded["hex"]))
    assert len(tx.vout) == 3 and funded["changepos"] in (0, 1, 2) and funded["fee"] > 0
    assert tx.vout[funded["changepos"]].value == sum(o.value for o in tx.vout) - 100_000_000
    incomplete = w.signrawtransactionwithwallet(raw)
    assert incomplete["complete"] is True  # no inputs: nothing to sign
    signed = w.signrawtransactionwithwallet(funded["hex"])
    assert signed["complete"] is True and "errors" not in signed
    txid = node.rpc.sendrawtransaction(signed["hex"])
    entries = [e for e in w.listtransactions() if e["txid"] == txid]
    assert entries and all("address" not in e for e in entries if e["vout"] == tx.vout.index(data_out))
    assert_raises_rpc_error(-8, "Invalid parameter, unknown key: nonsense", w.fundrawtransaction, raw,
                            {"nonsense": 1})
    assert_raises_rpc_error(-22, "TX decode failed", w.fundrawtransaction, "00")


def test_lockunspent_keeps_coins_from_spending(node):
    w = _funded(node, "locker")
    coins = w.listunspent()
    assert len(coins) == 1
    outpoint = {"txid": coins[0]["txid"], "vout": coins[0]["vout"]}
    assert w.lockunspent(False, [outpoint]) is True
    assert w.listlockunspent() == [outpoint]
    assert_raises_rpc_error(-8, "Invalid parameter, output already locked", w.lockunspent, False, [outpoint])
    assert_raises_rpc_error(-6, "Insufficient funds", w.sendtoaddress, w.getnewaddress(), 1)
    assert w.lockunspent(True) is True and w.listlockunspent() == []
    assert w.sendtoaddress(w.getnewaddress(), 1)


def test_createrawtransaction(node):
    to = address.from_pubkey_hash(bytes(20))
    prev = "11" * 32
    raw = node.rpc.createrawtransaction([{"txid": prev, "vout": 3}], {to: "0.5", "data": "00ff"}, 1000)
    tx = Transaction.from_bytes(bytes.fromhex(raw))
    assert (tx.locktime, len(tx.vin), tx.vin[0].prevout.n, tx.vin[0].sequence) == (1000, 1, 3, 0xFFFFFFFE)
    assert tx.vin[0].prevout.txid == bytes.fromhex(prev)[::-1]
    assert [o.value for o in tx.vout] == [50_000_000, 0]
    assert tx.vout[1].script_pubkey == bytes([script.OP_RETURN]) + script.push_data(b"\x00\xff")
    decoded = node.rpc.decoderawtransaction(raw)
    assert decoded["vout"][0]["scriptPubKey"]["address"] == to
    seq = Transaction.from_bytes(bytes.fromhex(
        node.rpc.createrawtransaction([{"txid": prev, "vout": 0, "sequence": 7}], [])))
    assert seq.vin[0].sequence == 7 and seq.locktime == 0

    create = node.rpc.createrawtransaction
    assert_raises_rpc_error(-8, "Invalid parameter, missing vout key", create, [{"txid": prev}], {})
    assert_raises_rpc_error(-8, "Invalid parameter, vout cannot be negative", create, [{"txid": prev, "vout": -1}], {})
    assert_raises_rpc_error(-8, "Invalid parameter, sequence number is out of range", create,
                            [{"txid": prev, "vout": 0, "sequence": 2 ** 32}], {})
    assert_raises_rpc_error(-8, "txid must be of length 64", create, [{"txid": "ab", "vout": 0}], {})
    assert_raises_rpc_error(-5, "Invalid Dash address: nonsense", create, [], {"nonsense": 1})
    assert_raises_rpc_error(-8, f"Invalid parameter, duplicated address: {to}", create, [], [{to: 1}, {to: 2}])
    assert_raises_rpc_error(-8, "Invalid parameter, duplicate key: data", create, [], [{"data": "aa"}, {"data": "bb"}])
    assert_raises_rpc_error(-8, "Invalid parameter, key-value pair must contain exactly one key", create, [],
                            [{to: 1, "data": "aa"}])
    assert_raises_rpc_error(-8, "Invalid parameter, key-value pair not an object as expected", create, [], ["x"])
    assert_raises_rpc_error(-8, "Data must be hexadecimal string", create, [], {"data": "zz"})
    assert_raises_rpc_error(-3, "Amount out of range", create, [], {to: -1})
    assert_raises_rpc_error(-8, "Invalid parameter, locktime out of range", create, [], {}, 2 ** 32)


def test_address_groupings_and_multisig_addresses(node):
    node.rpc.createwallet("groups")
    w = node.wallet("groups")
    first, second = w.getnewaddress("coinbase"), w.getnewaddress("coinbase")
    node.rpc.generatetoaddress(1, first)
    node.rpc.generatetoaddress(101, second)
    mature = {u["address"]: u["amount"] for u in w.listunspent()}  # one mature coinbase each
    groups = w.listaddressgroupings()
    assert sorted(groups) == sorted([[[first, mature[first], "coinbase"]], [[second, mature[second], "coinbase"]]])

    # spending both coins at once (all of it, the fee taken from the amount) makes them one group
    elsewhere = address.from_pubkey_hash(bytes(range(20)))
    w.sendmany(amounts={elsewhere: w.getbalance()}, subtractfeefrom=[elsewhere])  # "dummy" left out, as Dash allows
    assert w.listaddressgroupings() == [sorted([[first, Decimal("0"), "coinbase"], [second, Decimal("0"), "coinbase"]])]
    assert_raises_rpc_error(-8, 'Dummy value must be set to ""', w.sendmany, "x", {elsewhere: 1})

    keys = [w.getnewaddress(), w.getnewaddress()]
    pubkeys = [w.getaddressinfo(k)["pubkey"] for k in keys]
    made = w.addmultisigaddress(2, [keys[0], pubkeys[1]], "shared")
    assert made == node.rpc.createmultisig(2, pubkeys)
    assert w.getaddressesbylabel("shared") == {made["address"]: {"purpose": "send"}}
    info = w.getaddressinfo(made["address"])
    assert (info["ismine"], info["script"], info["labels"]) == (True, "multisig", ["shared"])
    assert_raises_rpc_error(-5, f"no full public key for address {elsewhere}", w.addmultisigaddress, 1, [elsewhere])
    assert_raises_rpc_error(-5, f"'{made['address']}' does not refer to a key", w.addmultisigaddress, 1,
                            [made["address"]])
    assert_raises_rpc_error(-5, "Invalid address: nonsense", w.addmultisigaddress, 1, ["nonsense"])
    assert_raises_rpc_error(-8, "not enough keys supplied (got 1 keys, but need at least 2 to redeem)",
                            w.addmultisigaddress, 2, [keys[0]])


def test_persistent_locks_and_spent_coins_unlock(fresh_node):
    node = fresh_node
    node.start()
    w = _funded(node, "locks")
    coin = {k: w.listunspent()[0][k] for k in ("txid", "vout")}
    assert w.lockunspent(False) is True  # locking nothing is no error
    w.lockunspent(False, [coin])
    w.lockunspent(False, [coin], True)  # a memory lock made persistent
    assert_raises_rpc_error(-8, "Invalid parameter, output already locked", w.lockunspent, False, [coin])
    info = w.getwalletinfo()
    assert info["lastprocessedblock"] == {"hash": node.rpc.getbestblockhash(), "height": node.rpc.getblockcount()}
    assert w.getbalances()["lastprocessedblock"] == info["lastprocessedblock"]
    node.stop()
    node.start()
    node.rpc.loadwallet("locks")
    w = node.wallet("locks")
    assert w.listlockunspent() == [coin]
    w.lockunspent(True, [coin])
    node.stop()
    node.start()
    node.rpc.loadwallet("locks")
    w = node.wallet("locks")
    assert w.listlockunspent() == []

    # a transaction spending a locked coin (chosen by hand) unlocks it
    w.lockunspent(False, [coin], True)
    raw = node.rpc.createrawtransaction([coin], {w.getnewaddress(): 1})
    funded = w.fundrawtransaction(raw)
    node.rpc.sendrawtransaction(w.signrawtransactionwithwallet(funded["hex"])["hex"])
    assert w.listlockunspent() == []
    node.stop()


def _psbt_maps(data: bytes) -> list[dict[bytes, bytes]]:
    """The key-value maps of a serialized PSBT (global, then inputs, then outputs)."""
    from dashcore.primitives.serialize import Reader
    assert data[:5] == b"psbt\xff"
    r, maps, current = Reader(data[5:]), [], {}
    while not r.at_end():
        key = r.var_bytes()
        if not key:
            maps.append(current)
            current = {}
            continue
        current[key] = r.var_bytes()
    return maps


def test_watch_only_wallet_funds_a_psbt_but_cannot_send(node):
    import base64
    payer = _funded(node, "psbt_payer")
    node.rpc.createwallet(wallet_name="psbt_wo", disable_private_keys=True)
    wo = node.wallet("psbt_wo")
    watched, change = payer.getnewaddress(), payer.getnewaddress()
    for a in (watched, change):
        wo.importpubkey(payer.getaddressinfo(a)["pubkey"])
    txid = payer.sendtoaddress(watched, 1)
    node.rpc.generatetoaddress(1, payer.getnewaddress())
    to = payer.getnewaddress()
    message = "Error: Private keys are disabled for this wallet"
    assert_raises_rpc_error(-4, message, wo.sendtoaddress, to, Decimal("0.1"))
    assert_raises_rpc_error(-4, message, wo.sendmany, amounts={to: Decimal("0.1")})

    made = wo.walletcreatefundedpsbt([], [{to: Decimal("0.5")}], 0, {"changeAddress": change})
    maps = _psbt_maps(base64.b64decode(made["psbt"]))
    unsigned = Transaction.from_bytes(maps[0][b"\x00"])
    assert [i.prevout.txid[::-1].hex() for i in unsigned.vin] == [txid] and unsigned.vin[0].script_sig == b""
    assert maps[1][b"\x00"].hex() == payer.gettransaction(txid)["hex"]  # the previous transaction
    pub = bytes.fromhex(payer.getaddressinfo(watched)["pubkey"])
    assert maps[1][b"\x06" + pub] == hash160(pub)[:4]  # a key of its own: no HD origin
    assert len(maps) == 1 + 1 + len(unsigned.vout) and made["changepos"] in (0, 1)
    assert made["fee"] > 0
    assert_raises_rpc_error(-4, "Insufficient funds", wo.walletcreatefundedpsbt, [], [{to: Decimal("0.5")}], 0,
                            {"changeAddress": change, "includeWatching": False})
    raw = node.rpc.createrawtransaction([], [{to: Decimal("0.5")}])
    assert "hex" in wo.fundrawtransaction(raw, {"changeAddress": change})
    assert_raises_rpc_error(-4, "Insufficient funds", wo.fundrawtransaction, raw, {"includeWatching": False})


def test_sign_with_other_sighash_types(node):
    w = _funded(node, "sighash")
    for sighashtype in ("ALL|ANYONECANPAY", "NONE", "SINGLE|ANYONECANPAY"):
        raw = node.rpc.createrawtransaction([], {w.getnewaddress(): Decimal("1")})
        funded = w.fundrawtransaction(raw, {"changePosition": 1})
        signed = w.signrawtransactionwithwallet(funded["hex"], None, sighashtype)
        assert signed["complete"] is True
        sig = Transaction.from_bytes(bytes.fromhex(signed["hex"])).vin[0].script_sig
        assert sig[sig[0]] == {"ALL|ANYONECANPAY": 0x81, "NONE": 2, "SINGLE|ANYONECANPAY": 0x83}[sighashtype]
        node.rpc.sendrawtransaction(signed["hex"])  # the node's interpreter accepts the signature
    assert_raises_rpc_error(-8, "ALL|NOPE is not a valid sighash parameter.", w.signrawtransactionwithwallet,
                            funded["hex"], None, "ALL|NOPE")
