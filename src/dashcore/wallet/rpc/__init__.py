"""Wallet RPCs, registered with the node through Chain.handle_rpc (the node never imports these)."""

from __future__ import annotations

from . import addresses, backup, coins, sending, transactions, wallets  # noqa: F401  (they fill the table)
from .common import commands

__all__ = ["commands"]
