"""WalletModel: one wallet as the GUI sees it (balances, transactions, sending, receiving).

Kept current by the wallet's transaction-changed notifications and the node's new
tips (a new block changes confirmations and matures coinbases, which the wallet does
not announce): each makes one read of the balances and transactions, off the GUI thread.
"""

from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject, Signal

from ..interfaces import Handler, PreparedTransaction, Wallet, WalletBalances
from . import txrecords
from .tasks import Tasks

log = logging.getLogger("dashcore.qt")


class WalletModel(QObject):
    balances_changed = Signal(object)  # WalletBalances
    transactions_changed = Signal(list)  # [TxRecord], newest first
    unloaded = Signal()
    _changed = Signal()
    _unloaded = Signal()

    def __init__(self, wallet: Wallet, name: str, fee_rate: int, tasks: Tasks, parent: QObject | None = None):
        super().__init__(parent)
        self.wallet = wallet
        self.name = name
        self.fee_rate = fee_rate
        self._tasks = tasks
        self.balances = WalletBalances()
        self.records: list[txrecords.TxRecord] = []
        self._handlers: list[Handler] = []
        self._refreshing = False
        self._again = False
        self._changed.connect(self.refresh)
        self._unloaded.connect(self.unloaded)

    @property
    def display_name(self) -> str:
        return self.name or "[default wallet]"

    @staticmethod
    def open(wallet: Wallet) -> tuple[Wallet, str, int]:
        """What a model needs from the wallet before it is made (run it off the GUI thread)."""
        return wallet, wallet.get_wallet_name(), wallet.get_fee_rate()

    def start(self) -> None:
        def subscribe() -> None:
            self._handlers.append(self.wallet.handle_transaction_changed(lambda _txid: self._changed.emit()))
            self._handlers.append(self.wallet.handle_unload(self._unloaded.emit))
        self._tasks.run(subscribe, lambda _: self.refresh(), lambda e: log.error("subscribing to a wallet: %s", e))

    def refresh(self) -> None:
        if self._refreshing:
            self._again = True
            return
        self._refreshing = True
        wallet = self.wallet

        def read():
            balances = wallet.get_balances()
            return balances, txrecords.records(wallet.get_wallet_txs(), wallet.get_addresses())
        self._tasks.run(read, self._got, self._failed)

    def _got(self, result) -> None:
        self._refreshing = False
        self.balances, self.records = result
        self.balances_changed.emit(self.balances)
        self.transactions_changed.emit(self.records)
        if self._again:
            self._again = False
            self.refresh()

    def _failed(self, error: BaseException) -> None:
        self._refreshing = False
        log.info("reading wallet %r: %s", self.name, error)

    # -- actions: each calls back on the GUI thread ----------------------------------------------------

    def prepare(self, address: str, amount: int, subtract_fee: bool, done: Callable[[PreparedTransaction], None],
                failed: Callable[[BaseException], None]) -> None:
        self._tasks.run(lambda: self.wallet.prepare_transaction(address, amount, subtract_fee), done, failed)

    def commit(self, prepared: PreparedTransaction, done: Callable[[object], None],
               failed: Callable[[BaseException], None]) -> None:
        self._tasks.run(lambda: self.wallet.commit_transaction(prepared.tx), done, failed)

    def new_address(self, label: str, done: Callable[[str], None], failed: Callable[[BaseException], None]) -> None:
        self._tasks.run(lambda: self.wallet.get_new_destination(label), done, failed)

    def stopper(self) -> Callable[[], None]:
        handlers, self._handlers = self._handlers, []

        def disconnect() -> None:
            for h in handlers:
                try:
                    h.disconnect()
                except Exception as e:  # noqa: BLE001 - the wallet may be gone already
                    log.info("disconnecting a wallet handler: %s", e)
        return disconnect
