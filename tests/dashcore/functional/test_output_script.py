"""Output-script RPCs of the node (createmultisig, getdescriptorinfo, deriveaddresses, scantxoutset) and
spending P2SH outputs (anyone-can-spend and 2-of-3 multisig) through the mempool into a block."""

from __future__ import annotations

from decimal import Decimal

from dashcore import descriptor, interpreter, script
from dashcore.crypto.hashes import hash160
from dashcore.crypto.keys import PrivateKey
from dashcore.primitives.transaction import OutPoint, Transaction, TxIn, TxOut

from ..framework import assert_raises_rpc_error

KEYS = [PrivateKey(bytes([i + 7]) * 32) for i in range(3)]
OP_TRUE_REDEEM = bytes([script.OP_TRUE])


def _desc(body: str) -> str:
    return body + "#" + descriptor.checksum(body)


def test_createmultisig_and_descriptor_utilities(node):
    rpc = node.rpc
    pubs = [k.pubkey.hex() for k in KEYS]
    ms = rpc.createmultisig(2, pubs)
    redeem = bytes.fromhex(ms["redeemScript"])
    assert redeem == descriptor.multisig_script(2, [k.pubkey for k in KEYS])
    assert rpc.validateaddress(ms["address"])["scriptPubKey"] == script.p2sh(hash160(redeem)).hex()
    assert ms["descriptor"] == _desc(f"sh(multi(2,{','.join(pubs)}))")
    assert_raises_rpc_error(-5, "Invalid public key: 00", rpc.createmultisig, 1, ["00"])
    assert_raises_rpc_error(-8, "not enough keys supplied (got 1 keys, but need at least 2 to redeem)",
                            rpc.createmultisig, 2, pubs[:1])
    assert_raises_rpc_error(-8, "at least one key", rpc.createmultisig, 0, pubs)

    info = rpc.getdescriptorinfo(f"pkh({pubs[0]})")
    assert info == {"descriptor": _desc(f"pkh({pubs[0]})"), "checksum": descriptor.checksum(f"pkh({pubs[0]})"),
                    "isrange": False, "issolvable": True, "hasprivatekeys": False}
    assert rpc.getdescriptorinfo(f"pkh({KEYS[0].to_wif()})")["hasprivatekeys"] is True
    assert_raises_rpc_error(-5, "'foo(1)' is not a valid descriptor function", rpc.getdescriptorinfo, "foo(1)")

    assert rpc.deriveaddresses(_desc(f"sh(multi(2,{','.join(pubs)}))")) == [ms["address"]]
    assert_raises_rpc_error(-5, "Missing checksum", rpc.deriveaddresses, f"pkh({pubs[0]})")
    assert_raises_rpc_error(-8, "Range should not be specified for an un-ranged descriptor", rpc.deriveaddresses,
                            _desc(f"pkh({pubs[0]})"), 2)


def _fund(rpc, spk: bytes) -> tuple[OutPoint, int]:
    """A mature coinbase paying ``spk`` (mined to raw(spk), then buried 100 blocks)."""
    block = rpc.generatetodescriptor(1, _desc(f"raw({spk.hex()})"))[0]
    rpc.generatetoaddress(100, "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf")
    found = rpc.scantxoutset("start", [_desc(f"raw({spk.hex()})")])
    assert found["success"] and found["height"] == rpc.getblockcount()
    coinbase = rpc.getblock(block)["tx"][0]
    utxo = next(u for u in found["unspents"] if u["txid"] == coinbase)
    assert utxo["coinbase"] is True and utxo["scriptPubKey"] == spk.hex() and utxo["amount"] > 0
    return OutPoint(bytes.fromhex(utxo["txid"])[::-1], utxo["vout"]), int(utxo["amount"] * 100_000_000)


def test_p2sh_outputs_are_spent_through_mempool_and_block(node):
    rpc = node.rpc
    # anyone-can-spend P2SH, as Dash's MiniWallet uses it
    anyone = script.p2sh(hash160(OP_TRUE_REDEEM))
    outpoint, value = _fund(rpc, anyone)
    tx = Transaction((TxIn(outpoint, script.push_data(OP_TRUE_REDEEM)),), (TxOut(value - 10_000, anyone),))
    bad = Transaction((TxIn(outpoint, script.push_data(b"\x00")),), tx.vout)
    assert_raises_rpc_error(-26, "mandatory-script-verify-flag-failed (Script evaluated without error but finished "
                            "with a false/empty top stack element)", rpc.sendrawtransaction, bad.serialize().hex())
    assert rpc.sendrawtransaction(tx.serialize().hex()) == tx.txid_hex

    # 2-of-3 multisig P2SH signed with keys 0 and 2
    ms = rpc.createmultisig(2, [k.pubkey.hex() for k in KEYS])
    redeem = bytes.fromhex(ms["redeemScript"])
    spk = bytes.fromhex(rpc.validateaddress(ms["address"])["scriptPubKey"])
    outpoint, value = _fund(rpc, spk)
    unsigned = Transaction((TxIn(outpoint),), (TxOut(value - 10_000, anyone),))
    digest = interpreter.signature_hash(unsigned, 0, redeem, interpreter.SIGHASH_ALL)
    sigs = [KEYS[i].sign(digest) + b"\x01" for i in (0, 2)]
    one_sig = Transaction((TxIn(outpoint, b"\x00" + script.push_data(sigs[0]) + b"\x00" + script.push_data(redeem)),),
                          unsigned.vout)
    assert_raises_rpc_error(-26, "script-verify-flag", rpc.sendrawtransaction, one_sig.serialize().hex())
    signed = Transaction((TxIn(outpoint, b"\x00" + b"".join(script.push_data(s) for s in sigs)
                               + script.push_data(redeem)),), unsigned.vout)
    assert rpc.sendrawtransaction(signed.serialize().hex()) == signed.txid_hex
    block = rpc.generatetoaddress(1, "yYdShjQSptFKitYLksFEUSwHe4hnbar5rf")[0]
    assert signed.txid_hex in rpc.getblock(block)["tx"] and rpc.getrawmempool() == []
    assert rpc.getrawtransaction(tx.txid_hex, True)["confirmations"] > 1  # mined while funding the multisig
    assert rpc.gettxout(signed.txid_hex, 0)["value"] == Decimal(value - 10_000) / 100_000_000


def test_mining_to_descriptors(node):
    rpc = node.rpc
    pub = KEYS[1].pubkey
    pkh_address = rpc.deriveaddresses(_desc(f"pkh({pub.hex()})"))[0]
    for desc in (f"combo({pub.hex()})", f"pkh({pub.hex()})", _desc(f"addr({pkh_address})")):
        block = rpc.getblock(rpc.generateblock(desc, [])["hash"], 2)  # a combo pays its P2PKH
        assert block["tx"][0]["vout"][0]["scriptPubKey"]["address"] == pkh_address, desc
    block = rpc.getblock(blockhash=rpc.generatetodescriptor(1, f"pk({pub.hex()})")[0], verbose=2)
    assert block["tx"][0]["vout"][0]["scriptPubKey"]["hex"] == (script.push_data(pub) + b"\xac").hex()

    xpub = descriptor.ExtKey(0, bytes(4), 0, bytes(32), pub, None).encode(public=True)
    assert_raises_rpc_error(-8, "Ranged descriptor not accepted. Maybe pass through deriveaddresses first?",
                            rpc.generateblock, f"pkh({xpub}/0/*)", [])
    assert_raises_rpc_error(-5, "Cannot derive script without private keys", rpc.generateblock, f"pkh({xpub}/0')", [])
    assert_raises_rpc_error(-5, "Error: Invalid address or descriptor", rpc.generateblock, "1234", [])
    assert_raises_rpc_error(-5, "'foo(1)' is not a valid descriptor function", rpc.generatetodescriptor, 1, "foo(1)")
    assert_raises_rpc_error(-5, "Error: Invalid address", rpc.generatetoaddress, 1, "1234")
    assert_raises_rpc_error(-32601, "has been replaced by the -generate cli option", rpc.generate)
    assert rpc.help("generate") == ("generate\n\nhas been replaced by the -generate cli option. Refer to -help for "
                                    "more information.\n")
    assert "generate\n" not in rpc.help()
