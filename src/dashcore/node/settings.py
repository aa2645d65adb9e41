"""regtest/settings.json: read-write settings (the wallets to load on start), written atomically.

As dashd: read and written back once at start (so a new data directory gets ``{}``), with
Dash's errors for a file that is not a JSON object; ``-settings=<file>`` moves it,
``-nosettings`` turns it off (nothing is read or written, updates report failure).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Callable

log = logging.getLogger("dashcore.init")

FILENAME = "settings.json"


class SettingsError(Exception):
    """settings.json cannot be read or written at start: Dash's init error text."""


def _compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Settings:
    def __init__(self, path: str | None, known: Callable[[str], bool] = lambda _name: True):
        """``path`` None: settings are off. ``known`` tells which names are options (others are logged)."""
        self._path = path
        self._lock = threading.Lock()
        self._values: dict = {}
        if path is None:
            return
        if os.path.exists(path):
            self._values = self._read(path)
        for name in self._values:
            if not known(name):
                log.info("Ignoring unknown rw_settings value %s", name)
        for name, value in self._values.items():
            log.info("Setting file arg: %s = %s", name, _compact(value))
        if not self._write():
            raise SettingsError(f"Error: Failed saving settings file:\n- Error: Unable to open settings file {path} "
                                "for writing")

    @staticmethod
    def _read(path: str) -> dict:
        def pairs(items):
            seen = set()
            for key, _ in items:
                if key in seen:
                    raise SettingsError(f"Found duplicate key {key} in settings file {path}")
                seen.add(key)
            return dict(items)
        try:
            with open(path, encoding="utf-8") as f:
                values = json.load(f, object_pairs_hook=pairs)
            if not isinstance(values, dict):
                raise SettingsError(f"Found non-object value {_compact(values)} in settings file {path}")
        except SettingsError as e:
            raise SettingsError(f"Error: Failed loading settings file:\n- {e}") from None
        except (OSError, ValueError):
            raise SettingsError(f"Error: Failed loading settings file:\n- Unable to parse settings file {path}") \
                from None
        return values

    def get(self, name: str):
        with self._lock:
            return self._values.get(name)

    def update(self, name: str, value) -> bool:
        """Set (or with None remove) one setting and write the file; False if it could not be written."""
        with self._lock:
            if value is None:
                self._values.pop(name, None)
            else:
                self._values[name] = value
            return self._write()

    def _write(self) -> bool:
        if self._path is None:
            return False
        tmp = self._path + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self._values, f, indent=4)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path)
        except OSError:
            return False
        return True


def settings_path(value: str, net_dir: str) -> str | None:
    """Where -settings puts the file (relative to ``<datadir>/regtest``); None when turned off."""
    if value in ("", "0"):
        return None
    return os.path.join(net_dir, value)
