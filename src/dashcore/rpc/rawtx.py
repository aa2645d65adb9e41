"""A transaction from createrawtransaction's inputs, outputs and locktime (Dash's ConstructTransaction),
shared by the node's createrawtransaction and the wallet's walletcreatefundedpsbt."""

from __future__ import annotations

from decimal import Decimal

from .. import address
from ..primitives.transaction import OutPoint, Transaction, TxIn, TxOut
from ..script import OP_RETURN, push_data
from .util import (RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_TYPE_ERROR, RPCError, amount_arg,
                   json_type_name, parse_hash, parse_hex)

LOCKTIME_MAX = 0xFFFFFFFF
SEQUENCE_FINAL = 0xFFFFFFFF


def construct_transaction(inputs, outputs, locktime: int) -> Transaction:
    if not isinstance(outputs, (list, dict)):
        raise RPCError(RPC_TYPE_ERROR, f"JSON value of type {json_type_name(outputs)} is not of expected type array")
    if not 0 <= locktime <= LOCKTIME_MAX:
        raise _invalid("locktime out of range")
    return Transaction(tuple(_inputs(inputs, locktime)), tuple(_outputs(outputs)), locktime=locktime)


def _invalid(what: str) -> RPCError:
    return RPCError(RPC_INVALID_PARAMETER, "Invalid parameter, " + what)


def _inputs(inputs: list, locktime: int) -> list[TxIn]:
    vin = []
    for entry in inputs:
        if not isinstance(entry, dict):
            raise RPCError(RPC_TYPE_ERROR, f"JSON value of type {json_type_name(entry)} is not of expected type object")
        txid = entry.get("txid")
        if not isinstance(txid, str):
            raise RPCError(RPC_TYPE_ERROR, f"JSON value of type {json_type_name(txid)} is not of expected type string")
        prev = parse_hash(txid, "txid")
        vout = entry.get("vout")
        if isinstance(vout, bool) or not isinstance(vout, (int, Decimal)):
            raise _invalid("missing vout key")
        if vout < 0:
            raise _invalid("vout cannot be negative")
        sequence = SEQUENCE_FINAL - 1 if locktime else SEQUENCE_FINAL
        given = entry.get("sequence")
        if isinstance(given, (int, Decimal)) and not isinstance(given, bool):
            if not 0 <= given <= SEQUENCE_FINAL:
                raise _invalid("sequence number is out of range")
            sequence = int(given)
        vin.append(TxIn(OutPoint(prev, int(vout)), b"", sequence))
    return vin


def _outputs(outputs: list | dict) -> list[TxOut]:
    if isinstance(outputs, list):
        pairs = []
        for entry in outputs:
            if not isinstance(entry, dict):
                raise _invalid("key-value pair not an object as expected")
            if len(entry) != 1:
                raise _invalid("key-value pair must contain exactly one key")
            pairs.extend(entry.items())
    else:
        pairs = list(outputs.items())
    vout, scripts, has_data = [], set(), False
    for key, value in pairs:
        if key == "data":
            if has_data:
                raise _invalid("duplicate key: data")
            has_data = True
            data = parse_hex(value if isinstance(value, str) else str(value), "Data")
            vout.append(TxOut(0, bytes([OP_RETURN]) + push_data(data)))
            continue
        try:
            script_pubkey = address.to_script(key)
        except address.InvalidAddress:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, f"Invalid Dash address: {key}") from None
        if script_pubkey in scripts:
            raise _invalid(f"duplicated address: {key}")
        scripts.add(script_pubkey)
        vout.append(TxOut(amount_arg(value), script_pubkey))
    return vout
