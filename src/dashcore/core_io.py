"""JSON views of transactions and scripts shared by node and wallet RPCs (Bitcoin's core_write)."""

from __future__ import annotations

from . import address, descriptor, script
from .amount import to_decimal
from .primitives.transaction import Transaction


def script_to_json(script_pubkey: bytes, include_hex: bool = True) -> dict:
    """Bitcoin's ScriptToUniv: asm, desc, hex, address (none for a bare public key), type."""
    out = {"asm": script.to_asm(script_pubkey), "desc": descriptor.infer(script_pubkey)}
    if include_hex:
        out["hex"] = script_pubkey.hex()
    addr = address.from_script(script_pubkey)
    if addr is not None:
        out["address"] = addr
    out["type"] = script.script_type(script_pubkey)
    return out


def tx_to_json(tx: Transaction, include_hex: bool = True) -> dict:
    vin = []
    for txin in tx.vin:
        if tx.is_coinbase():
            vin.append({"coinbase": txin.script_sig.hex(), "sequence": txin.sequence})
        else:
            vin.append({"txid": txin.prevout.txid[::-1].hex(), "vout": txin.prevout.n,
                        "scriptSig": {"asm": script.to_asm(txin.script_sig, sighash_decode=True),
                                      "hex": txin.script_sig.hex()},
                        "sequence": txin.sequence})
    vout = [{"value": to_decimal(o.value), "valueSat": o.value, "n": n, "scriptPubKey": script_to_json(o.script_pubkey)}
            for n, o in enumerate(tx.vout)]
    out = {"txid": tx.txid_hex, "version": tx.version, "type": tx.tx_type, "size": tx.size,
           "locktime": tx.locktime, "vin": vin, "vout": vout}
    if tx.has_payload:
        out["extraPayloadSize"] = len(tx.extra_payload)
        out["extraPayload"] = tx.extra_payload.hex()
    if include_hex:
        out["hex"] = tx.serialize().hex()
    return out
