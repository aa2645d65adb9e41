"""Consensus primitives: the regtest genesis block, serialization, X11, addresses, signatures, subsidy."""

from __future__ import annotations

import pytest

from dashcore import address, chainparams, script
from dashcore.amount import COIN
from dashcore.crypto import base58
from dashcore.crypto.hashes import hash160
from dashcore.crypto.keys import PrivateKey
from dashcore.primitives.block import Block, BlockHeader, hash_meets_target, merkle_root
from dashcore.primitives.serialize import DeserializationError
from dashcore.primitives.transaction import OutPoint, Transaction, TxIn, TxOut


def test_regtest_genesis():
    g = chainparams.GENESIS
    assert g.header.hash_hex == "000008ca1832a4baf228eb1553c03d3a2c8e02399550dd6ea8d65cec3ef23d2e"
    assert g.header.merkle_root[::-1].hex() == "e0028eb9648db56b1ac77cf090b99048a8007e2bb64b68f092c03c7f56a662c7"
    assert hash_meets_target(g.hash, g.header.bits)
    assert Block.from_bytes(g.serialize()) == g
    assert BlockHeader.from_bytes(g.header.serialize()).hash == g.hash


def test_transaction_round_trip_and_special_payload():
    tx = Transaction((TxIn(OutPoint(b"\x01" * 32, 3), b"\x51", 7),), (TxOut(5 * COIN, b"\x6a"),), version=1, locktime=9)
    assert Transaction.from_bytes(tx.serialize()) == tx
    special = Transaction(tx.vin, tx.vout, version=3, tx_type=5, extra_payload=b"payload")
    back = Transaction.from_bytes(special.serialize())
    assert back.tx_type == 5 and back.extra_payload == b"payload" and back.txid == special.txid != tx.txid
    with pytest.raises(DeserializationError):
        Transaction.from_bytes(tx.serialize() + b"\0")
    with pytest.raises(DeserializationError):
        Transaction.from_bytes(tx.serialize()[:-1])


def test_merkle_root_flags_duplicates():
    a, b, c = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
    assert merkle_root([a]) == (a, False)
    assert merkle_root([a, b, c])[0] == merkle_root([a, b, c, c])[0]
    assert merkle_root([a, b, c, c])[1] is True


def test_addresses_and_wif():
    key = PrivateKey(b"\x01" * 32)
    addr = address.from_pubkey_hash(hash160(key.pubkey))
    assert addr[0] == "y" and address.is_valid(addr)
    assert address.to_script(addr) == script.p2pkh(hash160(key.pubkey))
    assert address.from_script(address.to_script(addr)) == addr
    p2sh = address.from_script_hash(b"\x00" * 20)
    assert p2sh[0] in "89" and address.to_script(p2sh) == script.p2sh(b"\x00" * 20)
    assert not address.is_valid(addr[:-1] + ("1" if addr[-1] != "1" else "2"))
    mainnet = base58.encode_check(bytes([76]) + b"\x00" * 20)  # a mainnet X... address
    assert not address.is_valid(mainnet)
    wif = key.to_wif()
    assert wif[0] == "c" and PrivateKey.from_wif(wif).secret == key.secret


def test_p2pkh_signature_verifies_and_tampering_fails():
    key = PrivateKey(b"\x02" * 32)
    spk = script.p2pkh(hash160(key.pubkey))
    unsigned = Transaction((TxIn(OutPoint(b"\x05" * 32, 0)),), (TxOut(COIN, spk),))
    signed = Transaction((TxIn(unsigned.vin[0].prevout, script.sign_p2pkh(unsigned, 0, key, spk)),), unsigned.vout)
    script.verify_input(signed, 0, spk)
    changed = Transaction(signed.vin, (TxOut(COIN + 1, spk),))
    with pytest.raises(script.ScriptError, match="false/empty top stack element"):
        script.verify_input(changed, 0, spk)
    other = script.p2pkh(hash160(PrivateKey(b"\x03" * 32).pubkey))
    with pytest.raises(script.ScriptError, match="OP_EQUALVERIFY"):
        script.verify_input(signed, 0, other)


def test_subsidy_as_dash_regtest():
    assert chainparams.block_subsidy(0) == 500 * COIN
    assert chainparams.block_subsidy(149) == 500 * COIN
    assert chainparams.block_subsidy(150) == 500 * COIN - 500 * COIN // 14
    assert chainparams.block_subsidy(300) < chainparams.block_subsidy(299)


def test_script_asm_and_push_int():
    assert script.to_asm(script.p2pkh(b"\xab" * 20)) == "OP_DUP OP_HASH160 " + "ab" * 20 + " OP_EQUALVERIFY OP_CHECKSIG"
    assert script.push_int(1) == b"\x51" and script.push_int(0) == b"\x00" and script.push_int(200) == b"\x02\xc8\x00"
