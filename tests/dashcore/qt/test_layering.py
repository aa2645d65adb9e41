"""The GUI sees the node and the wallets only through the interfaces, and dash-gui loads neither."""

from __future__ import annotations

import subprocess
import sys

from tests.dashcore.test_layering import imports_of


def test_gui_code_imports_only_interfaces_and_plain_modules():
    forbidden = ("dashcore.node", "dashcore.wallet", "dashcore.init", "dashcore.ipc", "dashcore.rpc", "mpipc")
    for path, mods in imports_of("qt").items():
        assert not any(m.startswith(forbidden) for m in mods), f"{path} imports {mods}"


def test_dash_gui_process_loads_no_node_or_wallet_code():
    code = ("import sys, dashcore.init.dash_gui, dashcore.qt.app; "
            "print(sorted(m for m in sys.modules if m.startswith(('dashcore.node', 'dashcore.wallet'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
