"""ValidationSignals: chain events queued under cs_main, delivered in order on one thread.

Why a queue: subscribers (wallets) take their own locks and call back into the chain;
delivering while validation holds cs_main would invert the lock order. The thread is
owned here: ``stop`` drains the queue and joins it.
"""

from __future__ import annotations

import collections
import logging
import threading
from typing import Callable

from ..interfaces import CallbackHandler, ChainNotifications, Handler

log = logging.getLogger("dashcore.signals")


class ValidationSignals:
    def __init__(self) -> None:
        self._subscribers: list[ChainNotifications] = []
        self._queue: collections.deque[Callable[[], None]] = collections.deque()
        self._cond = threading.Condition()
        self._busy = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def register(self, subscriber: ChainNotifications) -> Handler:
        with self._cond:
            self._subscribers.append(subscriber)

        def unregister() -> None:
            with self._cond:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)
        return CallbackHandler(unregister)

    def enqueue(self, event: str, *args) -> None:
        """Queue ``subscriber.<event>(*args)`` for every subscriber registered when it runs."""
        def deliver() -> None:
            with self._cond:
                subscribers = list(self._subscribers)
            for s in subscribers:
                try:
                    getattr(s, event)(*args)
                except Exception:  # noqa: BLE001 - one subscriber's failure must not stop the others
                    log.exception("notification %s failed in %r", event, s)
        self.call(deliver)

    def call(self, fn: Callable[[], None]) -> None:
        """Queue any function to run on the notification thread, in order."""
        with self._cond:
            self._queue.append(fn)
            self._cond.notify_all()

    def sync(self) -> None:
        """Wait until everything queued so far has been delivered."""
        if threading.current_thread() is self._thread:
            return
        with self._cond:
            while (self._queue or self._busy) and self._thread.is_alive():
                self._cond.wait(1.0)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                fn = self._queue.popleft()
                self._busy = True
            try:
                fn()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join()
