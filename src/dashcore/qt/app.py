"""The GUI's life: splash and node start-up, the main window and its wallets, and shutdown.

What starts the node differs by executable and comes in as a ``NodeSession`` (see
``dashcore.init.gui``): dash-qt's node runs in this process, dash-gui's in a
dash-node it spawned or attached to. Everything here sees only the session's ``Node``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QVBoxLayout, QWidget

from ..interfaces import Handler, InterfaceError, Node, Wallet, WalletLoader
from . import guiutil
from .clientmodel import ClientModel
from .gui import BitcoinGUI, error_box
from .splash import SplashScreen
from .tasks import Tasks
from .walletmodel import WalletModel

log = logging.getLogger("dashcore.qt")

#: How often the GUI asks the node whether it was told to stop (the `stop` RPC), as Dash Core's GUI does.
SHUTDOWN_POLL_MS = 500


class NodeSession(Protocol):
    """What an executable gives the GUI: the Node, and the process (or thread) behind it."""

    node: Node

    def wait_lost(self) -> str | None:
        """Block until the node is gone: an error text if it went unexpectedly, None if it stopped."""

    def close(self) -> None:
        """End the connection and the processes started for the node (after ``app_shutdown``)."""


@dataclass
class GuiOptions:
    title: str = "Dash Core - Wallet"
    version: str = ""
    splash: bool = True
    start_minimized: bool = False
    fatal_exit_code: int = 1


class GuiApplication(QObject):
    initialized = Signal()  # the main window is up
    finished = Signal(int)  # exit code, once everything has stopped
    _message = Signal(str)
    _started = Signal(object)  # (WalletLoader | None, [Wallet])
    _failed = Signal(str)
    _lost = Signal(object)  # str | None
    _wallet_ready = Signal(object)  # (Wallet, name, fee rate)
    _stopped = Signal()

    def __init__(self, qapp: QApplication, start_session: Callable[[], NodeSession], options: GuiOptions):
        super().__init__()
        self.qapp = qapp
        self.options = options
        self._start_session = start_session
        self.session: NodeSession | None = None
        self.tasks = Tasks(parent=self)
        self.splash: SplashScreen | None = None
        self.window: BitcoinGUI | None = None
        self.client: ClientModel | None = None
        self.loader: WalletLoader | None = None
        self.shutdown_window: QWidget | None = None
        self.error_dialog: QMessageBox | None = None
        self.exit_code = 0
        self._handlers: list[Handler] = []
        self._stopping = False
        self._polling = False
        self._message.connect(self._show_message)
        self._started.connect(self._on_started)
        self._failed.connect(self._on_failed)
        self._lost.connect(self._on_lost)
        self._wallet_ready.connect(self._add_wallet)
        self._stopped.connect(self._on_stopped)
        self._poll = QTimer(self)
        self._poll.setInterval(SHUTDOWN_POLL_MS)
        self._poll.timeout.connect(self._poll_shutdown)

    # -- start-up ----------------------------------------------------------------------------------------

    def start(self) -> None:
        if self.options.splash and not self.options.start_minimized:
            self.splash = SplashScreen(self.options.version, self.options.title)
            self.splash.show()
            self.splash.show_init_message("Starting...")
        threading.Thread(target=self._initialize, name="gui-init", daemon=True).start()

    def _initialize(self) -> None:
        """Off the GUI thread: start the node session and the node, and find its wallets."""
        try:
            self.session = self._start_session()
            node = self.session.node
            self._handlers.append(node.handle_init_message(self._message.emit))
            node.app_init_main()
            threading.Thread(target=self._watch, name="gui-watch", daemon=True).start()
            loader = node.wallet_loader()
            wallets = loader.get_wallets() if loader is not None else []
            self._started.emit((loader, [WalletModel.open(w) for w in wallets]))
        except InterfaceError as e:
            self._failed.emit(e.message)
        except Exception as e:  # noqa: BLE001 - shown to the user; the log has the rest
            log.exception("start-up failed")
            self._failed.emit(f"{type(e).__name__}: {e}")

    def _watch(self) -> None:
        session = self.session
        if session is not None:
            self._lost.emit(session.wait_lost())

    def _show_message(self, message: str) -> None:
        if self.splash is not None:
            self.splash.show_init_message(message)

    def _on_started(self, result) -> None:
        loader, wallets = result
        assert self.session is not None
        self.loader = loader
        self.client = ClientModel(self.session.node, self.tasks, self)
        self.window = BitcoinGUI(self.client, self.tasks, self.options.title)
        w = self.window
        w.quit_requested.connect(self.request_shutdown)
        w.create_wallet_requested.connect(self.create_wallet)
        w.open_wallet_requested.connect(self.open_wallet)
        w.close_wallet_requested.connect(self.close_wallet)
        w.wallet_dir_requested.connect(self._read_wallet_dir)
        self.client.start()
        for opened in wallets:
            self._add_wallet(opened)
        if loader is not None:
            self.tasks.run(lambda: loader.handle_load_wallet(lambda wallet: self._wallet_ready.emit(
                WalletModel.open(wallet))), self._handlers.append)
            self._read_wallet_dir()
        else:
            w.create_action.setEnabled(False)
            w.open_menu.setEnabled(False)
        if self.options.start_minimized:
            w.showMinimized()
        else:
            w.show()
        if self.splash is not None:
            self.splash.finish(w)
            self.splash = None
        self._poll.start()
        self.initialized.emit()

    def _on_failed(self, message: str) -> None:
        if self.splash is not None:
            self.splash.close()
            self.splash = None
        self.exit_code = self.options.fatal_exit_code
        self.error_dialog = error_box(None, self.options.title, f"Error: the node could not start.\n\n{message}",
                                      lambda _b: self._stop_session())

    # -- wallets ------------------------------------------------------------------------------------------

    def _add_wallet(self, opened) -> None:
        if self.window is None or self._stopping:
            return
        wallet, name, fee_rate = opened
        model = WalletModel(wallet, name, fee_rate, self.tasks, self)
        if any(w.name == name for w in self.window.wallets):
            return
        model.unloaded.connect(lambda: self.window and self.window.remove_wallet(model))
        self.client.tip_changed.connect(model.refresh)
        self.window.add_wallet(model)
        model.start()

    def _read_wallet_dir(self) -> None:
        loader = self.loader
        if loader is not None and self.window is not None:
            self.tasks.run(loader.list_wallet_dir, lambda names: setattr(self.window, "wallet_dir", names))

    def create_wallet(self, name: str) -> None:
        loader = self.loader
        if loader is None:
            return
        self.tasks.run(lambda: WalletModel.open(loader.create_wallet(name, False, False, True)),
                       self._add_wallet, lambda e: self._wallet_error("Create wallet failed", e))

    def open_wallet(self, name: str) -> None:
        loader = self.loader
        if loader is None:
            return
        self.tasks.run(lambda: WalletModel.open(loader.load_wallet(name, True)), self._add_wallet,
                       lambda e: self._wallet_error("Open wallet failed", e))

    def close_wallet(self, model: WalletModel) -> None:
        stop = model.stopper()

        def close() -> None:
            stop()
            model.wallet.remove()
        self.tasks.run(close, lambda _r: self.window and self.window.remove_wallet(model),
                       lambda e: self._wallet_error("Close wallet failed", e))

    def _wallet_error(self, title: str, error: BaseException) -> None:
        text = error.message if isinstance(error, InterfaceError) else f"{type(error).__name__}: {error}"
        guiutil.message(self.window, QMessageBox.Icon.Warning, title, text, name="walletError")

    # -- shutdown -----------------------------------------------------------------------------------------

    def _poll_shutdown(self) -> None:
        if self._polling or self._stopping or self.session is None:
            return
        self._polling = True
        node = self.session.node

        def polled(requested: bool) -> None:
            self._polling = False
            if requested:
                self.request_shutdown()
        self.tasks.run(node.shutdown_requested, polled, lambda _e: setattr(self, "_polling", False))

    def request_shutdown(self) -> None:
        """Stop everything in order, off the GUI thread, with a window saying so; ``finished`` at the end."""
        if self._stopping:
            return
        self._stopping = True
        self._poll.stop()
        stoppers = []
        if self.window is not None:
            stoppers = [m.stopper() for m in self.window.wallets]
            self.window.console.hide()
            self.window.hide()
        if self.client is not None:
            stoppers.append(self.client.stopper())
        handlers, self._handlers = self._handlers, []
        self.shutdown_window = _shutdown_window(self.options.title)
        self.shutdown_window.show()
        session = self.session

        def stop() -> None:
            for s in stoppers:
                s()
            for h in handlers:
                try:
                    h.disconnect()
                except Exception as e:  # noqa: BLE001
                    log.info("disconnecting a handler: %s", e)
            if session is not None:
                try:
                    session.node.app_shutdown()
                except Exception as e:  # noqa: BLE001 - the node may be gone already
                    log.info("stopping the node: %s", e)
                session.close()
            self._stopped.emit()
        threading.Thread(target=stop, name="gui-shutdown", daemon=True).start()

    def _on_lost(self, error: str | None) -> None:
        if self._stopping:
            return
        if error is None:  # the node stopped (the `stop` RPC): shut down as if asked
            self.request_shutdown()
            return
        self._stopping = True
        self._poll.stop()
        self.exit_code = self.options.fatal_exit_code
        if self.window is not None:
            self.window.console.hide()
        if self.splash is not None:
            self.splash.close()
            self.splash = None
        self.error_dialog = error_box(
            self.window, self.options.title,
            f"A fatal error occurred: {error}\n\nDash Core can no longer continue safely and will quit.",
            lambda _b: self._stop_session())

    def _stop_session(self) -> None:
        """After a failure: end what is left of the session (its processes), then finish."""
        if self.window is not None:
            self.window.hide()
        self._stopping = True
        session = self.session

        def stop() -> None:
            if session is not None:
                try:
                    session.close()
                except Exception as e:  # noqa: BLE001
                    log.info("closing the session: %s", e)
            self._stopped.emit()
        threading.Thread(target=stop, name="gui-shutdown", daemon=True).start()

    def _on_stopped(self) -> None:
        self.tasks.close(wait=False)
        if self.shutdown_window is not None:
            self.shutdown_window.close()
        if self.window is not None:
            self.window.console.close()
            self.window.deleteLater()
        self.finished.emit(self.exit_code)
        self.qapp.exit(self.exit_code)


def _shutdown_window(title: str) -> QWidget:
    window = QWidget(None, Qt.WindowType.Window)
    window.setObjectName("shutdownWindow")
    window.setWindowTitle(title)
    layout = QVBoxLayout(window)
    layout.addWidget(QLabel("Dash Core is shutting down...\n\nDo not shut down the computer until this window "
                            "disappears."))
    return window
