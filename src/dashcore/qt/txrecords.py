"""A wallet transaction as the GUI lists it: type, counterparty address, net amount, status."""

from __future__ import annotations

from dataclasses import dataclass

from .. import address
from ..interfaces import WalletAddress, WalletTx
from ..primitives.serialize import DeserializationError
from ..primitives.transaction import Transaction

COINBASE_MATURITY = 100

MINED = "Mined"
RECEIVED = "Received with"
SENT = "Sent to"
TO_SELF = "Payment to yourself"
TYPES = [RECEIVED, SENT, TO_SELF, MINED]


@dataclass
class TxRecord:
    txid: bytes
    time: int
    type: str
    address: str
    label: str
    amount: int  # net effect on the wallet, duffs (sent: negative, fee included)
    fee: int
    depth: int
    block_height: int
    is_coinbase: bool
    in_mempool: bool

    @property
    def txid_hex(self) -> str:
        return self.txid[::-1].hex()

    @property
    def confirmed(self) -> bool:
        return self.depth > 0 and not self.immature

    @property
    def immature(self) -> bool:
        return self.is_coinbase and 0 < self.depth < COINBASE_MATURITY + 1

    @property
    def status(self) -> str:
        if self.depth < 0:
            return "Conflicted"
        if self.depth == 0:
            return "Unconfirmed" if self.in_mempool else "Not in memory pool"
        if self.immature:
            return f"Immature ({self.depth} confirmations, will be available after {COINBASE_MATURITY + 1})"
        if self.depth < 6:
            return f"Confirming ({self.depth} of 6 recommended confirmations)"
        return f"Confirmed ({self.depth} confirmations)"


def records(txs: list[WalletTx], addresses: list[WalletAddress]) -> list[TxRecord]:
    """Display records, newest first; ``addresses`` are the wallet's own (with labels and change flags)."""
    mine = {a.address: a for a in addresses}
    out = []
    for wtx in txs:
        try:
            outputs = [address.from_script(o.script_pubkey) or "" for o in Transaction.from_bytes(wtx.tx).vout]
        except DeserializationError:
            outputs = []
        ours = [a for a in outputs if a in mine]
        theirs = [a for a in outputs if a and a not in mine]
        received = [a for a in ours if not mine[a].is_change] or ours
        if wtx.is_coinbase:
            kind, counterparty = MINED, (received or outputs or [""])[0]
        elif wtx.amount >= 0:
            kind, counterparty = RECEIVED, (received or [""])[0]
        elif not theirs:
            kind, counterparty = TO_SELF, (received or [""])[0]
        else:
            kind, counterparty = SENT, theirs[0]
        label = mine[counterparty].label if counterparty in mine else ""
        out.append(TxRecord(wtx.txid, wtx.time, kind, counterparty, label, wtx.amount, wtx.fee, wtx.depth,
                            wtx.block_height, wtx.is_coinbase, wtx.in_mempool))
    out.sort(key=lambda r: (r.time, r.block_height if r.block_height >= 0 else 1 << 30), reverse=True)
    return out
