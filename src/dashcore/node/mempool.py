"""The mempool: unconfirmed transactions that spend the UTXO set or each other, without conflicts.

It holds no lock of its own: every method is called with the chainstate's cs_main held.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..primitives.transaction import OutPoint, Transaction
from .storage import StoredCoin


@dataclass
class MempoolEntry:
    tx: Transaction
    fee: int
    time: int
    height: int  # chain height when it entered

    @property
    def size(self) -> int:
        return self.tx.size


class Mempool:
    def __init__(self) -> None:
        self.entries: dict[bytes, MempoolEntry] = {}  # insertion order: parents before children
        self.spenders: dict[OutPoint, bytes] = {}
        self.sequence = 0
        #: prioritisetransaction's fee deltas (duffs), kept for transactions not (yet) here too
        self.deltas: dict[bytes, int] = {}
        self.loaded = False  # mempool.dat has been read (or was not to be)

    def clear(self) -> None:
        """Every transaction out (to be put back in a new order); prioritisations stay."""
        self.entries.clear()
        self.spenders.clear()
        self.sequence += 1

    def modified_fee(self, txid: bytes) -> int:
        """The fee mining and relay judge a transaction by: what it pays plus its prioritisation."""
        return self.entries[txid].fee + self.deltas.get(txid, 0)

    def prioritise(self, txid: bytes, delta: int) -> None:
        total = self.deltas.get(txid, 0) + delta
        if total:
            self.deltas[txid] = total
        else:
            self.deltas.pop(txid, None)

    def __contains__(self, txid: bytes) -> bool:
        return txid in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def total_size(self) -> int:
        return sum(e.size for e in self.entries.values())

    def total_fee(self) -> int:
        return sum(e.fee for e in self.entries.values())

    def get_output(self, txid: bytes, n: int) -> StoredCoin | None:
        """An output of a mempool transaction (as a coin at the mempool height marker -1)."""
        entry = self.entries.get(txid)
        if entry is None or n >= len(entry.tx.vout):
            return None
        out = entry.tx.vout[n]
        return StoredCoin(out.value, out.script_pubkey, -1, False)

    def conflicts_of(self, tx: Transaction) -> set[bytes]:
        return {self.spenders[i.prevout] for i in tx.vin if i.prevout in self.spenders}

    def add(self, entry: MempoolEntry) -> None:
        tx = entry.tx
        self.entries[tx.txid] = entry
        for i in tx.vin:
            self.spenders[i.prevout] = tx.txid
        self.sequence += 1

    def descendants(self, txid: bytes) -> list[bytes]:
        """``txid`` and every mempool transaction spending it, directly or not, parents first."""
        found, stack = [], [txid]
        seen = set()
        while stack:
            t = stack.pop()
            if t in seen or t not in self.entries:
                continue
            seen.add(t)
            found.append(t)
            for n in range(len(self.entries[t].tx.vout)):
                child = self.spenders.get(OutPoint(t, n))
                if child is not None:
                    stack.append(child)
        order = {t: i for i, t in enumerate(self.entries)}
        return sorted(found, key=order.__getitem__)

    def ancestors(self, txid: bytes) -> list[bytes]:
        found, stack, seen = [], [txid], set()
        while stack:
            t = stack.pop()
            if t in seen or t not in self.entries:
                continue
            seen.add(t)
            found.append(t)
            stack.extend(i.prevout.txid for i in self.entries[t].tx.vin)
        return found

    def remove(self, txid: bytes) -> MempoolEntry | None:
        entry = self.entries.pop(txid, None)
        if entry is None:
            return None
        for i in entry.tx.vin:
            if self.spenders.get(i.prevout) == txid:
                del self.spenders[i.prevout]
        self.sequence += 1
        return entry

    def remove_recursive(self, txid: bytes) -> list[MempoolEntry]:
        return [e for e in (self.remove(t) for t in reversed(self.descendants(txid))) if e is not None]
