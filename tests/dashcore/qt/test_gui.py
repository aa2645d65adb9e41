"""dash-qt and dash-gui driven as a person would (tests/dashcore/qt/driver.py), each run in a process of
its own with a fresh regtest data directory; afterwards no node process may be left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.dashcore.framework import free_port
from tests.waiting import alive, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
RUN_TIMEOUT = 280


def run_driver(scenario: str, executable: str, datadir, *extra: str, env: dict | None = None):
    """Run one scenario; (exit code, output, the node pids it reported)."""
    argv = [sys.executable, "-m", "tests.dashcore.qt.driver", scenario, executable, "-regtest",
            f"-datadir={datadir}", "-splash=0", f"-port={free_port()}", f"-rpcport={free_port()}", *extra]
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", **(env or {}))
    proc = subprocess.Popen(argv, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{scenario} under {executable} hung:\n{out}")
    pids = [int(p) for line in out.splitlines() if line.startswith("PIDS") for p in line.split()[1:]]
    return proc.returncode, out, pids


def assert_gone(pids: list[int]) -> None:
    assert wait_until(lambda: not any(alive(p) for p in pids), timeout=30), \
        f"left running: {[p for p in pids if alive(p)]}"


@pytest.mark.parametrize("executable", ["dash-qt", "dash-gui"])
def test_wallet_from_the_menu_mine_send_confirm(executable, tmp_path):
    code, out, pids = run_driver("end_to_end", executable, tmp_path)
    assert (code, "SCENARIO OK") == (0, out.strip().splitlines()[-1]), out
    assert len(pids) == (2 if executable == "dash-gui" else 0), out
    assert_gone(pids)
    assert os.path.isfile(tmp_path / "regtest" / "wallets" / "alice" / "wallet.dat")


def test_killing_dash_node_shows_an_error_and_exits(tmp_path):
    code, out, pids = run_driver("kill_node", "dash-gui", tmp_path)
    assert "SCENARIO OK" in out and "DIALOG A fatal error occurred" in out, out
    assert code == 1, out
    assert_gone(pids)


def test_each_screen_renders(tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    datadir = tmp_path / "data"
    datadir.mkdir()
    code, out, _ = run_driver("screens", "dash-qt", datadir, env={"GUI_SHOTS": str(shots)})
    assert code == 0 and "SCENARIO OK" in out, out
    names = sorted(p.name for p in shots.iterdir())
    assert names == sorted(f"{n}.png" for n in ("overview", "send", "receive", "transactions", "information",
                                                 "console")), names
    assert all(p.stat().st_size > 5000 for p in shots.iterdir())


def test_dash_gui_attaches_to_a_running_dash_node(tmp_path):
    """-ipcconnect: the GUI uses a dash-node started by hand with -ipcbind, and leaves it running."""
    from tests.dashcore.framework import BIN_DIR
    node = subprocess.Popen([os.path.join(BIN_DIR, "dash-node"), "-regtest", f"-datadir={tmp_path}", "-ipcbind=unix",
                             f"-port={free_port()}", f"-rpcport={free_port()}"], stdout=subprocess.DEVNULL)
    try:
        sock = tmp_path / "regtest" / "node.sock"
        assert wait_until(sock.exists, timeout=30)
        code, out, _ = run_driver("end_to_end", "dash-gui", tmp_path, "-ipcconnect=unix")
        assert code == 0 and "SCENARIO OK" in out, out
        assert node.poll() is None, "the node the GUI attached to keeps running"
    finally:
        node.terminate()
        node.wait(30)
    assert node.returncode == 0


@pytest.mark.parametrize("executable", ["dash-qt", "dash-gui"])
def test_bad_options_a_clear_error_and_no_traceback(executable, tmp_path):
    from tests.dashcore.framework import BIN_DIR
    exe = os.path.join(BIN_DIR, executable)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for argv, expected in ((["-regtest", "-nosuchoption"], "Invalid parameter -nosuchoption"),
                           (["-testnet"], "only regtest is supported"),
                           (["-regtest", f"-datadir={tmp_path}/missing"], "does not exist")):
        proc = subprocess.run([exe, *argv], capture_output=True, text=True, timeout=60, env=env)
        assert proc.returncode == 1 and expected in proc.stderr, (argv, proc.stderr)
        assert "Traceback" not in proc.stderr
    help_text = subprocess.run([exe, "-help"], capture_output=True, text=True, timeout=60, env=env).stdout
    assert "-splash" in help_text and "-min" in help_text and "-choosedatadir" in help_text
