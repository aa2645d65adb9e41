"""The README's first command: python -m dashcore.demo runs a node and its wallet in two processes."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_dash_node_with_its_wallet_in_a_second_process():
    run = subprocess.run([sys.executable, "-m", "dashcore.demo"], capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "its child pid" in out and "dash-wallet -ipcfd" in out
    assert "alice after 101 blocks: 500.0 DASH" in out
    assert "bob: 12.5 DASH" in out
    assert "dash-node stopped with exit code 0" in out
    assert run.stderr == ""
