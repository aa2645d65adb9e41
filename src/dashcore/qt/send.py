"""Send: pay to an address (checked as you type), an amount in a unit, the fee shown, then a confirmation."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QMessageBox, QPushButton, QVBoxLayout, QWidget)

from .. import address
from ..interfaces import InterfaceError, PreparedTransaction
from . import guiutil
from .units import UNITS, AmountError, format_amount, parse_amount
from .walletmodel import WalletModel

#: The wallet's error for a spend larger than its coins (RPC_WALLET_INSUFFICIENT_FUNDS).
INSUFFICIENT_FUNDS = -6
TYPICAL_TX_BYTES = 226
INVALID_STYLE = "QLineEdit { background: #fde2e1; border: 1px solid #c0392b; }"


class SendCoinsPage(QWidget):
    sent = Signal(bytes)  # txid

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sendCoinsPage")
        self._model: WalletModel | None = None
        self.confirmation: QMessageBox | None = None
        layout = QVBoxLayout(self)

        entry = QGroupBox("Pay To")
        form = QFormLayout(entry)
        self.pay_to = QLineEdit()
        self.pay_to.setObjectName("payTo")
        self.pay_to.setPlaceholderText("Enter a Dash address (e.g. yNotARealAddressxxxxxxxxxxxxxxxxxx)")
        self.pay_to.textChanged.connect(self._check_address)
        self.address_status = QLabel("")
        self.address_status.setObjectName("addressStatus")
        self.label = QLineEdit()
        self.label.setPlaceholderText("Enter a label for this address to add it to your address book")
        amount_row = QHBoxLayout()
        self.amount = QLineEdit()
        self.amount.setObjectName("payAmount")
        self.amount.setPlaceholderText("0.00000000")
        self.amount.textChanged.connect(lambda _t: self.amount.setStyleSheet(""))
        self.unit = QComboBox()
        self.unit.setObjectName("payUnit")
        self.unit.addItems([u[0] for u in UNITS])
        self.subtract_fee = QCheckBox("Subtract fee from amount")
        amount_row.addWidget(self.amount, 1)
        amount_row.addWidget(self.unit)
        amount_row.addWidget(self.subtract_fee)
        form.addRow("Pay &To:", self.pay_to)
        form.addRow("", self.address_status)
        form.addRow("&Label:", self.label)
        form.addRow("Amount:", amount_row)
        layout.addWidget(entry)

        fee = QGroupBox("Transaction Fee")
        fee_layout = QVBoxLayout(fee)
        self.fee_label = QLabel("")
        self.fee_label.setObjectName("feeLabel")
        fee_layout.addWidget(self.fee_label)
        layout.addWidget(fee)
        layout.addStretch(1)

        buttons = QHBoxLayout()
        self.send_button = QPushButton("S&end")
        self.send_button.setObjectName("sendButton")
        self.send_button.clicked.connect(self.send)
        self.clear_button = QPushButton("Clear &All")
        self.clear_button.clicked.connect(self.clear)
        self.status = QLabel("")
        self.status.setObjectName("sendStatus")
        self.balance = QLabel("")
        self.balance.setObjectName("sendBalance")
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.balance)
        layout.addLayout(buttons)
        self._show_fee()

    def set_wallet_model(self, model: WalletModel | None) -> None:
        if self._model is not None:
            self._model.balances_changed.disconnect(self._show_balance)
        self._model = model
        self.send_button.setEnabled(model is not None)
        if model is not None:
            model.balances_changed.connect(self._show_balance)
            self._show_balance(model.balances)
        self._show_fee()

    def _show_balance(self, balances) -> None:
        self.balance.setText(f"Balance: {format_amount(balances.balance, self.unit.currentText())}")

    def _show_fee(self) -> None:
        if self._model is None:
            self.fee_label.setText("No wallet loaded")
            return
        rate = self._model.fee_rate
        typical = rate * TYPICAL_TX_BYTES // 1000
        self.fee_label.setText(f"{format_amount(rate)}/kB  (about {format_amount(typical)} for a typical "
                               f"{TYPICAL_TX_BYTES}-byte payment; the exact fee is shown before sending)")

    def _check_address(self, text: str) -> bool:
        text = text.strip()
        if not text:
            self.pay_to.setStyleSheet("")
            self.address_status.setText("")
            return False
        ok = address.is_valid(text)
        self.pay_to.setStyleSheet("" if ok else INVALID_STYLE)
        self.address_status.setText("" if ok else "Invalid Dash address")
        self.address_status.setStyleSheet(f"color: {guiutil.NEGATIVE};")
        return ok

    def clear(self) -> None:
        for w in (self.pay_to, self.label, self.amount):
            w.clear()
        self.subtract_fee.setChecked(False)
        self.status.setText("")

    def _error(self, text: str) -> None:
        guiutil.message(self, QMessageBox.Icon.Warning, "Send Coins", text, name="sendError")

    def send(self) -> None:
        model = self._model
        if model is None:
            return
        target = self.pay_to.text().strip()
        if not self._check_address(target):
            self.pay_to.setStyleSheet(INVALID_STYLE)
            self._error("The recipient address is not valid. Please recheck.")
            return
        unit = self.unit.currentText()
        try:
            amount = parse_amount(self.amount.text(), unit)
        except AmountError as e:
            self.amount.setStyleSheet(INVALID_STYLE)
            self._error(f"The amount to pay is not valid: {e}.")
            return
        if amount > model.balances.balance:
            self._error("The amount exceeds your balance.")
            return
        self.send_button.setEnabled(False)
        self.status.setText("Preparing the transaction...")
        model.prepare(target, amount, self.subtract_fee.isChecked(),
                      lambda p: self._confirm(p, target, unit), self._send_failed)

    def _confirm(self, prepared: PreparedTransaction, target: str, unit: str) -> None:
        self.status.setText("")
        label = self.label.text().strip()
        to = f"{label} ({target})" if label else target
        total = prepared.amount + prepared.fee
        text = (f"<p>Are you sure you want to send?</p><p><b>{format_amount(prepared.amount, unit)}</b> to {to}</p>"
                f"<p>Transaction fee: {format_amount(prepared.fee, unit)}</p>"
                f"<p>Total Amount: <b>{format_amount(total, unit)}</b></p>")
        self.confirmation = guiutil.message(
            self, QMessageBox.Icon.Question, "Confirm send coins", text,
            lambda button: self._confirmed(button, prepared),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel, name="sendConfirmation")

    def _confirmed(self, button, prepared: PreparedTransaction) -> None:
        self.confirmation = None
        if button != QMessageBox.StandardButton.Yes or self._model is None:
            self.send_button.setEnabled(True)
            self.status.setText("Not sent")
            return
        self.status.setText("Sending...")
        self._model.commit(prepared, lambda _r: self._committed(prepared), self._send_failed)

    def _committed(self, prepared: PreparedTransaction) -> None:
        self.send_button.setEnabled(True)
        self.clear()
        self.status.setText(f"Sent: {prepared.txid[::-1].hex()[:16]}...")
        self.sent.emit(prepared.txid)
        if self._model is not None:
            self._model.refresh()

    def _send_failed(self, error: BaseException) -> None:
        self.send_button.setEnabled(True)
        self.status.setText("")
        if isinstance(error, InterfaceError) and error.code == INSUFFICIENT_FUNDS:
            self._error(f"The amount exceeds your balance ({error.message}).")
        elif isinstance(error, InterfaceError):
            self._error(error.message)
        else:
            self._error(f"The transaction could not be sent: {error}")
