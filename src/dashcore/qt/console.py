"""The debug window: Information (the node at a glance) and Console (RPC commands through Node.execute_rpc)."""

from __future__ import annotations

import html
import json
import shlex
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTabWidget,
                               QTextEdit, QVBoxLayout, QWidget)

from ..interfaces import InterfaceError, Node, NodeInfo
from . import guiutil
from .tasks import Tasks

WELCOME = ("Welcome to the Dash Core RPC console.<br>Use up and down arrows to navigate history, and "
           "<b>Ctrl-L</b> to clear screen.<br>Type <b>help</b> for an overview of available commands, "
           "<b>help-console</b> for how to write them.")
HELP_CONSOLE = ("Commands are written as <i>method arg1 arg2 ...</i>. Each argument is read as JSON when it "
                "is JSON (numbers, true/false, null, \"quoted text\", [lists], {objects}), as text otherwise; "
                "put an argument containing spaces in quotes.")
HISTORY_LIMIT = 100


class ConsoleError(ValueError):
    """A console line that is not a command."""


def parse_command(line: str) -> tuple[str, list]:
    try:
        words = shlex.split(line)
    except ValueError as e:
        raise ConsoleError(f"Parse error: {e}") from None
    if not words:
        raise ConsoleError("Parse error: empty command")
    params = []
    for w in words[1:]:
        try:
            params.append(json.loads(w))
        except ValueError:
            params.append(w)
    return words[0], params


def format_result(result_json: str) -> str:
    value = json.loads(result_json)
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, indent=2)


class _HistoryKeys(QObject):
    """Up/Down in the command line walk the history."""

    def __init__(self, console: "RPCConsole"):
        super().__init__(console)
        self._console = console

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._console.browse_history(-1 if event.key() == Qt.Key.Key_Up else 1)
            return True
        return False


class RPCConsole(QWidget):
    """A window of its own, as in Dash Core (Tools menu)."""

    command_done = Signal(str, bool, str)  # the command, whether it succeeded, and its output

    def __init__(self, node: Node, tasks: Tasks, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("rpcConsole")
        self.setWindowTitle("Dash Core - Tools window")
        self.resize(760, 520)
        self._node = node
        self._tasks = tasks
        self.history: list[str] = []
        self._history_pos = 0
        self.running = 0
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)

        info = QWidget()
        info.setObjectName("infoTab")
        form = QFormLayout(info)
        self.info_labels: dict[str, QLabel] = {}
        for key, caption in [("client_version", "Client version"), ("network", "Network"),
                             ("data_dir", "Datadir"), ("start_time", "Startup time"),
                             ("num_connections", "Number of connections"), ("num_blocks", "Current block count"),
                             ("last_block_time", "Last block time"), ("best_block_hash", "Best block hash"),
                             ("mempool_size", "Memory pool transactions")]:
            label = QLabel("N/A")
            label.setObjectName(key)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"<b>{caption}</b>", label)
            self.info_labels[key] = label
        self.tabs.addTab(info, "&Information")

        console = QWidget()
        console.setObjectName("consoleTab")
        self.console_tab = console
        console_layout = QVBoxLayout(console)
        top = QHBoxLayout()
        top.addWidget(QLabel("Wallet:"))
        self.wallet_combo = QComboBox()
        self.wallet_combo.setObjectName("walletSelector")
        self.wallet_combo.addItem("(none)", None)
        top.addWidget(self.wallet_combo)
        top.addStretch(1)
        clear = QPushButton("Clear console")
        clear.clicked.connect(self.clear)
        top.addWidget(clear)
        console_layout.addLayout(top)
        self.output = QTextEdit()
        self.output.setObjectName("messagesWidget")
        self.output.setReadOnly(True)
        self.output.setFont(guiutil.fixed_font())
        console_layout.addWidget(self.output, 1)
        self.line = QLineEdit()
        self.line.setObjectName("lineEdit")
        self.line.setPlaceholderText("Type help for an overview of available commands.")
        self.line.returnPressed.connect(self._submit)
        self.line.installEventFilter(_HistoryKeys(self))
        console_layout.addWidget(self.line)
        self.tabs.addTab(console, "&Console")
        self.tabs.currentChanged.connect(lambda _i: self._focus_command_line())
        QShortcut(QKeySequence("Ctrl+L"), self, self.clear)
        self.clear()

    def show_tab(self, index: int) -> None:
        """Show the window at tab ``index``; on the Console, typing goes straight to its command line."""
        self.tabs.setCurrentIndex(index)
        self.show()
        self.raise_()
        self.activateWindow()
        self._focus_command_line()

    def _focus_command_line(self) -> None:
        if self.tabs.currentWidget() is self.console_tab:
            self.line.setFocus()

    # -- Information ---------------------------------------------------------------------------------------

    def show_info(self, info: NodeInfo) -> None:
        values = {"client_version": info.client_version, "network": info.network, "data_dir": info.data_dir,
                  "start_time": guiutil.format_time(info.start_time, seconds=True),
                  "num_connections": str(info.num_connections), "num_blocks": str(info.num_blocks),
                  "last_block_time": guiutil.format_time(info.last_block_time, seconds=True),
                  "best_block_hash": info.best_block_hash[::-1].hex(), "mempool_size": str(info.mempool_size)}
        for key, text in values.items():
            self.info_labels[key].setText(text)

    # -- Console -----------------------------------------------------------------------------------------

    def set_wallets(self, names: list[str]) -> None:
        current = self.wallet_combo.currentData()
        self.wallet_combo.clear()
        self.wallet_combo.addItem("(none)", None)
        for name in names:
            self.wallet_combo.addItem(name or "[default wallet]", name)
        index = self.wallet_combo.findData(current) if current is not None else -1
        self.wallet_combo.setCurrentIndex(index if index >= 0 else (1 if names else 0))

    def clear(self) -> None:
        self.output.clear()
        self.output.append(f'<span style="color:{guiutil.MUTED}">{WELCOME}</span>')

    def browse_history(self, step: int) -> None:
        self._history_pos = max(0, min(len(self.history), self._history_pos + step))
        self.line.setText(self.history[self._history_pos] if self._history_pos < len(self.history) else "")

    def _submit(self) -> None:
        line = self.line.text().strip()
        self.line.clear()
        if line:
            self.execute(line)

    def execute(self, line: str, done: Callable[[bool], None] | None = None) -> None:
        """Run one console line (off the GUI thread); its result is appended to the output when it arrives."""
        if not self.history or self.history[-1] != line:
            self.history.append(line)
            del self.history[:-HISTORY_LIMIT]
        self._history_pos = len(self.history)
        self._append("&gt; " + html.escape(line), "#1c75bc")
        if line.strip() == "help-console":
            self._append(HELP_CONSOLE, "black")
            self.command_done.emit(line, True, HELP_CONSOLE)
            return
        try:
            method, params = parse_command(line)
        except ConsoleError as e:
            self._append(html.escape(str(e)), guiutil.NEGATIVE)
            self.command_done.emit(line, False, str(e))
            return
        wallet = self.wallet_combo.currentData()
        uri = "/" if wallet is None else "/wallet/" + wallet
        node = self._node
        self.running += 1
        self._tasks.run(lambda: node.execute_rpc(method, json.dumps(params), uri),
                        lambda result: self._finished(line, True, format_result(result)),
                        lambda error: self._finished(line, False, _error_text(error)))

    def _finished(self, line: str, ok: bool, text: str) -> None:
        self.running -= 1
        self._append("<pre>" + html.escape(text) + "</pre>" if ok else html.escape(text),
                     "black" if ok else guiutil.NEGATIVE)
        self.command_done.emit(line, ok, text)

    def _append(self, text: str, colour: str) -> None:
        self.output.append(f'<div style="color:{colour}">{text}</div>')
        bar = self.output.verticalScrollBar()
        bar.setValue(bar.maximum())


def _error_text(error: BaseException) -> str:
    if isinstance(error, InterfaceError):
        return f"{error.message} (code {error.code})"
    return f"{type(error).__name__}: {error}"
