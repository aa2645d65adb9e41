"""Transactions: every wallet transaction in a sortable, filterable table; a double-click shows its details."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView,
                               QLineEdit, QTableView, QTextEdit, QVBoxLayout, QWidget)

from . import guiutil, txrecords
from .txrecords import TxRecord
from .units import AmountError, format_amount, parse_amount
from .walletmodel import WalletModel

COLUMNS = ["Status", "Date", "Type", "Address / Label", "Amount (DASH)"]
STATUS, DATE, TYPE, ADDRESS, AMOUNT = range(5)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2


class TransactionFilter(QSortFilterProxyModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.type_filter = ""
        self.text = ""
        self.min_amount = 0
        self.setSortRole(SORT_ROLE)

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802 - Qt's name
        item = self.sourceModel().item(row, 0)
        r: TxRecord = item.data(RECORD_ROLE)
        if self.type_filter and r.type != self.type_filter:
            return False
        if self.text and not any(self.text in s.lower() for s in (r.address, r.label, r.txid_hex)):
            return False
        return abs(r.amount) >= self.min_amount

    def refilter(self) -> None:
        self.invalidateFilter()


class TransactionsPage(QWidget):
    details_shown = Signal(object)  # the TransactionDescDialog

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("transactionsPage")
        self.unit = "DASH"
        self._model: WalletModel | None = None
        layout = QVBoxLayout(self)
        filters = QHBoxLayout()
        self.type_combo = QComboBox()
        self.type_combo.setObjectName("typeFilter")
        self.type_combo.addItem("All types", "")
        for t in txrecords.TYPES:
            self.type_combo.addItem(t, t)
        self.type_combo.currentIndexChanged.connect(self._filter_changed)
        self.search = QLineEdit()
        self.search.setObjectName("searchFilter")
        self.search.setPlaceholderText("Enter address, transaction id, or label to search")
        self.search.textChanged.connect(self._filter_changed)
        self.min_amount = QLineEdit()
        self.min_amount.setObjectName("amountFilter")
        self.min_amount.setPlaceholderText("Min amount")
        self.min_amount.setMaximumWidth(140)
        self.min_amount.textChanged.connect(self._filter_changed)
        filters.addWidget(self.type_combo)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.min_amount)
        layout.addLayout(filters)

        self.source = QStandardItemModel(0, len(COLUMNS), self)
        self.source.setHorizontalHeaderLabels(COLUMNS)
        self.proxy = TransactionFilter(self)
        self.proxy.setSourceModel(self.source)
        self.table = QTableView()
        self.table.setObjectName("transactionView")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ADDRESS, QHeaderView.ResizeMode.Stretch)
        for col in (STATUS, DATE, TYPE, AMOUNT):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(self._show_details)
        layout.addWidget(self.table)
        self.dialog: TransactionDescDialog | None = None

    def set_wallet_model(self, model: WalletModel | None) -> None:
        if self._model is not None:
            self._model.transactions_changed.disconnect(self.show_transactions)
        self._model = model
        if model is not None:
            model.transactions_changed.connect(self.show_transactions)
        self.show_transactions(model.records if model is not None else [])

    def set_unit(self, unit: str) -> None:
        self.unit = unit
        self.source.setHorizontalHeaderItem(AMOUNT, QStandardItem(f"Amount ({unit})"))
        if self._model is not None:
            self.show_transactions(self._model.records)

    def show_transactions(self, records: list[TxRecord]) -> None:
        self.source.removeRows(0, self.source.rowCount())
        for r in records:
            row = [QStandardItem(_status_short(r)), QStandardItem(guiutil.format_time(r.time)), QStandardItem(r.type),
                   QStandardItem(r.label and f"{r.label} ({r.address})" or r.address),
                   QStandardItem(format_amount(r.amount, self.unit, plus=True, with_unit=False))]
            row[STATUS].setToolTip(r.status)
            sort_keys = [r.depth, r.time, r.type, (r.label or r.address).lower(), r.amount]
            for item, key in zip(row, sort_keys):
                item.setData(key, SORT_ROLE)
            row[0].setData(r, RECORD_ROLE)
            row[AMOUNT].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if r.amount < 0:
                row[AMOUNT].setForeground(QBrush(QColor(guiutil.NEGATIVE)))
            if not r.confirmed:
                for item in row:
                    item.setForeground(QBrush(QColor(guiutil.MUTED)))
            self.source.appendRow(row)

    def _filter_changed(self, *_args) -> None:
        self.proxy.type_filter = self.type_combo.currentData() or ""
        self.proxy.text = self.search.text().strip().lower()
        try:
            self.proxy.min_amount = parse_amount(self.min_amount.text(), self.unit) if self.min_amount.text().strip() \
                else 0
            self.min_amount.setStyleSheet("")
        except AmountError:
            self.min_amount.setStyleSheet("QLineEdit { background: #fde2e1; }")
        self.proxy.refilter()

    def record_at(self, proxy_row: int) -> TxRecord:
        return self.proxy.index(proxy_row, 0).data(RECORD_ROLE)

    def _show_details(self, index: QModelIndex) -> None:
        record = self.proxy.index(index.row(), 0).data(RECORD_ROLE)
        self.dialog = TransactionDescDialog(record, self.unit, self)
        self.dialog.show()
        self.details_shown.emit(self.dialog)


def _status_short(r: TxRecord) -> str:
    if r.depth < 0:
        return "conflicted"
    if r.depth == 0:
        return "unconfirmed"
    if r.immature:
        return f"immature {r.depth}/101"
    return f"{r.depth} conf." if r.depth < 6 else "confirmed"


class TransactionDescDialog(QDialog):
    """The details of one transaction (Dash Core's "Transaction details")."""

    def __init__(self, r: TxRecord, unit: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("transactionDetails")
        self.setWindowTitle(f"Details for {r.txid_hex[:16]}...")
        self.resize(620, 360)
        layout = QVBoxLayout(self)
        self.text = QTextEdit()
        self.text.setReadOnly(True)
        rows = [("Status", r.status), ("Date", guiutil.format_time(r.time, seconds=True)), ("Type", r.type),
                ("Address", r.address + (f" ({r.label})" if r.label else "")),
                ("Net amount", format_amount(r.amount, unit, plus=True))]
        if r.fee and r.amount < 0:
            rows.append(("Transaction fee", format_amount(-r.fee, unit)))
        if r.block_height >= 0:
            rows.append(("Block height", str(r.block_height)))
        rows.append(("Transaction ID", r.txid_hex))
        if r.is_coinbase:
            rows.append(("", f"Generated coins must mature {txrecords.COINBASE_MATURITY} blocks before they can be "
                             "spent."))
        body = "".join(f"<b>{html.escape(k)}{':' if k else ''}</b> {html.escape(v)}<br>" for k, v in rows)
        self.text.setHtml(body)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
