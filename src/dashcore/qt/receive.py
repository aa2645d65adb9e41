"""Receive: a fresh address with a label and an amount, its ``dash:`` URI as a QR code, copied with a click."""

from __future__ import annotations

import io
import time
import urllib.parse

import segno
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget, QHeaderView)

from . import guiutil
from .units import UNITS, AmountError, format_amount, parse_amount
from .walletmodel import WalletModel


def payment_uri(address: str, amount: int = 0, label: str = "", message: str = "") -> str:
    """A BIP21-style ``dash:`` URI (the amount in DASH)."""
    query = []
    if amount:
        query.append("amount=" + format_amount(amount, "DASH", with_unit=False).replace("\u2009", "").rstrip("0")
                     .rstrip("."))
    if label:
        query.append("label=" + urllib.parse.quote(label))
    if message:
        query.append("message=" + urllib.parse.quote(message))
    return f"dash:{address}" + ("?" + "&".join(query) if query else "")


def qr_pixmap(text: str, scale: int = 6) -> QPixmap:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=3)
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap


class ReceiveCoinsPage(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("receiveCoinsPage")
        self._model: WalletModel | None = None
        self.uri = ""
        self.address = ""
        layout = QVBoxLayout(self)

        request = QGroupBox("Request payment")
        form = QFormLayout(request)
        self.label = QLineEdit()
        self.label.setObjectName("reqLabel")
        self.label.setPlaceholderText("An optional label to associate with the new receiving address")
        amount_row = QHBoxLayout()
        self.amount = QLineEdit()
        self.amount.setObjectName("reqAmount")
        self.amount.setPlaceholderText("Optional amount to request")
        self.unit = QComboBox()
        self.unit.addItems([u[0] for u in UNITS])
        amount_row.addWidget(self.amount, 1)
        amount_row.addWidget(self.unit)
        self.message_edit = QLineEdit()
        self.message_edit.setPlaceholderText("An optional message to attach to the payment request")
        form.addRow("&Label:", self.label)
        form.addRow("Amount:", amount_row)
        form.addRow("&Message:", self.message_edit)
        buttons = QHBoxLayout()
        self.request_button = QPushButton("&Request payment")
        self.request_button.setObjectName("receiveButton")
        self.request_button.clicked.connect(self.request)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        buttons.addWidget(self.request_button)
        buttons.addWidget(clear)
        buttons.addStretch(1)
        form.addRow(buttons)

        self.result = QGroupBox("Payment request")
        self.result.setObjectName("paymentRequest")
        result_layout = QHBoxLayout(self.result)
        self.qr = QLabel()
        self.qr.setObjectName("qrCode")
        self.qr.setFixedSize(240, 240)
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        info = QVBoxLayout()
        self.uri_label = QLabel("")
        self.uri_label.setObjectName("requestUri")
        self.uri_label.setWordWrap(True)
        self.uri_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.address_label = QLabel("")
        self.address_label.setObjectName("requestAddress")
        self.address_label.setFont(guiutil.fixed_font())
        self.address_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        copy_row = QHBoxLayout()
        self.copy_uri = QPushButton("Copy &URI")
        self.copy_uri.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.uri))
        self.copy_address = QPushButton("Copy &Address")
        self.copy_address.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.address))
        copy_row.addWidget(self.copy_uri)
        copy_row.addWidget(self.copy_address)
        copy_row.addStretch(1)
        info.addWidget(QLabel("Address:"))
        info.addWidget(self.address_label)
        info.addWidget(QLabel("URI:"))
        info.addWidget(self.uri_label)
        info.addLayout(copy_row)
        info.addStretch(1)
        result_layout.addWidget(self.qr)
        result_layout.addLayout(info, 1)
        self.result.hide()

        history = QGroupBox("Requested payments history")
        history_layout = QVBoxLayout(history)
        self.history = QTableWidget(0, 4)
        self.history.setObjectName("requestHistory")
        self.history.setHorizontalHeaderLabels(["Date", "Label", "Address", "Amount"])
        self.history.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.history.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.history.verticalHeader().hide()
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        history_layout.addWidget(self.history)

        layout.addWidget(request)
        layout.addWidget(self.result)
        layout.addWidget(history, 1)

    def set_wallet_model(self, model: WalletModel | None) -> None:
        self._model = model
        self.request_button.setEnabled(model is not None)

    def clear(self) -> None:
        self.label.clear()
        self.amount.clear()
        self.message_edit.clear()

    def request(self) -> None:
        if self._model is None:
            return
        amount = 0
        if self.amount.text().strip():
            try:
                amount = parse_amount(self.amount.text(), self.unit.currentText())
            except AmountError as e:
                guiutil.message(self, QMessageBox.Icon.Warning, "Request payment", f"The amount is not valid: {e}.")
                return
        label, text = self.label.text().strip(), self.message_edit.text().strip()
        self.request_button.setEnabled(False)
        self._model.new_address(label, lambda a: self._show(a, amount, label, text), self._failed)

    def _show(self, address: str, amount: int, label: str, text: str) -> None:
        self.request_button.setEnabled(True)
        self.address = address
        self.uri = payment_uri(address, amount, label, text)
        self.address_label.setText(address)
        self.uri_label.setText(f'<a href="{self.uri}">{self.uri}</a>')
        self.qr.setPixmap(qr_pixmap(self.uri))
        self.result.show()
        row = 0
        self.history.insertRow(row)
        for col, value in enumerate([guiutil.format_time(int(time.time())), label or "(no label)", address,
                                     format_amount(amount) if amount else "(no amount)"]):
            self.history.setItem(row, col, QTableWidgetItem(value))
        self.clear()

    def _failed(self, error: BaseException) -> None:
        self.request_button.setEnabled(True)
        guiutil.message(self, QMessageBox.Icon.Warning, "Request payment", f"Could not get a new address: {error}")
