"""Small helpers shared by the screens: message boxes that do not block, dates, fonts, the Dash palette."""

from __future__ import annotations

import datetime
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

DASH_BLUE = "#008de4"
NEGATIVE = "#c0392b"
POSITIVE = "#1e8449"
MUTED = "#6c757d"


def message(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str,
            done: Callable[[int], None] | None = None, buttons=QMessageBox.StandardButton.Ok,
            default=QMessageBox.StandardButton.NoButton, name: str = "") -> QMessageBox:
    """A message box shown window-modal without a nested event loop; ``done(button)`` when it closes."""
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setObjectName(name or "messageBox")
    if default != QMessageBox.StandardButton.NoButton:
        box.setDefaultButton(default)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if done is not None:
        box.finished.connect(lambda _r: done(box.standardButton(box.clickedButton()) if box.clickedButton()
                                             else QMessageBox.StandardButton.Cancel))
    box.open()
    return box


def format_time(timestamp: int, seconds: bool = False) -> str:
    if not timestamp:
        return ""
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return datetime.datetime.fromtimestamp(timestamp).strftime(fmt)


def fixed_font() -> QFont:
    font = QFont("DejaVu Sans Mono")
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def apply_style(app: QApplication) -> None:
    """Fusion with Dash Core's light look: white panels, Dash blue for selection and links."""
    app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#f2f4f7"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f7f9fb"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(DASH_BLUE))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.Link, QColor(DASH_BLUE))
    app.setPalette(palette)
    app.setStyleSheet(
        "QGroupBox { font-weight: bold; border: 1px solid #d5dbe3; border-radius: 6px; margin-top: 14px;"
        " background: #ffffff; padding: 10px; }"
        "QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; color: #1c2b39; }"
        "QToolBar { background: #1c75bc; spacing: 4px; padding: 4px; border: none; }"
        "QToolBar QToolButton { color: white; font-weight: bold; padding: 6px 14px; border-radius: 4px; }"
        "QToolBar QToolButton:checked { background: #ffffff; color: #1c75bc; }"
        "QToolBar QToolButton:hover:!checked { background: #3a8fd1; }"
        "QToolBar QLabel { color: white; }"
        "QPushButton { padding: 5px 14px; }"
        "QPushButton#sendButton, QPushButton#receiveButton { background: #008de4; color: white; border-radius: 4px;"
        " font-weight: bold; padding: 6px 18px; }"
        "QPushButton#sendButton:disabled, QPushButton#receiveButton:disabled { background: #9cc9ea; }")
