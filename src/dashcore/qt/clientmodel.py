"""ClientModel: the node as the GUI sees it (tip, node information), kept current by the node's notifications."""

from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from ..interfaces import Handler, Node, NodeInfo
from .tasks import Tasks

log = logging.getLogger("dashcore.qt")

#: Connections change without a notification: the information is read again this often (ms).
INFO_REFRESH_MS = 5000


class ClientModel(QObject):
    tip_changed = Signal(int)  # height (from the node's block-tip notification)
    header_tip_changed = Signal(int)
    info_changed = Signal(object)  # NodeInfo
    _tip = Signal(int)
    _header = Signal(int)

    def __init__(self, node: Node, tasks: Tasks, parent: QObject | None = None):
        super().__init__(parent)
        self.node = node
        self._tasks = tasks
        self.info: NodeInfo | None = None
        self._handlers: list[Handler] = []
        self._refreshing = False
        self._again = False
        self._tip.connect(self._on_tip)
        self._header.connect(self.header_tip_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(INFO_REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    def start(self) -> None:
        """Subscribe to the node's notifications (off the GUI thread), then read its information."""
        def subscribe() -> None:
            self._handlers.append(self.node.handle_notify_block_tip(lambda height, _hash: self._tip.emit(height)))
            self._handlers.append(self.node.handle_notify_header_tip(lambda height, _hash: self._header.emit(height)))
        self._tasks.run(subscribe, lambda _: self.refresh(), lambda e: log.error("subscribing to the node: %s", e))
        self._timer.start()

    def _on_tip(self, height: int) -> None:
        self.tip_changed.emit(height)
        self.refresh()

    def refresh(self) -> None:
        """Read the node's information again (at most one read in flight; another follows if asked meanwhile)."""
        if self._refreshing:
            self._again = True
            return
        self._refreshing = True
        self._tasks.run(self.node.get_node_info, self._got_info, self._refresh_failed)

    def _got_info(self, info: NodeInfo) -> None:
        self.info = info
        self._refreshing = False
        self.info_changed.emit(info)
        if self._again:
            self._again = False
            self.refresh()

    def _refresh_failed(self, error: BaseException) -> None:
        self._refreshing = False
        log.info("reading the node's information: %s", error)

    def stopper(self) -> Callable[[], None]:
        """What disconnects the notifications: run it off the GUI thread, before the node stops."""
        self._timer.stop()
        handlers, self._handlers = self._handlers, []

        def disconnect() -> None:
            for h in handlers:
                try:
                    h.disconnect()
                except Exception as e:  # noqa: BLE001 - the node may be gone already
                    log.info("disconnecting a node handler: %s", e)
        return disconnect
