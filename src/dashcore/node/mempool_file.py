"""regtest/mempool.dat: the mempool kept across restarts (-persistmempool), in dashd's layout.

Version 1: the count, then each transaction with the time it entered and its fee delta,
then the fee deltas of transactions not in the mempool, then the unbroadcast set (empty here).
"""

from __future__ import annotations

import logging
import os
import struct

from ..primitives.serialize import DeserializationError, Reader, compact_size
from ..primitives.transaction import Transaction
from ..util import time as clock
from .validation import Chainstate, ValidationError

log = logging.getLogger("dashcore.mempool")

FILENAME = "mempool.dat"
VERSION = 1


class MempoolFileError(Exception):
    """mempool.dat could not be written."""


def dump(cs: Chainstate, path: str) -> None:
    """Write the mempool to ``path`` (through ``path``.new, replaced at once); MempoolFileError on failure."""
    with cs.cs_main:
        entries = list(cs.mempool.entries.values())
        deltas = dict(cs.mempool.deltas)
    parts = [struct.pack("<QQ", VERSION, len(entries))]
    for e in entries:
        parts.append(e.tx.serialize() + struct.pack("<qq", e.time, deltas.pop(e.tx.txid, 0)))
    parts.append(compact_size(len(deltas)))
    parts.extend(txid + struct.pack("<q", delta) for txid, delta in deltas.items())
    parts.append(compact_size(0))
    tmp = path + ".new"
    try:
        with open(tmp, "wb") as f:
            f.write(b"".join(parts))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise MempoolFileError(f"Failed to dump mempool: {e}") from None
    log.info("Dumped mempool: %d transactions", len(entries))


def load(cs: Chainstate, path: str) -> None:
    """Put back what ``path`` holds: transactions that are still valid and not expired, and every fee delta.
    A missing file is no mempool; a damaged one is logged and ignored."""
    try:
        with open(path, "rb") as f:
            r = Reader(f.read())
    except FileNotFoundError:
        return
    except OSError as e:
        log.warning("Failed to open mempool file from disk: %s. Continuing anyway.", e)
        return
    accepted = failed = expired = 0
    try:
        version, count = struct.unpack("<QQ", r.read(16))
        if version != VERSION:
            log.warning("Unknown mempool file version %d. Continuing anyway.", version)
            return
        saved = [(Transaction.read(r), r.i64(), r.i64()) for _ in range(count)]
        deltas = [(r.read(32), r.i64()) for _ in range(r.compact_size())]
    except DeserializationError as e:
        log.warning("Failed to deserialize mempool data on disk: %s. Continuing anyway.", e)
        return
    now = clock.get_time()
    with cs.cs_main:
        for tx, entered, delta in saved:
            if delta:
                cs.mempool.prioritise(tx.txid, delta)
            if entered <= now - cs.mempool_expiry:
                expired += 1
            elif cs.load_mempool_tx(tx, entered):
                accepted += 1
            else:
                failed += 1
        for txid, delta in deltas:
            cs.mempool.prioritise(txid, delta)
    log.info("Imported mempool transactions from disk: %d succeeded, %d failed, %d expired", accepted, failed,
             expired)
