"""Scripts as Dash writes them in JSON: asm (ScriptToAsmStr), the inferred descriptor, Solver's types."""

from __future__ import annotations

from dashcore import address, core_io, descriptor, script
from dashcore.crypto.hashes import hash160
from dashcore.crypto.keys import PrivateKey

KEY = PrivateKey(b"\x05" * 32)
PUB = KEY.pubkey


def test_asm_numbers_opcodes_and_errors():
    assert script.to_asm(bytes.fromhex("5100")) == "1 0"
    assert script.to_asm(bytes.fromhex("0320a107b175")) == "500000 OP_CHECKLOCKTIMEVERIFY OP_DROP"
    assert script.to_asm(bytes.fromhex("0181")) == "-1"  # a pushed number with its sign bit
    assert script.to_asm(bytes.fromhex("4c0101")) == "1"  # OP_PUSHDATA1 of one byte is still a number
    assert script.to_asm(bytes.fromhex("6163b3ba")) == "OP_NOP OP_IF OP_NOP4 OP_UNKNOWN"
    assert script.to_asm(bytes.fromhex("51" + "4c")) == "1 [error]"  # what parses, then the truncated push


def test_asm_decodes_a_signatures_hash_type_only_when_asked():
    der = KEY.sign(b"\x01" * 32)
    sig_script = script.push_data(der + b"\x82") + script.push_data(PUB)
    assert script.to_asm(sig_script, sighash_decode=True) == f"{der.hex()}[NONE|ANYONECANPAY] {PUB.hex()}"
    assert script.to_asm(sig_script) == (der + b"\x82").hex() + " " + PUB.hex()
    undefined = script.push_data(der + b"\x04")  # not a defined hash type: left as data
    assert script.to_asm(undefined, sighash_decode=True) == (der + b"\x04").hex()


def test_script_json_types_addresses_and_descriptors():
    p2pk = script.push_data(PUB) + bytes([script.OP_CHECKSIG])
    multi = descriptor.multisig_script(1, [PUB, PUB])
    p2pkh = script.p2pkh(hash160(PUB))
    cases = [
        (p2pk, "pubkey", None, f"pk({PUB.hex()})"),
        (p2pkh, "pubkeyhash", address.from_pubkey_hash(hash160(PUB)), None),
        (multi, "multisig", None, f"multi(1,{PUB.hex()},{PUB.hex()})"),
        (script.p2sh(hash160(multi)), "scripthash", address.from_script_hash(hash160(multi)), None),
        (bytes.fromhex("6a00"), "nulldata", None, "raw(6a00)"),
        (bytes.fromhex("6a61"), "nonstandard", None, "raw(6a61)"),  # OP_RETURN then a non-push
    ]
    for spk, kind, addr, desc in cases:
        out = core_io.script_to_json(spk)
        assert out["type"] == kind and out.get("address") == addr and out["hex"] == spk.hex(), kind
        body = desc or f"addr({addr})"
        assert out["desc"] == body + "#" + descriptor.checksum(body), kind
