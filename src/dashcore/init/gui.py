"""What dash-qt and dash-gui share: their options, the start of the Qt application, and how it ends.

Each executable gives a function that makes the GUI's ``NodeSession`` from the options;
the GUI itself (``dashcore.qt``) sees only the session's ``Node``.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any, Callable

from .. import chainparams
from ..util import log as logsetup
from ..util.args import ArgsError, ArgsManager, Option
from .common import parse_args

#: As the node's (dashcore.node.app), written here so that dash-gui loads no node code.
CLIENT_VERSION = "v23.1.2 (dashcore python)"

GUI_OPTIONS = [
    Option("min", "Start minimized"),
    Option("splash", "Show splash screen on startup (default: 1)"),
    Option("choosedatadir", "Choose data directory on startup (default: 0)"),
    Option("resetguisettings", "Reset all settings changed in the GUI", hidden=True),
]

#: The GUI needs no JSON-RPC server of its own: -server=1 keeps the node's up while the GUI runs.
SERVER_DEFAULT = "-server=0"


def parse_gui_args(argv: list[str], usage: str, options: list[Option]) -> ArgsManager | None:
    """As dashd's parsing (help, version, config file, regtest), with -server off unless asked for."""
    args = parse_args(argv, usage, options, CLIENT_VERSION)
    if args is not None and not args.is_set("server"):
        args.parse_command_line([SERVER_DEFAULT])
    return args


def net_dir_of(args: ArgsManager) -> str:
    """``<datadir>/regtest``, made as the node makes it (with ``wallets/``) if it is not there yet."""
    net_dir = os.path.join(args.datadir(), chainparams.NETWORK)
    if not os.path.isdir(net_dir):
        os.makedirs(os.path.join(net_dir, "wallets"))
    return net_dir


def log_to_debug_log(args: ArgsManager, process_name: str) -> None:
    """This process's lines in the node's debug.log (dash-gui: the node runs elsewhere)."""
    logsetup.setup(os.path.join(net_dir_of(args), "debug.log"), print_to_console=args.get_bool("printtoconsole"),
                   micros=args.get_bool("logtimemicros"), thread_names=args.get_bool("logthreadnames"),
                   debug=args.get_list("debug"), process_name=process_name, name_lines=True)


def _qt_or_exit():
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as e:
        raise ArgsError(f"Error: the GUI needs PySide6 ({e}); install it with: pip install -e '.[gui]'") from None
    return QApplication


def _qt_messages_to_log() -> None:
    """Qt's warnings go to debug.log, not stderr (which is for fatal start-up errors only)."""
    import logging

    from PySide6.QtCore import QtMsgType, qInstallMessageHandler
    qt_log = logging.getLogger("dashcore.qt")

    def handler(kind, _context, text) -> None:
        qt_log.log(logging.WARNING if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg,
                                               QtMsgType.QtFatalMsg) else logging.DEBUG, "Qt: %s", text)
    qInstallMessageHandler(handler)


def _choose_datadir(argv: list[str]) -> list[str]:
    from PySide6.QtWidgets import QFileDialog
    chosen = QFileDialog.getExistingDirectory(None, "Choose data directory", os.path.expanduser("~"))
    if not chosen:
        raise ArgsError("Error: no data directory chosen")
    return [*argv, f"-datadir={chosen}"]


def prepare(argv: list[str], usage: str, options: list[Option], process_name: str, title: str,
            make_session: Callable[[ArgsManager], Any]) -> tuple[Any, Any] | int:
    """The QApplication and the (not yet started) GuiApplication; an exit code after -help, -version or an error."""
    try:
        args = parse_gui_args(argv, usage, options)
        if args is None:
            return 0
        QApplication = _qt_or_exit()
        from ..qt import guiutil
        from ..qt.app import GuiApplication, GuiOptions
        _qt_messages_to_log()
        qapp = QApplication.instance() or QApplication([process_name])
        qapp.setApplicationName(title)
        qapp.setQuitOnLastWindowClosed(False)
        if args.get_bool("choosedatadir"):
            args = parse_gui_args(_choose_datadir(argv), usage, options)
        guiutil.apply_style(qapp)
        net_dir_of(args)  # a bad -datadir is an option error, before any window
    except ArgsError as e:
        sys.stderr.write(str(e).rstrip("\n") + "\n")
        sys.stderr.flush()
        return 1
    options_ = GuiOptions(title=title, version=CLIENT_VERSION, splash=args.get_bool("splash", True),
                          start_minimized=args.get_bool("min"))
    return qapp, GuiApplication(qapp, lambda: make_session(args), options_)


def run(prepared: tuple[Any, Any] | int) -> int:
    """Show the GUI and run until it has shut down; SIGINT/SIGTERM shut it down as File > Exit does."""
    if isinstance(prepared, int):
        return prepared
    qapp, gui = prepared
    from PySide6.QtCore import QTimer
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: QTimer.singleShot(0, gui.request_shutdown))
    wake = QTimer()
    wake.start(200)  # lets Python run its signal handlers while Qt waits
    wake.timeout.connect(lambda: None)
    gui.start()
    code = qapp.exec()
    logsetup.shutdown()
    return code


def exit_now(code: int) -> None:
    """Exit without the interpreter's teardown: every process and thread of ours has stopped by now, and
    worker threads still blocked in a call to a dead process must not keep this one alive."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
