"""Spending: fee rates, coin selection, funding a transaction with inputs and change, and signing."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from .. import script
from ..crypto.hashes import hash160
from ..interfaces import InterfaceError
from ..interpreter import signature_hash
from ..primitives.serialize import compact_size
from ..primitives.transaction import OutPoint, Transaction, TxIn, TxOut
from ..util import time as clock
from .ismine import solve

RPC_WALLET_ERROR = -4
RPC_WALLET_INSUFFICIENT_FUNDS = -6

DUST_RELAY_FEE = 3000  # duffs per kB (Dash's DUST_RELAY_TX_FEE)
MIN_RELAY_FEE = 1000  # duffs per kB (DEFAULT_MIN_RELAY_TX_FEE)
DEFAULT_FALLBACK_FEE = 1000
DEFAULT_TRANSACTION_MINFEE = 1000
DEFAULT_MAX_TX_FEE = 10_000_000  # 0.1 DASH
DEFAULT_DISCARD_FEE = 10_000  # duffs per kB (0.0001 DASH/kB)
SEQUENCE_FINAL = 0xFFFFFFFF
SIGHASH_ALL = 1
DUMMY_SIG_SIZE = 72  # DER signature with its sighash byte, as Bitcoin's dummy signer makes it


@dataclass
class FeePolicy:
    """The wallet's fee options (-paytxfee/settxfee, -fallbackfee, -mintxfee, -maxtxfee) and the node's
    relay fee, in duffs (per kB for rates)."""

    pay_tx_fee: int = 0
    fallback_fee: int = DEFAULT_FALLBACK_FEE
    min_tx_fee: int = DEFAULT_TRANSACTION_MINFEE
    max_tx_fee: int = DEFAULT_MAX_TX_FEE
    relay_fee: int = MIN_RELAY_FEE  # the node's -minrelaytxfee
    discard_rate: int = DEFAULT_DISCARD_FEE  # -discardfee

    def rate(self, explicit: int | None = None) -> int:
        """Bitcoin's GetMinimumFeeRate with no fee estimates (regtest): duffs per kB."""
        if explicit is not None:
            return explicit
        if self.pay_tx_fee:
            rate = self.pay_tx_fee
        elif self.fallback_fee:
            rate = self.fallback_fee
        else:
            raise InterfaceError("Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable "
                                 "-fallbackfee.", RPC_WALLET_INSUFFICIENT_FUNDS)
        return max(rate, self.min_tx_fee, self.relay_fee)


def duff_per_byte(rate: int) -> str:
    """A rate in duffs/kB as CFeeRate::ToString shows it in duff/B ("1.000 duff/B")."""
    return f"{rate // 1000}.{rate % 1000:03d} duff/B"


def fee_for(rate: int, size: int) -> int:
    """The fee at ``rate`` duffs/kB for ``size`` bytes, rounded up (Bitcoin's CFeeRate::GetFee)."""
    return math.ceil(rate * size / 1000) if size else 0


def dust_threshold(out: TxOut, rate: int = DUST_RELAY_FEE) -> int:
    """Bitcoin's GetDustThreshold at ``rate`` duffs/kB."""
    if solve(out.script_pubkey)[0] == "nulldata" or out.script_pubkey[:1] == bytes([script.OP_RETURN]):
        return 0
    spend_size = len(out.serialize()) + 32 + 4 + 1 + 107 + 4  # the output plus an input spending it
    return rate * spend_size // 1000


def is_dust(out: TxOut, rate: int = DUST_RELAY_FEE) -> bool:
    return out.value < dust_threshold(out, rate)


def dummy_script_sig_size(wallet, spk: bytes) -> int | None:
    """The size of a scriptSig the wallet could make for ``spk`` (None if it cannot sign it)."""
    kind, sol = solve(spk)
    if kind == "pubkeyhash":
        return 1 + DUMMY_SIG_SIZE + 1 + 33
    if kind == "pubkey":
        return 1 + DUMMY_SIG_SIZE
    if kind == "scripthash":
        redeem = wallet.redeem_script(sol[0])
        if redeem is None:
            return None
        inner = dummy_script_sig_size(wallet, redeem)
        return None if inner is None else inner + len(script.push_data(redeem))
    if kind == "multisig":
        return 1 + sol[0][0] * (1 + DUMMY_SIG_SIZE)
    return None


def signed_size(wallet, vin: list[TxIn], spent: list[bytes], vout: list[TxOut], version: int = 2) -> int:
    """The size of the transaction once signed, with every signature at its largest."""
    size = 4 + len(compact_size(len(vin))) + len(compact_size(len(vout))) + 4
    for txin, spk in zip(vin, spent):
        sig = dummy_script_sig_size(wallet, spk)
        if sig is None:
            sig = len(txin.script_sig)
        size += 32 + 4 + len(compact_size(sig)) + sig + 4
    return size + sum(len(o.serialize()) for o in vout)


# -- coin types (Dash's CoinType filter of listunspent) -----------------------------------------

COIN = 100_000_000
STANDARD_DENOMINATIONS = (10 * COIN + 10000, COIN + 1000, COIN // 10 + 100, COIN // 100 + 10, COIN // 1000 + 1)
COINJOIN_COLLATERAL = STANDARD_DENOMINATIONS[-1] // 10
MASTERNODE_COLLATERALS = (1000 * COIN, 4000 * COIN)  # regular, evo
(ALL_COINS, ONLY_FULLY_MIXED, ONLY_READY_TO_MIX, ONLY_NONDENOMINATED, ONLY_MASTERNODE_COLLATERAL,
 ONLY_COINJOIN_COLLATERAL) = range(6)


def is_coinjoin_collateral(value: int) -> bool:
    return COINJOIN_COLLATERAL <= value <= 4 * COINJOIN_COLLATERAL


def coin_type_matches(value: int, coin_type: int) -> bool:
    """Whether an output of ``value`` duffs is of ``coin_type``. Nothing is ever mixed here, so every
    denominated output is ready to mix and none fully mixed."""
    denominated = value in STANDARD_DENOMINATIONS
    if coin_type == ONLY_FULLY_MIXED:
        return False
    if coin_type == ONLY_READY_TO_MIX:
        return denominated
    if coin_type == ONLY_NONDENOMINATED:
        return not denominated and not is_coinjoin_collateral(value)
    if coin_type == ONLY_MASTERNODE_COLLATERAL:
        return value in MASTERNODE_COLLATERALS
    if coin_type == ONLY_COINJOIN_COLLATERAL:
        return is_coinjoin_collateral(value)
    return True


@dataclass
class FundRequest:
    vout: list[TxOut]
    vin: list[TxIn] = field(default_factory=list)  # pre-selected inputs
    subtract_fee_from: set[int] = field(default_factory=set)
    change_pos: int | None = None  # None: random
    change_script: bytes | None = None
    fee_rate: int | None = None  # duffs/kB; None: the wallet's
    include_watching: bool = False
    add_inputs: bool = True
    locktime: int | None = None
    version: int = 2
    min_depth: int = 0
    override_min_fee: bool = False  # an explicit fee_rate below -mintxfee / the relay fee is used as given


@dataclass
class Funded:
    tx: Transaction
    fee: int
    change_pos: int  # -1: no change output
    spent_scripts: list[bytes]


def _select(coins, target: int, fee_per_input: int) -> list | None:
    """Smallest single coin that covers the target, else the largest coins first."""
    best = None
    for c in coins:
        if c.txout.value >= target + fee_per_input and (best is None or c.txout.value < best.txout.value):
            best = c
    if best is not None:
        return [best]
    chosen, total = [], 0
    for c in sorted(coins, key=lambda c: -c.txout.value):
        chosen.append(c)
        total += c.txout.value
        if total >= target + fee_per_input * len(chosen):
            return chosen
    return None


def fund(wallet, req: FundRequest, policy: FeePolicy) -> Funded:
    """Add inputs (and a change output) so that ``req``'s outputs and the fee are paid. Call with
    the wallet's lock held."""
    rate = policy.rate(req.fee_rate)
    if req.fee_rate is not None and not req.override_min_fee:
        floor = max(policy.min_tx_fee, policy.relay_fee)
        if floor > req.fee_rate:
            raise InterfaceError(f"Fee rate ({duff_per_byte(req.fee_rate)}) is lower than the minimum fee rate setting "
                                 f"({duff_per_byte(floor)})", RPC_WALLET_ERROR)
    vout = list(req.vout)
    for o in vout:
        if o.value < 0:
            raise InterfaceError("Transaction amounts must not be negative", RPC_WALLET_ERROR)
    if not vout:
        raise InterfaceError("Transaction must have at least one recipient", RPC_WALLET_ERROR)
    value_out = sum(o.value for o in vout)
    preset = []
    for txin in req.vin:
        parent = wallet.txs.get(txin.prevout.txid)
        if parent is None or txin.prevout.n >= len(parent.tx.vout):
            raise InterfaceError(f"Not solvable pre-selected input {txin.prevout}", RPC_WALLET_ERROR)
        preset.append((txin, parent.tx.vout[txin.prevout.n]))
    preset_value = sum(o.value for _, o in preset)
    preset_ops = {t.prevout for t, _ in preset}
    coins = [c for c in wallet.available_coins(include_watching=req.include_watching, min_depth=req.min_depth)
             if c.outpoint not in preset_ops and (c.spendable or req.include_watching)] if req.add_inputs else []
    # a P2PKH placeholder sizes the change output; the key is taken only when change is made
    change_script = req.change_script if req.change_script is not None else script.p2pkh(bytes(20))
    change_proto = TxOut(0, change_script)
    per_input = fee_for(rate, 32 + 4 + 1 + 107 + 4)
    subtracting = bool(req.subtract_fee_from)

    selected: list = []
    while True:
        vin = [t for t, _ in preset] + [TxIn(c.outpoint, b"", SEQUENCE_FINAL - 1) for c in selected]
        spent = [o.script_pubkey for _, o in preset] + [c.txout.script_pubkey for c in selected]
        value_in = preset_value + sum(c.txout.value for c in selected)
        fee_no_change = fee_for(rate, signed_size(wallet, vin, spent, vout, req.version))
        fee_change = fee_for(rate, signed_size(wallet, vin, spent, vout + [change_proto], req.version))
        if vin and value_in >= value_out + (0 if subtracting else fee_no_change):
            break
        if not req.add_inputs:
            raise InterfaceError("Insufficient funds", RPC_WALLET_INSUFFICIENT_FUNDS)
        want = value_out - preset_value + (0 if subtracting else fee_change)
        extra = _select(coins, max(want, 0), 0 if subtracting else per_input)
        if extra is None or {c.outpoint for c in extra} == {c.outpoint for c in selected}:
            raise InterfaceError("Insufficient funds", RPC_WALLET_INSUFFICIENT_FUNDS)
        selected = extra

    surplus = value_in - value_out - (0 if subtracting else fee_change)
    # change worth less than spending it at the discard rate goes to the fee (Bitcoin's GetDiscardRate)
    make_change = surplus > 0 and not is_dust(TxOut(surplus, change_script), max(policy.discard_rate, DUST_RELAY_FEE))
    fee = fee_change if make_change else fee_no_change
    if subtracting:
        idx = sorted(req.subtract_fee_from)
        share, rest = divmod(fee, len(idx))
        for j, i in enumerate(idx):
            o = vout[i]
            vout[i] = TxOut(o.value - share - (rest if j == 0 else 0), o.script_pubkey)
            if is_dust(vout[i]):
                raise InterfaceError("The transaction amount is too small to pay the fee", RPC_WALLET_ERROR)
    for o in vout:
        if is_dust(o):
            raise InterfaceError("Transaction amount too small", RPC_WALLET_ERROR)
    pos = -1
    if make_change:
        pos = req.change_pos if req.change_pos is not None else random.randrange(len(vout) + 1)
        if pos > len(vout):
            raise InterfaceError("Change index out of bounds", RPC_WALLET_ERROR)
        if req.change_script is None:
            change_script = wallet.new_change_script()
        vout.insert(pos, TxOut(value_in - sum(o.value for o in vout) - fee, change_script))
    fee = value_in - sum(o.value for o in vout)
    if fee > policy.max_tx_fee:
        raise InterfaceError("Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
                             RPC_WALLET_ERROR)
    locktime = req.locktime if req.locktime is not None else anti_fee_sniping_locktime(wallet)
    tx = Transaction(tuple(vin), tuple(vout), version=req.version, locktime=locktime)
    return Funded(tx, fee, pos, spent)


MAX_ANTI_FEE_SNIPING_TIP_AGE = 8 * 60 * 60  # seconds


def anti_fee_sniping_locktime(wallet) -> int:
    """Bitcoin's DiscourageFeeSniping: the wallet's best height (now and then up to 99 blocks less) while
    that block is recent and the node is out of initial block download, else 0 (no fingerprint)."""
    if wallet.last_block_height < 0 or wallet.chain.is_initial_block_download():
        return 0
    found = wallet.chain.find_block(wallet.last_block_hash)
    if not found.found or found.time < clock.get_time() - MAX_ANTI_FEE_SNIPING_TIP_AGE:
        return 0
    locktime = wallet.last_block_height
    if random.randrange(10) == 0:
        locktime = max(0, locktime - random.randrange(100))
    return locktime


# -- signing ---------------------------------------------------------------------------------


def _existing_sigs(script_sig: bytes) -> list[bytes]:
    try:
        return [d for _, d in script.parse(script_sig) if d]
    except script.ScriptError:
        return []


def sign_input(wallet, tx: Transaction, index: int, spk: bytes, sighash: int = SIGHASH_ALL) -> tuple[bytes, bool]:
    """The scriptSig for input ``index`` spending ``spk``, and whether it is complete."""
    kind, sol = solve(spk)
    redeem = None
    if kind == "scripthash":
        redeem = wallet.redeem_script(sol[0])
        if redeem is None:
            return tx.vin[index].script_sig, False
        code = redeem
        kind, sol = solve(redeem)
    else:
        code = spk
    digest = signature_hash(tx, index, code, sighash)

    def sig_by(key_id: bytes) -> bytes | None:
        key = wallet.private_key(key_id)
        return key.sign(digest) + bytes([sighash]) if key is not None else None

    suffix = script.push_data(redeem) if redeem is not None else b""
    if kind == "pubkeyhash":
        sig = sig_by(sol[0])
        if sig is None:
            return tx.vin[index].script_sig, False
        return script.push_data(sig) + script.push_data(wallet.pubkey_of(sol[0])) + suffix, True
    if kind == "pubkey":
        sig = sig_by(hash160(sol[0]))
        if sig is None:
            return tx.vin[index].script_sig, False
        return script.push_data(sig) + suffix, True
    if kind == "multisig":
        from ..crypto import keys
        required, pubs = sol[0][0], sol[1:-1]
        old = _existing_sigs(tx.vin[index].script_sig)
        sigs = []
        for pub in pubs:
            mine = sig_by(hash160(pub))
            if mine is None:
                mine = next((s for s in old if len(s) > 8 and keys.verify(pub, s[:-1], digest)), None)
            if mine is not None:
                sigs.append(mine)
            if len(sigs) == required:
                break
        body = bytes([script.OP_0]) + b"".join(script.push_data(s) for s in sigs)
        return body + suffix, len(sigs) == required
    return tx.vin[index].script_sig, False


def sign_transaction(wallet, tx: Transaction, spent: dict[OutPoint, bytes],
                     sighash: int = SIGHASH_ALL) -> tuple[Transaction, list[tuple[int, str]]]:
    """Sign every input the wallet can; the signed transaction and (input, error) for the others."""
    vin = list(tx.vin)
    errors = []
    for i, txin in enumerate(tx.vin):
        spk = spent.get(txin.prevout)
        if spk is None:
            errors.append((i, "Input not found or already spent"))
            continue
        script_sig, complete = sign_input(wallet, tx, i, spk, sighash)
        vin[i] = TxIn(txin.prevout, script_sig, txin.sequence)
        if not complete:
            errors.append((i, "Unable to sign input, invalid stack size (possibly missing key)"))
    signed = Transaction(tuple(vin), tx.vout, tx.version, tx.tx_type, tx.locktime, tx.extra_payload)
    return signed, errors
