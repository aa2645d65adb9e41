"""Drives dash-qt or dash-gui as a person would, in a process of its own (one scenario per run).

    python -m tests.dashcore.qt.driver SCENARIO EXECUTABLE [options...]

The GUI is built exactly as its executable builds it (``prepare``), and the scenario
runs on the Qt main thread once the main window is up: it clicks menus and buttons and
types into fields, and waits for what it expects to appear, each wait bounded. It
prints ``PIDS <pid>...`` (the node processes), ``SCENARIO OK`` at the end, and exits with
the GUI's exit code, or 3 with the traceback when a step failed.
"""

from __future__ import annotations

import os
import sys
import time
import traceback

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox  # noqa: E402

from dashcore.qt.units import COIN, format_amount  # noqa: E402

STEP_TIMEOUT = 90.0


class StepFailed(AssertionError):
    pass


def spin(condition, what: str, timeout: float = STEP_TIMEOUT):
    """Process Qt events until ``condition()`` is true; StepFailed after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise StepFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rpartition(")")[2].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def node_pids(gui) -> list[int]:
    """dash-node and its dash-wallet (dash-gui), none for dash-qt (one process)."""
    proc = getattr(gui.session, "process", None)
    if proc is None:
        return []
    return [proc.pid, *children_of(proc.pid)]


class Console:
    def __init__(self, window):
        self.console = window.console
        self.results: list[tuple[str, bool, str]] = []
        self.console.command_done.connect(lambda line, ok, text: self.results.append((line, ok, text)))

    def run(self, line: str, timeout: float = STEP_TIMEOUT) -> str:
        """Type ``line`` into the console's command line and press Enter; its output."""
        before = len(self.results)
        self.console.line.setText(line)
        self.console.line.returnPressed.emit()
        spin(lambda: len(self.results) > before, f"the console's answer to {line!r}", timeout)
        _line, ok, text = self.results[before]
        if not ok:
            raise StepFailed(f"console command {line!r} failed: {text}")
        return text


def close_message_box(box: QMessageBox, button=QMessageBox.StandardButton.Ok) -> None:
    box.button(button).click()


def create_wallet_from_menu(window, name: str) -> None:
    window.create_action.trigger()
    dialog = spin(lambda: window.dialog if window.dialog is not None and window.dialog.isVisible() else None,
                  "the Create Wallet dialog")
    dialog.name.setText(name)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    spin(lambda: window.current is not None and window.current.name == name, f"wallet {name!r} to be loaded")
    window.dialog = None


def label(window, name: str) -> str:
    return window.overview.labels[name].text()


# -- scenarios -----------------------------------------------------------------------------------------------

def end_to_end(gui) -> None:
    """Create a wallet from the menu, mine 101 blocks in the console, see the balance, send, confirm."""
    w = gui.window
    print("PIDS", *node_pids(gui), flush=True)
    spin(lambda: w.blocks_label.text() == "Blocks: 0", "the status bar's block height")
    assert w.central.currentWidget() is w.no_wallet, "no wallet yet: the create-a-wallet page"
    create_wallet_from_menu(w, "alice")
    console = Console(w)
    w.show_console(1)
    mine_to = console.run("getnewaddress")
    assert mine_to.startswith("y"), mine_to
    assert "generatetoaddress" in console.run("help")
    console.run(f"generatetoaddress 101 {mine_to}")
    w.console.hide()
    w.show_page("overview")
    spin(lambda: label(w, "labelBalance") == format_amount(500 * COIN), "the available balance on the Overview")
    spin(lambda: label(w, "labelImmature") == format_amount(100 * 500 * COIN), "the immature balance")
    assert label(w, "labelTotal") == format_amount(101 * 500 * COIN), label(w, "labelTotal")
    spin(lambda: w.blocks_label.text() == "Blocks: 101", "the status bar at 101 blocks")
    assert w.overview.recent.count() > 0

    create_wallet_from_menu(w, "bob")
    w.show_page("receive")
    page = w.receive
    page.label.setText("from alice")
    page.amount.setText("12.5")
    page.request_button.click()
    spin(lambda: page.address, "a new receiving address")
    assert page.uri.startswith(f"dash:{page.address}?amount=12.5&label=from%20alice"), page.uri
    assert not page.qr.pixmap().isNull() and page.qr.pixmap().width() > 100
    page.copy_uri.click()
    assert QGuiApplication.clipboard().text() == page.uri
    bob_address = page.address

    w.wallet_combo.setCurrentIndex(0)
    spin(lambda: w.current.name == "alice", "alice selected")
    w.show_page("send")
    send = w.send_page
    assert "/kB" in send.fee_label.text(), send.fee_label.text()
    send.pay_to.setText(bob_address[:-3] + "xxx")
    assert send.address_status.text() == "Invalid Dash address", "validation as you type"
    send.pay_to.setText(bob_address)
    assert send.address_status.text() == ""
    send.amount.setText("1000")
    send.send_button.click()
    error = spin(lambda: _visible_box("sendError"), "the insufficient-funds error")
    assert "exceeds your balance" in error.text(), error.text()
    close_message_box(error)
    send.amount.setText("12.5")
    send.send_button.click()
    confirm = spin(lambda: send.confirmation, "the send confirmation")
    assert "Transaction fee" in confirm.text() and "12.50000000 DASH" in confirm.text(), confirm.text()
    close_message_box(confirm, QMessageBox.StandardButton.Yes)
    spin(lambda: send.status.text().startswith("Sent"), "the payment to be sent")

    w.show_page("transactions")
    table = w.transactions

    def sent_row():
        for row in range(table.proxy.rowCount()):
            r = table.record_at(row)
            if r.type == "Sent to" and r.address == bob_address:
                return r
        return None
    sent = spin(sent_row, "the payment in the transactions table")
    assert sent.depth == 0 and sent.amount < -12 * COIN, sent
    spin(lambda: label(w, "labelBalance") != format_amount(500 * COIN), "alice's balance after the payment")
    table.type_combo.setCurrentIndex(table.type_combo.findData("Sent to"))
    assert table.proxy.rowCount() == 1, table.proxy.rowCount()
    table.type_combo.setCurrentIndex(0)
    table.search.setText(bob_address[:10])
    assert table.proxy.rowCount() == 1
    table.search.clear()

    console.run(f"generatetoaddress 1 {mine_to}")
    spin(lambda: (sent_row() or sent).depth == 1, "the payment confirmed in the table")
    row = next(i for i in range(table.proxy.rowCount()) if table.record_at(i).txid == sent.txid)
    table.table.doubleClicked.emit(table.proxy.index(row, 1))
    dialog = spin(lambda: table.dialog, "the transaction details")
    assert sent.txid_hex in dialog.text.toPlainText()
    dialog.close()

    w.wallet_combo.setCurrentIndex(1)
    w.show_page("overview")
    spin(lambda: label(w, "labelBalance") == format_amount(1250_000_000), "bob's confirmed 12.5 DASH")

    w.show_console(0)
    spin(lambda: w.console.info_labels["num_blocks"].text() == "102", "the debug window's block count")
    assert w.console.info_labels["network"].text() == "regtest"


def _visible_box(name: str):
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


def kill_node(gui) -> None:
    """dash-node is killed under dash-gui: a clear error dialog, then the GUI exits."""
    import signal
    pids = node_pids(gui)
    print("PIDS", *pids, flush=True)
    assert len(pids) == 2, f"dash-node and dash-wallet expected, got {pids}"
    os.kill(pids[0], signal.SIGKILL)
    box = spin(lambda: _visible_box("errorDialog"), "the fatal error dialog")
    assert "fatal error" in box.text() and "dash-node" in box.text(), box.text()
    print("DIALOG", box.text().replace("\n", " "), flush=True)
    close_message_box(box)


def screens(gui, folder: str | None = None) -> None:
    """Each screen renders something: grabbed to PNG, of a real size, not one flat colour."""
    w = gui.window
    folder = folder or os.environ.get("GUI_SHOTS", "")
    create_wallet_from_menu(w, "")
    console = Console(w)
    address = console.run("getnewaddress")
    console.run(f"generatetoaddress 101 {address}")
    spin(lambda: label(w, "labelBalance") == format_amount(500 * COIN), "the balance")
    w.receive.label.setText("coffee")
    w.receive.request_button.click()
    spin(lambda: w.receive.address, "a payment request")
    shots = {}
    for key in ("overview", "send", "receive", "transactions"):
        w.show_page(key)
        shots[key] = w.grab().toImage()
    w.show_console(0)
    shots["information"] = w.console.grab().toImage()
    w.show_console(1)
    assert w.console.focusWidget() is w.console.line, "typing goes to the console's command line"
    console.run("getblockchaininfo")
    shots["console"] = w.console.grab().toImage()
    for name, image in shots.items():
        check_not_blank(name, image)
        if folder:
            image.save(os.path.join(folder, f"{name}.png"))
    print("SHOTS", *shots, flush=True)


def check_not_blank(name: str, image: QImage) -> None:
    assert image.width() >= 300 and image.height() >= 200, f"{name}: {image.width()}x{image.height()}"
    colours = set()
    for y in range(0, image.height(), 7):
        for x in range(0, image.width(), 7):
            colours.add(image.pixel(x, y))
    assert len(colours) >= 8, f"{name} looks blank ({len(colours)} colours)"


SCENARIOS = {"end_to_end": end_to_end, "kill_node": kill_node, "screens": screens}


def main(argv: list[str]) -> int:
    scenario, executable, options = SCENARIOS[argv[0]], argv[1], argv[2:]
    if executable == "dash-qt":
        from dashcore.init import dash_qt as exe
    else:
        from dashcore.init import dash_gui as exe
    import mpipc
    mpipc.set_process_name(executable)
    prepared = exe.prepare(options)
    if isinstance(prepared, int):
        return prepared
    qapp, gui = prepared
    outcome: dict = {}

    def run_scenario() -> None:
        try:
            scenario(gui)
            outcome["ok"] = True
        except BaseException:  # noqa: BLE001 - reported, then the GUI is shut down
            outcome["error"] = traceback.format_exc()
        if not gui._stopping:
            gui.request_shutdown()
    gui.initialized.connect(lambda: QTimer.singleShot(0, run_scenario))
    gui.start()
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(lambda: (outcome.setdefault("error", "the scenario did not finish in time"),
                                      gui.request_shutdown()))
    deadline.start(int(float(os.environ.get("GUI_SCENARIO_TIMEOUT", "240")) * 1000))
    code = qapp.exec()
    if "error" in outcome:
        print(outcome["error"], flush=True)
        return 3
    if outcome.get("ok"):
        print("SCENARIO OK", flush=True)
    return code


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)
