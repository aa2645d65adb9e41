"""regtest/settings.json: read-write settings (the wallets to load on start), written atomically."""

from __future__ import annotations

import json
import os
import threading


class SettingsError(Exception):
    """settings.json exists but cannot be read."""


class Settings:
    def __init__(self, path: str):
        self._path = path
        self._lock = threading.Lock()
        self._values: dict = {}
        if os.path.exists(path):
            try:
                with open(path, encoding="utf-8") as f:
                    values = json.load(f)
            except (OSError, ValueError) as e:
                raise SettingsError(f"Error: Failed loading settings file: {path}: {e}") from None
            if not isinstance(values, dict):
                raise SettingsError(f"Error: Failed loading settings file: {path}: not a JSON object")
            self._values = values

    def get(self, name: str):
        with self._lock:
            return self._values.get(name)

    def update(self, name: str, value) -> bool:
        with self._lock:
            if value is None:
                self._values.pop(name, None)
            else:
                self._values[name] = value
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
