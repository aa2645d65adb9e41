"""The script interpreter (P2PKH, P2SH, multisig, policy flags) and output descriptors, without a node."""

from __future__ import annotations

import pytest

from dashcore import descriptor, interpreter, script
from dashcore.crypto.hashes import hash160
from dashcore.crypto.keys import PrivateKey
from dashcore.primitives.transaction import OutPoint, Transaction, TxIn, TxOut
from dashcore.script import ScriptError

KEYS = [PrivateKey(bytes([i]) * 32) for i in (1, 2, 3)]


def _spending(script_sig: bytes = b"", version: int = 2, locktime: int = 0, sequence: int = 0xFFFFFFFE) -> Transaction:
    return Transaction((TxIn(OutPoint(b"\x11" * 32, 0), script_sig, sequence),), (TxOut(1000, b"\x51"),), version,
                       locktime=locktime)


def _with_sig(tx: Transaction, script_sig: bytes) -> Transaction:
    vin = (TxIn(tx.vin[0].prevout, script_sig, tx.vin[0].sequence),)
    return Transaction(vin, tx.vout, tx.version, locktime=tx.locktime)


def _sig(tx: Transaction, key: PrivateKey, script_code: bytes, hash_type: int = interpreter.SIGHASH_ALL) -> bytes:
    return key.sign(interpreter.signature_hash(tx, 0, script_code, hash_type)) + bytes([hash_type])


def test_p2pkh_signed_by_the_wallet_helper_verifies_and_a_wrong_key_does_not():
    spk = script.p2pkh(hash160(KEYS[0].pubkey))
    tx = _spending()
    signed = _with_sig(tx, script.sign_p2pkh(tx, 0, KEYS[0], spk))
    interpreter.verify_input(signed, 0, spk, interpreter.STANDARD_FLAGS)
    wrong = _with_sig(tx, script.sign_p2pkh(tx, 0, KEYS[1], spk))
    with pytest.raises(ScriptError, match="OP_EQUALVERIFY"):
        interpreter.verify_input(wrong, 0, spk)


def test_p2sh_op_true_as_the_test_framework_s_miniwallet_spends_it():
    redeem = bytes([script.OP_TRUE])
    spk = script.p2sh(hash160(redeem))
    interpreter.verify_input(_spending(script.push_data(redeem)), 0, spk, interpreter.STANDARD_FLAGS)
    with pytest.raises(ScriptError, match="false/empty top stack"):
        interpreter.verify_input(_spending(script.push_data(b"\x00")), 0, spk)
    # a scriptSig that is not push-only is refused for P2SH
    with pytest.raises(ScriptError, match="Only push operators"):
        interpreter.verify_input(_spending(bytes([script.OP_1, script.OP_DUP]) + script.push_data(redeem)), 0, spk)


def test_two_of_three_multisig_in_p2sh_needs_two_signatures_in_key_order():
    redeem = descriptor.multisig_script(2, [k.pubkey for k in KEYS])
    spk = script.p2sh(hash160(redeem))
    tx = _spending()
    s0, s2 = _sig(tx, KEYS[0], redeem), _sig(tx, KEYS[2], redeem)
    good = _with_sig(tx, b"\x00" + script.push_data(s0) + script.push_data(s2) + script.push_data(redeem))
    interpreter.verify_input(good, 0, spk, interpreter.STANDARD_FLAGS)
    swapped = _with_sig(tx, b"\x00" + script.push_data(s2) + script.push_data(s0) + script.push_data(redeem))
    with pytest.raises(ScriptError):
        interpreter.verify_input(swapped, 0, spk, interpreter.MANDATORY_FLAGS)
    one = _with_sig(tx, b"\x00" + script.push_data(s0) + b"\x00" + script.push_data(redeem))
    with pytest.raises(ScriptError, match="false/empty"):
        interpreter.verify_input(one, 0, spk, interpreter.MANDATORY_FLAGS)
    dummy = _with_sig(tx, b"\x51" + script.push_data(s0) + script.push_data(s2) + script.push_data(redeem))
    with pytest.raises(ScriptError, match="Dummy CHECKMULTISIG argument must be zero"):
        interpreter.verify_input(dummy, 0, spk, interpreter.MANDATORY_FLAGS)


def test_policy_flags_are_stricter_than_consensus():
    spk = bytes([script.OP_TRUE])
    # a non-minimal push is fine for consensus, not for relay
    tx = _spending(bytes([script.OP_PUSHDATA1, 1, 7]))
    interpreter.verify_input(tx, 0, spk, interpreter.MANDATORY_FLAGS)
    with pytest.raises(ScriptError, match="Data push larger than necessary"):
        interpreter.verify_input(tx, 0, spk, interpreter.STANDARD_FLAGS)
    # two items left: CLEANSTACK
    with pytest.raises(ScriptError, match="Stack size must be exactly one"):
        interpreter.verify_input(_spending(b"\x51"), 0, spk, interpreter.STANDARD_FLAGS)


def test_arithmetic_flow_control_and_lock_times():
    def run(program: bytes, tx: Transaction | None = None) -> list[bytes]:
        stack: list[bytes] = []
        interpreter.eval_script(stack, program, interpreter.MANDATORY_FLAGS,
                                interpreter.Checker(tx, 0) if tx else None)
        return stack
    assert run(bytes([0x52, 0x53, 0x93])) == [b"\x05"]  # 2 3 ADD
    assert run(bytes([0x51, 0x63, 0x55, 0x67, 0x56, 0x68])) == [b"\x05"]  # 1 IF 5 ELSE 6 ENDIF
    assert run(bytes([0x00, 0x63, 0x55, 0x67, 0x56, 0x68])) == [b"\x06"]
    with pytest.raises(ScriptError, match="Invalid OP_IF construction"):
        run(bytes([0x51, 0x63]))
    with pytest.raises(ScriptError, match="OP_RETURN was encountered"):
        run(bytes([0x6A]))
    with pytest.raises(ScriptError, match="disabled opcode"):
        run(bytes([0x51, 0x51, 0x7E]))
    cltv = script.push_int(100) + bytes([interpreter.OP_CHECKLOCKTIMEVERIFY])
    assert run(cltv, _spending(locktime=100)) == [script.script_num(100)]
    with pytest.raises(ScriptError, match="Locktime requirement not satisfied"):
        run(cltv, _spending(locktime=99))


def test_find_and_delete_matches_on_opcode_boundaries_only():
    sig = b"\x30" * 5
    pushed = script.push_data(sig)
    assert interpreter.find_and_delete(pushed + b"\xac" + pushed, pushed) == b"\xac"
    # the pattern inside another push is left alone
    inner = script.push_data(b"\x00" + pushed)
    assert interpreter.find_and_delete(inner, pushed) == inner


def test_descriptor_checksums_keys_and_expansion():
    # vectors of Dash's rpc_deriveaddresses.py
    tprv = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK"
    ranged = descriptor.parse(f"pkh({tprv}/1/1/*)#77vpsvm5", require_checksum=True)
    assert ranged.is_range and ranged.has_private and ranged.is_solvable
    assert [descriptor.script_address(ranged.scripts(i)[0]) for i in (1, 2)] == [
        "ydccVGNV2EcEouAxbbgdu8pi8gkdaqkiav", "yMENst4XYP3ZSNvsCEm587GbSSXZUfhpWG"]
    combo = descriptor.parse(f"combo({tprv}/1/1/0)")
    assert [descriptor.script_address(s) for s in combo.scripts()] == [
        "yZTyMdEJjZWJi6CwY6g3WurLESH3UsWrrM", "yZTyMdEJjZWJi6CwY6g3WurLESH3UsWrrM", "93EpXofs6W7eNiuj4gu2LJh8L8opowW1jz"]
    public = ranged.to_string()
    assert public.startswith("pkh(tpub") and "tprv" not in public
    assert descriptor.parse(public, require_checksum=True).scripts(5) == ranged.scripts(5)
    with pytest.raises(descriptor.DescriptorError, match="Missing checksum"):
        descriptor.parse("raw(51)", require_checksum=True)
    with pytest.raises(descriptor.DescriptorError, match="does not match computed checksum"):
        descriptor.parse("raw(51)#aaaaaaaa")
    with pytest.raises(descriptor.DescriptorError, match="'' is not a valid descriptor function"):
        descriptor.parse("")
    hardened = descriptor.parse(public.split("#")[0].replace("/1/1/*", "/1'/0"))
    with pytest.raises(descriptor.DescriptorError, match="Cannot derive script without private keys"):
        hardened.scripts()
