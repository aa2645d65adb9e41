"""Sending RPCs: sendtoaddress, sendmany, fundrawtransaction, walletcreatefundedpsbt, signrawtransactionwithwallet."""

from __future__ import annotations

from decimal import Decimal

from ...amount import money_range, to_decimal
from ...crypto.hashes import hash160
from ...interfaces import Coin, InterfaceError
from ...primitives.serialize import DeserializationError
from ...primitives.transaction import OutPoint, Transaction
from ...rpc.rawtx import construct_transaction
from ...rpc.util import (RPC_DESERIALIZATION_ERROR, RPC_INVALID_PARAMETER, RPC_TYPE_ERROR, RPC_WALLET_ERROR, Arg,
                         RPCError, parse_hash, parse_hex)
from .. import psbt
from ..ismine import ISMINE_WATCH_ONLY
from ..spend import FundRequest, fund, sign_transaction
from .common import amount_arg, check_unlocked, get_wallet, is_mine_filter, method, script_of, send_amount


@method("sendtoaddress", "wallet",
        [Arg("address", "str"), Arg("amount", "amount"), Arg("comment", "str", False, ""),
         Arg("comment_to", "str", False, ""), Arg("subtractfeefromamount", "bool", False, False),
         Arg("use_is", "bool", False, False), Arg("use_cj", "bool", False, False), Arg("conf_target", "int", False),
         Arg("estimate_mode", "str", False, "unset"), Arg("avoid_reuse", "bool", False, True),
         Arg("fee_rate", "any", False), Arg("verbose", "bool", False, False)],
        "Send an amount to a given address.")
def sendtoaddress(ctx, req, addr, amount, comment, comment_to, subtract, use_is, use_cj, conf_target, estimate_mode,
                  avoid_reuse, fee_rate, verbose):
    w = get_wallet(ctx, req)
    rate = fee_options(conf_target, estimate_mode, fee_rate)
    check_unlocked(w)
    spk = script_of(addr)
    duffs = send_amount(amount)
    _check_can_sign(w)
    with w.lock:
        tx, fee = w.create_transaction([(spk, duffs, subtract)], rate)
        w.commit_transaction(tx, comment, comment_to)
    w.sync_notifications()  # the receiving wallets show it when this returns
    if verbose:
        return {"txid": tx.txid_hex, "fee_reason": "Fallback fee"}
    return tx.txid_hex


def _check_can_sign(w) -> None:
    """sendtoaddress and sendmany always sign (Dash's SendMoney)."""
    if not w.private_keys_enabled:
        raise RPCError(RPC_WALLET_ERROR, "Error: Private keys are disabled for this wallet")


MAX_CONFIRM_TARGET = 1008  # Dash's fee estimator horizon (estimateMaxBlocks)
_FIXED_POINT_BOUND = 10 ** 18 - 1  # ParseFixedPoint's largest mantissa
ESTIMATE_MODES = ("unset", "economical", "conservative")


def _fee_rate_arg(fee_rate) -> int | None:
    """An explicit fee rate in duffs/B with at most 3 decimals (Dash's AmountFromValue(fee_rate, 3)), as
    duffs/kB."""
    if fee_rate is None:
        return None
    if isinstance(fee_rate, bool) or not isinstance(fee_rate, (int, float, str, Decimal)):
        raise RPCError(RPC_TYPE_ERROR, "Amount is not a number or string")
    try:
        value = Decimal(str(fee_rate))
    except ArithmeticError:
        raise RPCError(RPC_TYPE_ERROR, "Invalid amount") from None
    if not value.is_finite():
        raise RPCError(RPC_TYPE_ERROR, "Invalid amount")
    per_kb = value * 1000
    if per_kb != per_kb.to_integral_value() or abs(per_kb) > _FIXED_POINT_BOUND:
        raise RPCError(RPC_TYPE_ERROR, "Invalid amount")
    if not money_range(int(per_kb)):
        raise RPCError(RPC_TYPE_ERROR, "Amount out of range")
    return int(per_kb)


def fee_options(conf_target, estimate_mode, fee_rate) -> int | None:
    """Dash's SetFeeEstimateMode: the explicit fee rate (duffs/kB) if any, after checking the arguments."""
    if fee_rate is not None:
        if conf_target is not None:
            raise RPCError(RPC_INVALID_PARAMETER, "Cannot specify both conf_target and fee_rate. Please provide "
                           "either a confirmation target in blocks for automatic fee estimation, or an explicit fee "
                           "rate.")
        if estimate_mode is not None and estimate_mode != "unset":
            raise RPCError(RPC_INVALID_PARAMETER, "Cannot specify both estimate_mode and fee_rate")
        return _fee_rate_arg(fee_rate)
    if estimate_mode is not None and estimate_mode.lower() not in ESTIMATE_MODES:
        raise RPCError(RPC_INVALID_PARAMETER, 'Invalid estimate_mode parameter, must be one of: "unset", '
                       '"economical", "conservative"')
    if conf_target is not None and not 1 <= conf_target <= MAX_CONFIRM_TARGET:
        raise RPCError(RPC_INVALID_PARAMETER, f"Invalid conf_target, must be between 1 and {MAX_CONFIRM_TARGET}")
    return None


@method("sendmany", "wallet",
        [Arg("dummy", "str", False), Arg("amounts", "obj"), Arg("minconf", "int", False, 1), Arg("addlocked", "bool", False),
         Arg("comment", "str", False, ""), Arg("subtractfeefrom", "arr", False), Arg("use_is", "bool", False, False),
         Arg("use_cj", "bool", False, False), Arg("conf_target", "int", False), Arg("estimate_mode", "str", False),
         Arg("fee_rate", "any", False), Arg("verbose", "bool", False, False)],
        "Send multiple times. Amounts are double-precision floating point numbers.")
def sendmany(ctx, req, dummy, amounts, minconf, addlocked, comment, subtractfeefrom, use_is, use_cj, conf_target,
             estimate_mode, fee_rate, verbose):
    if dummy:  # required, yet Dash accepts it left out when later arguments are named
        raise RPCError(RPC_INVALID_PARAMETER, 'Dummy value must be set to ""')
    w = get_wallet(ctx, req)
    rate = fee_options(conf_target, estimate_mode, fee_rate)
    check_unlocked(w)
    recipients, seen = [], set()
    subtract = set(subtractfeefrom or [])
    for addr, value in amounts.items():
        spk = script_of(addr, f"Invalid Dash address: {addr}")
        if addr in seen:
            raise RPCError(RPC_INVALID_PARAMETER, f"Invalid parameter, duplicated address: {addr}")
        seen.add(addr)
        recipients.append((spk, send_amount(value), addr in subtract))
    _check_can_sign(w)
    with w.lock:
        tx, _fee = w.create_transaction(recipients, rate)
        w.commit_transaction(tx, comment)
    w.sync_notifications()  # the receiving wallets show it when this returns
    if verbose:
        return {"txid": tx.txid_hex, "fee_reason": "Fallback fee"}
    return tx.txid_hex


def _decode_tx(hexstring: str) -> Transaction:
    try:
        return Transaction.from_bytes(parse_hex(hexstring, "hexstring"))
    except (DeserializationError, RPCError):
        raise RPCError(RPC_DESERIALIZATION_ERROR, "TX decode failed") from None


_FUND_OPTIONS = {"add_inputs", "changeAddress", "changePosition", "includeWatching", "include_watching",
                 "lockUnspents", "feeRate",
                 "fee_rate", "subtractFeeFromOutputs", "conf_target", "estimate_mode", "minconf", "maxconf"}


@method("fundrawtransaction", "wallet", [Arg("hexstring", "hex"), Arg("options", "any", False)],
        "Add inputs to a transaction until it has enough in value to meet its out value.")
def fundrawtransaction(ctx, req, hexstring, options):
    w = get_wallet(ctx, req)
    tx = _decode_tx(hexstring)
    if options is None:
        options = {}
    elif isinstance(options, bool):
        options = {"includeWatching": options}
    elif not isinstance(options, dict):
        raise RPCError(-3, "JSON value of type " + type(options).__name__ + " is not of expected type object")
    funded = _fund_transaction(w, tx, options, add_inputs=True)
    return {"hex": funded.tx.serialize().hex(), "fee": to_decimal(funded.fee), "changepos": funded.change_pos}


@method("walletcreatefundedpsbt", "wallet",
        [Arg("inputs", "arr", False), Arg("outputs", "any"), Arg("locktime", "int", False, 0),
         Arg("options", "obj", False), Arg("bip32derivs", "bool", False, True)],
        "Creates and funds a transaction in the Partially Signed Transaction format.\n"
        "Implements the Creator and Updater roles.")
def walletcreatefundedpsbt(ctx, req, inputs, outputs, locktime, options, bip32derivs):
    w = get_wallet(ctx, req)
    tx = construct_transaction(inputs or [], outputs, locktime)
    # coins are chosen automatically unless some are given (options.add_inputs decides otherwise)
    funded = _fund_transaction(w, tx, options or {}, add_inputs=not tx.vin)
    with w.lock:
        data = psbt.fill(w, funded.tx, bip32derivs)
    return {"psbt": psbt.to_base64(data), "fee": to_decimal(funded.fee), "changepos": funded.change_pos}


def _fund_transaction(w, tx: Transaction, options: dict, add_inputs: bool):
    """Dash's FundTransaction with its options (minimum fee checks overridden, as its RPCs do)."""
    for key in options:
        if key not in _FUND_OPTIONS:
            raise RPCError(RPC_INVALID_PARAMETER, f"Invalid parameter, unknown key: {key}")
    change_script = None
    if "changeAddress" in options:
        change_script = script_of(options["changeAddress"], "Change address must be a valid Dash address")
    change_pos = options.get("changePosition")
    if change_pos is not None and (change_pos < -1 or change_pos > len(tx.vout)):
        raise RPCError(RPC_INVALID_PARAMETER, "changePosition out of bounds")
    if change_pos == -1:
        change_pos = None
    fee_rate = None
    if "feeRate" in options and "fee_rate" in options:
        raise RPCError(RPC_INVALID_PARAMETER, "Cannot specify both fee_rate (duff/B) and feeRate (DASH/kB)")
    if "feeRate" in options:
        fee_rate = amount_arg(options["feeRate"])
    elif "fee_rate" in options:
        fee_rate = _fee_rate_arg(options["fee_rate"])
    subtract = set()
    for i in options.get("subtractFeeFromOutputs", []):
        if not isinstance(i, int) or isinstance(i, bool):
            raise RPCError(-3, "Invalid parameter, subtract fee from output index must be a number")
        if i in subtract:
            raise RPCError(RPC_INVALID_PARAMETER, f"Invalid parameter, duplicated position: {i}")
        if i < 0:
            raise RPCError(RPC_INVALID_PARAMETER, f"Invalid parameter, negative position: {i}")
        if i >= len(tx.vout):
            raise RPCError(RPC_INVALID_PARAMETER, f"Invalid parameter, position too large: {i}")
        subtract.add(i)
    if not tx.vout:
        raise RPCError(RPC_INVALID_PARAMETER, "TX must have at least one output")
    with w.lock:
        req_ = FundRequest(list(tx.vout), list(tx.vin), subtract, change_pos, change_script, fee_rate,
                           _include_watching(w, options), bool(options.get("add_inputs", add_inputs)),
                           locktime=tx.locktime, version=tx.version, override_min_fee=True)
        try:
            funded = fund(w, req_, w.fee_policy)
        except InterfaceError as e:  # Dash's FundTransaction gives every error as -4
            raise RPCError(RPC_WALLET_ERROR, e.message) from None
        if options.get("lockUnspents"):
            for txin in funded.tx.vin:
                w.lock_coin(txin.prevout)
    return funded


def _include_watching(w, options: dict) -> bool:
    """include_watching (or includeWatching); by default only in wallets without private keys."""
    value = options.get("include_watching", options.get("includeWatching"))
    return bool(is_mine_filter(w, value) & ISMINE_WATCH_ONLY)


_SIGHASH = {"ALL": 1, "NONE": 2, "SINGLE": 3, "ALL|ANYONECANPAY": 0x81, "NONE|ANYONECANPAY": 0x82,
            "SINGLE|ANYONECANPAY": 0x83}


@method("signrawtransactionwithwallet", "wallet",
        [Arg("hexstring", "hex"), Arg("prevtxs", "arr", False), Arg("sighashtype", "str", False, "ALL")],
        "Sign inputs for raw transaction (serialized, hex-encoded).")
def signrawtransactionwithwallet(ctx, req, hexstring, prevtxs, sighashtype):
    w = get_wallet(ctx, req)
    tx = _decode_tx(hexstring)
    sighash = _SIGHASH.get(sighashtype)
    if sighash is None:
        raise RPCError(RPC_INVALID_PARAMETER, f"{sighashtype} is not a valid sighash parameter.")
    check_unlocked(w)
    with w.lock:
        spent = w.spent_scripts(tx)
        extra: list[bytes] = []
        coins = w.chain.find_coins([_coin(txin.prevout) for txin in tx.vin if txin.prevout not in spent]) \
            if any(txin.prevout not in spent for txin in tx.vin) else []
        for c in coins:
            if c.script_pubkey:
                spent[OutPoint(c.txid, c.n)] = c.script_pubkey
        for p in prevtxs or []:
            op = OutPoint(parse_hash(p.get("txid", ""), "txid"), p.get("vout", -1))
            spk = parse_hex(p.get("scriptPubKey", ""), "scriptPubKey")
            spent.setdefault(op, spk)
            if "redeemScript" in p:
                extra.append(parse_hex(p["redeemScript"], "redeemScript"))
        signed, errors = sign_transaction(_WithScripts(w, extra), tx, spent, sighash)
    out = {"hex": signed.serialize().hex(), "complete": not errors}
    if errors:
        out["errors"] = [{"txid": signed.vin[i].prevout.txid[::-1].hex(), "vout": signed.vin[i].prevout.n,
                          "scriptSig": signed.vin[i].script_sig.hex(), "sequence": signed.vin[i].sequence,
                          "error": err} for i, err in errors]
    return out


def _coin(op: OutPoint) -> Coin:
    return Coin(op.txid, op.n)


class _WithScripts:
    """The wallet as a signer, with redeem scripts given in the request added for this signing only."""

    def __init__(self, wallet, scripts: list[bytes]):
        self._w = wallet
        self._scripts = {hash160(s): s for s in scripts}

    def redeem_script(self, script_id: bytes) -> bytes | None:
        return self._w.redeem_script(script_id) or self._scripts.get(script_id)

    def private_key(self, key_id: bytes):
        return self._w.private_key(key_id)

    def pubkey_of(self, key_id: bytes) -> bytes | None:
        return self._w.pubkey_of(key_id)
