"""The splash screen: the name, the version, and the node's start-up messages as they come."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter, QPixmap
from PySide6.QtWidgets import QSplashScreen

WIDTH, HEIGHT = 480, 300


def _pixmap(version: str, title: str) -> QPixmap:
    pixmap = QPixmap(WIDTH, HEIGHT)
    painter = QPainter(pixmap)
    gradient = QLinearGradient(0, 0, 0, HEIGHT)
    gradient.setColorAt(0, QColor("#1c75bc"))
    gradient.setColorAt(1, QColor("#0b3d66"))
    painter.fillRect(pixmap.rect(), gradient)
    painter.setPen(QColor("white"))
    font = QFont()
    font.setPointSize(28)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(pixmap.rect().adjusted(0, 70, 0, 0), Qt.AlignmentFlag.AlignHCenter, "Dash Core")
    font.setPointSize(11)
    font.setBold(False)
    painter.setFont(font)
    painter.drawText(pixmap.rect().adjusted(0, 130, 0, 0), Qt.AlignmentFlag.AlignHCenter, f"Version {version}")
    painter.drawText(pixmap.rect().adjusted(0, 155, 0, 0), Qt.AlignmentFlag.AlignHCenter, title)
    painter.end()
    return pixmap


class SplashScreen(QSplashScreen):
    def __init__(self, version: str, title: str):
        super().__init__(_pixmap(version, title))
        self.setObjectName("splashScreen")
        self.last_message = ""

    def show_init_message(self, message: str) -> None:
        self.last_message = message
        self.showMessage(message, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter, QColor("white"))
