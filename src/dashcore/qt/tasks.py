"""Running calls to the node and the wallets off the GUI thread, with the result handed back on it.

``Tasks.run(fn, done, failed)`` runs ``fn()`` on a worker thread (it may wait on another
process as long as it needs) and then calls ``done(result)`` or ``failed(exception)`` on
the GUI thread. The GUI thread itself never calls a ``Node`` or ``Wallet`` method.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("dashcore.qt")


class Tasks(QObject):
    _finished = Signal(object)
    busy_changed = Signal(int)

    def __init__(self, workers: int = 4, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gui-task")
        self._lock = threading.Lock()
        self._busy = 0
        self._closed = False
        self._finished.connect(self._deliver)

    @property
    def busy(self) -> int:
        """Tasks submitted and not yet delivered."""
        return self._busy

    def run(self, fn: Callable[[], Any], done: Callable[[Any], None] | None = None,
            failed: Callable[[BaseException], None] | None = None) -> None:
        with self._lock:
            if self._closed:
                return
            self._busy += 1
        self.busy_changed.emit(self._busy)
        self._pool.submit(self._work, fn, done, failed)

    def _work(self, fn, done, failed) -> None:
        try:
            result, error = fn(), None
        except BaseException as e:  # noqa: BLE001 - handed to the GUI thread
            result, error = None, e
        try:
            self._finished.emit((done, failed, result, error))
        except RuntimeError:  # the GUI is gone (its QObject deleted): nobody is waiting
            pass

    def _deliver(self, item) -> None:
        done, failed, result, error = item
        self._busy -= 1
        self.busy_changed.emit(self._busy)
        if error is None:
            if done is not None:
                done(result)
        elif failed is not None:
            failed(error)
        else:
            log.error("a background call failed: %s: %s", type(error).__name__, error)

    def close(self, wait: bool = True) -> None:
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)
