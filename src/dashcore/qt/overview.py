"""Overview: the wallet's balances (available, pending, immature, total) and its recent transactions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QVBoxLayout, QWidget)

from ..interfaces import WalletBalances
from . import guiutil
from .units import format_amount
from .walletmodel import WalletModel

RECENT = 6


class OverviewPage(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("overviewPage")
        self.unit = "DASH"
        self._model: WalletModel | None = None
        layout = QHBoxLayout(self)

        balances = QGroupBox("Balances")
        grid = QGridLayout(balances)
        grid.setVerticalSpacing(12)
        self.labels: dict[str, QLabel] = {}
        rows = [("labelBalance", "Available:", "Spendable now"),
                ("labelUnconfirmed", "Pending:", "Unconfirmed transactions, not yet counted in the available balance"),
                ("labelImmature", "Immature:", "Mined balance that has not yet matured")]
        for i, (name, caption, tip) in enumerate(rows):
            self._balance_row(grid, i, name, caption, tip)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        grid.addWidget(line, len(rows), 0, 1, 2)
        self._balance_row(grid, len(rows) + 1, "labelTotal", "Total:", "Your current total balance", bold=True)
        grid.setRowStretch(len(rows) + 2, 1)
        self.wallet_status = QLabel("")
        self.wallet_status.setStyleSheet(f"color: {guiutil.MUTED}; font-weight: normal;")
        grid.addWidget(self.wallet_status, len(rows) + 3, 0, 1, 2)

        recent = QGroupBox("Recent transactions")
        recent_layout = QVBoxLayout(recent)
        self.recent = QListWidget()
        self.recent.setObjectName("recentTransactions")
        self.recent.setFrameShape(QFrame.Shape.NoFrame)
        self.recent.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.recent.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # with focus, its first row looked selected
        self.recent.setStyleSheet("QListWidget::item { padding: 6px 2px; border-bottom: 1px solid #eef1f4; }")
        recent_layout.addWidget(self.recent)
        layout.addWidget(balances, 1)
        layout.addWidget(recent, 1)

    def _balance_row(self, grid: QGridLayout, row: int, name: str, caption: str, tip: str, bold: bool = False) -> None:
        key = QLabel(caption)
        value = QLabel(format_amount(0, self.unit))
        value.setObjectName(name)
        value.setToolTip(tip)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        style = "font-size: 15px;" + (" font-weight: bold;" if bold else " font-weight: normal;")
        value.setStyleSheet(style)
        key.setStyleSheet(style)
        grid.addWidget(key, row, 0)
        grid.addWidget(value, row, 1)
        self.labels[name] = value

    def set_wallet_model(self, model: WalletModel | None) -> None:
        if self._model is not None:
            self._model.balances_changed.disconnect(self.show_balances)
            self._model.transactions_changed.disconnect(self.show_transactions)
        self._model = model
        if model is not None:
            model.balances_changed.connect(self.show_balances)
            model.transactions_changed.connect(self.show_transactions)
            self.show_balances(model.balances)
            self.show_transactions(model.records)

    def set_unit(self, unit: str) -> None:
        self.unit = unit
        if self._model is not None:
            self.show_balances(self._model.balances)
            self.show_transactions(self._model.records)

    def show_balances(self, b: WalletBalances) -> None:
        values = {"labelBalance": b.balance, "labelUnconfirmed": b.unconfirmed_balance,
                  "labelImmature": b.immature_balance,
                  "labelTotal": b.balance + b.unconfirmed_balance + b.immature_balance}
        for name, duffs in values.items():
            self.labels[name].setText(format_amount(duffs, self.unit))
        self.wallet_status.setText(f"Wallet: {self._model.display_name}" if self._model else "")

    def show_transactions(self, records: list) -> None:
        self.recent.clear()
        for r in records[:RECENT]:
            who = r.label or r.address or "(n/a)"
            text = f"{guiutil.format_time(r.time)}    {format_amount(r.amount, self.unit, plus=True)}\n{r.type} {who}"
            item = QListWidgetItem(text)
            colour = guiutil.MUTED if not r.confirmed else (guiutil.NEGATIVE if r.amount < 0 else guiutil.POSITIVE)
            item.setForeground(Qt.GlobalColor.black)
            item.setToolTip(r.status)
            item.setData(Qt.ItemDataRole.UserRole, r.txid)
            item.setData(Qt.ItemDataRole.ForegroundRole, _brush(colour))
            self.recent.addItem(item)
        if not records:
            item = QListWidgetItem("No transactions yet")
            item.setForeground(_brush(guiutil.MUTED))
            self.recent.addItem(item)


def _brush(colour: str):
    from PySide6.QtGui import QBrush, QColor
    return QBrush(QColor(colour))
