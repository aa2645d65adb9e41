"""The clock of the process, which ``-mocktime``/``setmocktime`` can freeze."""

from __future__ import annotations

import time as _time

_mock_time = 0
_start_time = _time.time()


def set_mock_time(t: int) -> None:
    global _mock_time
    _mock_time = int(t)


def get_mock_time() -> int:
    return _mock_time


def get_time() -> int:
    """Seconds since the epoch, or the mock time when one is set."""
    return _mock_time if _mock_time else int(_time.time())


def uptime() -> int:
    return get_time() - int(_start_time)
