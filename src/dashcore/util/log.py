"""Logging to ``<datadir>/regtest/debug.log`` (and stdout with -printtoconsole), never to stderr."""

from __future__ import annotations

import datetime
import logging
import os
import sys
import threading
import warnings

LOGGER = "dashcore"


class _Formatter(logging.Formatter):
    def __init__(self, micros: bool, thread_names: bool, process_name: str, name_lines: bool):
        super().__init__()
        self._micros = micros
        self._thread_names = thread_names
        self._process_name = process_name
        self._name_lines = name_lines
        self._tag = "{" + process_name + "-"

    def format(self, record: logging.LogRecord) -> str:
        t = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{t.microsecond:06d}Z" if self._micros else "Z")
        thread = f"[{record.threadName}] " if self._thread_names else ""
        text = record.getMessage()
        if self._name_lines and not text.startswith(self._tag):  # mpipc's IPC lines name the process already
            text = f"{{{self._process_name}-{record.process}/{record.threadName}}} {text}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return f"{stamp} {thread}{text}"


class _AppendHandler(logging.Handler):
    """Appends whole lines with one write each (O_APPEND), so several processes can share the file."""

    def __init__(self, path: str):
        super().__init__()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            os.write(self._fd, (self.format(record) + "\n").encode("utf-8", "replace"))
        except Exception:  # noqa: BLE001 - a log line must never take the process down
            pass

    def close(self) -> None:
        try:
            os.close(self._fd)
        except OSError:
            pass
        super().close()


class _StdoutHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:  # noqa: BLE001
            pass


def setup(log_path: str, *, print_to_console: bool, micros: bool, thread_names: bool, debug: list[str],
          process_name: str, name_lines: bool = False) -> None:
    """Route the ``dashcore`` and ``mpipc`` loggers (and warnings, uncaught errors) to the log.

    ``name_lines``: begin each line with ``{process-pid/thread}``, as the executables of the
    split mode do, since their lines share one debug.log.
    """
    logging.raiseExceptions = False
    formatter = _Formatter(micros, thread_names, process_name, name_lines)
    handlers: list[logging.Handler] = [_AppendHandler(log_path)]
    if print_to_console:
        handlers.append(_StdoutHandler())
    for h in handlers:
        h.setFormatter(formatter)
    everything = any(d in ("", "1", "all") for d in debug)
    categories = {d.lower() for d in debug}
    for name, on in ((LOGGER, everything or bool(categories - {"0", "none"})),
                     ("mpipc", everything or "ipc" in categories),
                     ("py.warnings", True)):
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.propagate = False
        logger.setLevel(logging.DEBUG if on else logging.INFO)
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    log = logging.getLogger(LOGGER)
    sys.excepthook = lambda t, v, tb: log.error("uncaught exception", exc_info=(t, v, tb))
    threading.excepthook = lambda a: log.error("uncaught exception in thread %s", a.thread.name if a.thread else "?",
                                               exc_info=(a.exc_type, a.exc_value, a.exc_traceback))


def shutdown() -> None:
    for name in (LOGGER, "mpipc", "py.warnings"):
        logger = logging.getLogger(name)
        for h in logger.handlers:
            h.close()
        logger.handlers[:] = []
