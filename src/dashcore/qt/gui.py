"""The main window: toolbar of the wallet screens, File/Settings/Tools/Help menus, and the status bar."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMainWindow,
                               QMenu, QMessageBox, QPushButton, QSizePolicy, QStackedWidget, QToolBar, QVBoxLayout,
                               QWidget)

from ..interfaces import NodeInfo
from . import guiutil
from .clientmodel import ClientModel
from .console import RPCConsole
from .overview import OverviewPage
from .receive import ReceiveCoinsPage
from .send import SendCoinsPage
from .tasks import Tasks
from .transactions import TransactionsPage
from .units import UNITS
from .walletmodel import WalletModel

NO_WALLET = ("No wallet has been loaded.\nGo to File > Open Wallet to load a wallet.\n- OR -")


class CreateWalletDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("createWalletDialog")
        self.setWindowTitle("Create Wallet")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setObjectName("walletName")
        self.name.setPlaceholderText("Wallet Name")
        form.addRow("Wallet Name:", self.name)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)


class BitcoinGUI(QMainWindow):
    """Dash Core's main window (the name its GUI code has used since Bitcoin's)."""

    quit_requested = Signal()
    create_wallet_requested = Signal(str)
    open_wallet_requested = Signal(str)
    close_wallet_requested = Signal(object)  # WalletModel
    wallet_dir_requested = Signal()

    def __init__(self, client: ClientModel, tasks: Tasks, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(title)
        self.resize(900, 600)
        self.client = client
        self.tasks = tasks
        self.unit = "DASH"
        self.wallets: list[WalletModel] = []
        self.current: WalletModel | None = None
        self.wallet_dir: list[str] = []
        self.dialog: QDialog | None = None

        self.overview = OverviewPage()
        self.send_page = SendCoinsPage()
        self.receive = ReceiveCoinsPage()
        self.transactions = TransactionsPage()
        self.pages = QStackedWidget()
        for page in (self.overview, self.send_page, self.receive, self.transactions):
            self.pages.addWidget(page)
        self.no_wallet = QWidget()
        self.no_wallet.setObjectName("noWallet")
        nw_layout = QVBoxLayout(self.no_wallet)
        nw_layout.addStretch(1)
        nw_label = QLabel(NO_WALLET)
        nw_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        nw_layout.addWidget(nw_label)
        create = QPushButton("Create a new wallet")
        create.setObjectName("createWalletButton")
        create.clicked.connect(self.show_create_wallet)
        nw_layout.addWidget(create, 0, Qt.AlignmentFlag.AlignHCenter)
        nw_layout.addStretch(1)
        self.central = QStackedWidget()
        self.central.addWidget(self.no_wallet)
        self.central.addWidget(self.pages)
        self.setCentralWidget(self.central)

        self.console = RPCConsole(client.node, tasks)
        client.info_changed.connect(self._show_info)
        client.tip_changed.connect(lambda h: self.blocks_label.setText(f"Blocks: {h}"))
        self._make_toolbar()
        self._make_menus()
        self._make_status_bar()
        self._set_current(None)

    # -- construction ------------------------------------------------------------------------------------

    def _make_toolbar(self) -> None:
        bar = QToolBar("Tabs toolbar")
        bar.setObjectName("tabsToolbar")
        bar.setMovable(False)
        self.addToolBar(bar)
        group = QActionGroup(self)
        self.tab_actions: dict[str, QAction] = {}
        for i, (key, text, shortcut) in enumerate([("overview", "&Overview", "Alt+1"), ("send", "&Send", "Alt+2"),
                                                   ("receive", "&Receive", "Alt+3"),
                                                   ("transactions", "&Transactions", "Alt+4")]):
            action = QAction(text, self)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(lambda _c=False, index=i: self.pages.setCurrentIndex(index))
            group.addAction(action)
            bar.addAction(action)
            self.tab_actions[key] = action
        self.tab_actions["overview"].setChecked(True)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.wallet_caption = bar.addWidget(QLabel("Wallet: "))
        self.wallet_combo = QComboBox()
        self.wallet_combo.setObjectName("walletSelector")
        self.wallet_combo.setMinimumWidth(140)
        self.wallet_combo.currentIndexChanged.connect(self._wallet_selected)
        self.wallet_combo_action = bar.addWidget(self.wallet_combo)

    def _make_menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        file.setObjectName("fileMenu")
        self.create_action = file.addAction("Create Wallet...", self.show_create_wallet)
        self.open_menu = QMenu("Open Wallet", self)
        self.open_menu.setObjectName("openWalletMenu")
        self.open_menu.aboutToShow.connect(self._fill_open_menu)
        file.addMenu(self.open_menu)
        self.close_action = file.addAction("Close Wallet...", self.confirm_close_wallet)
        file.addSeparator()
        quit_action = file.addAction("E&xit", self.quit_requested.emit)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        settings = self.menuBar().addMenu("&Settings")
        encrypt = settings.addAction("&Encrypt Wallet...")
        encrypt.setEnabled(False)
        encrypt.setToolTip("Wallet encryption is not supported by this wallet")
        units = settings.addMenu("Display &unit")
        unit_group = QActionGroup(self)
        for name, _factor, _decimals in UNITS:
            action = units.addAction(name)
            action.setCheckable(True)
            action.setChecked(name == self.unit)
            action.triggered.connect(lambda _c=False, n=name: self.set_unit(n))
            unit_group.addAction(action)
        tools = self.menuBar().addMenu("&Tools")
        tools.addAction("&Information", lambda: self.show_console(0))
        console = tools.addAction("&Console", lambda: self.show_console(1))
        console.setShortcut(QKeySequence("Ctrl+Shift+C"))
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About Dash Core", self._about)

    def _make_status_bar(self) -> None:
        bar = self.statusBar()
        self.sync_label = QLabel("Connecting...")
        self.sync_label.setObjectName("syncLabel")
        self.connections_label = QLabel("")
        self.connections_label.setObjectName("connectionsLabel")
        self.blocks_label = QLabel("Blocks: -")
        self.blocks_label.setObjectName("blocksLabel")
        self.busy_label = QLabel("")
        bar.addWidget(self.sync_label, 1)
        bar.addPermanentWidget(self.busy_label)
        bar.addPermanentWidget(self.connections_label)
        bar.addPermanentWidget(self.blocks_label)
        self.tasks.busy_changed.connect(lambda n: self.busy_label.setText("Working..." if n else ""))

    # -- node information -----------------------------------------------------------------------------------

    def _show_info(self, info: NodeInfo) -> None:
        self.blocks_label.setText(f"Blocks: {info.num_blocks}")
        self.blocks_label.setToolTip(f"Processed {info.num_blocks} blocks of transaction history.\n"
                                     f"Last block: {guiutil.format_time(info.last_block_time, seconds=True)}")
        self.connections_label.setText(f"{info.num_connections} active connection"
                                       f"{'' if info.num_connections == 1 else 's'} to the Dash network")
        if info.initial_block_download:
            self.sync_label.setText("Synchronizing with network...")
        else:
            self.sync_label.setText(f"Up to date ({info.network})")
        self.console.show_info(info)

    # -- wallets --------------------------------------------------------------------------------------------

    def add_wallet(self, model: WalletModel) -> None:
        if any(w.name == model.name for w in self.wallets):
            return
        self.wallets.append(model)
        self.wallet_combo.addItem(model.display_name, model.name)
        self._update_wallet_widgets()
        self._set_current(model)

    def remove_wallet(self, model: WalletModel) -> None:
        if model not in self.wallets:
            return
        index = self.wallets.index(model)
        self.wallets.remove(model)
        self.wallet_combo.removeItem(index)
        self._update_wallet_widgets()
        if self.current is model:
            self._set_current(self.wallets[0] if self.wallets else None)

    def _update_wallet_widgets(self) -> None:
        many = len(self.wallets) > 1
        self.wallet_caption.setVisible(many)
        self.wallet_combo_action.setVisible(many)
        self.console.set_wallets([w.name for w in self.wallets])

    def _wallet_selected(self, index: int) -> None:
        if 0 <= index < len(self.wallets) and self.wallets[index] is not self.current:
            self._set_current(self.wallets[index])

    def _set_current(self, model: WalletModel | None) -> None:
        self.current = model
        for page in (self.overview, self.send_page, self.receive, self.transactions):
            page.set_wallet_model(model)
        self.central.setCurrentIndex(1 if model is not None else 0)
        for action in self.tab_actions.values():
            action.setEnabled(model is not None)
        self.close_action.setEnabled(model is not None)
        if model is not None:
            self.wallet_combo.setCurrentIndex(self.wallets.index(model))
            self.setWindowTitle(f"{self.windowTitle().split(' - ')[0]} - {model.display_name}")

    def show_page(self, key: str) -> None:
        action = self.tab_actions[key]
        action.setChecked(True)
        action.trigger()

    def show_create_wallet(self) -> None:
        dialog = CreateWalletDialog(self)
        dialog.accepted.connect(lambda: self.create_wallet_requested.emit(dialog.name.text().strip()))
        self.dialog = dialog
        dialog.open()

    def _fill_open_menu(self) -> None:
        self.open_menu.clear()
        loaded = {w.name for w in self.wallets}
        names = [n for n in self.wallet_dir if n not in loaded]
        for name in names:
            self.open_menu.addAction(name or "[default wallet]", lambda n=name: self.open_wallet_requested.emit(n))
        if not names:
            self.open_menu.addAction("(no other wallets in the wallet directory)").setEnabled(False)
        self.wallet_dir_requested.emit()

    def confirm_close_wallet(self) -> None:
        model = self.current
        if model is None:
            return

        def answered(button) -> None:
            if button == QMessageBox.StandardButton.Yes:
                self.close_wallet_requested.emit(model)
        guiutil.message(self, QMessageBox.Icon.Question, "Close wallet",
                        f"Are you sure you wish to close the wallet <i>{model.display_name}</i>?", answered,
                        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                        QMessageBox.StandardButton.No, name="closeWalletConfirmation")

    # -- misc ---------------------------------------------------------------------------------------------

    def set_unit(self, unit: str) -> None:
        self.unit = unit
        self.overview.set_unit(unit)
        self.transactions.set_unit(unit)
        self.send_page.unit.setCurrentText(unit)
        self.receive.unit.setCurrentText(unit)

    def show_console(self, tab: int) -> None:
        self.console.show_tab(tab)
        self.client.refresh()

    def _about(self) -> None:
        version = self.client.info.client_version if self.client.info else ""
        guiutil.message(self, QMessageBox.Icon.Information, "About Dash Core",
                        f"<b>Dash Core</b> version {version}<br><br>A Dash regtest node and wallet; "
                        "this window talks to them only through their interfaces (Node, Wallet).")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        event.ignore()
        self.quit_requested.emit()


def error_box(parent: QWidget | None, title: str, text: str, done: Callable[[int], None] | None = None) -> QMessageBox:
    return guiutil.message(parent, QMessageBox.Icon.Critical, title, text, done, name="errorDialog")
