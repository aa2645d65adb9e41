"""scripts/gui-screenshots: the real dash-gui under Xvfb, driven by xdotool key presses, grabbed to three
PNGs that show something; afterwards neither dash-gui (nor its dash-node and dash-wallet) nor Xvfb runs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess

import pytest
from PySide6.QtGui import QImage

from tests.dashcore.qt.driver import check_not_blank
from tests.waiting import group_members, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPT = os.path.join(ROOT, "scripts", "gui-screenshots")
RUN_TIMEOUT = 150
SHOTS = ("gui-overview.png", "gui-send.png", "gui-console.png")

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")),
    reason="needs the Debian packages xvfb and xdotool (apt-get install xvfb xdotool)")


def run_script(*argv: str) -> tuple[int, str]:
    proc = subprocess.Popen([SCRIPT, *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # its trap stops dash-gui and Xvfb
        try:
            out, _ = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        pytest.fail(f"gui-screenshots did not finish in {RUN_TIMEOUT} s:\n{out}")
    return proc.returncode, out


def test_screenshots_of_overview_send_and_console(tmp_path):
    code, out = run_script(str(tmp_path))
    assert code == 0, out
    pids = [int(p) for p in re.findall(r"\(pid (\d+)\)", out)]
    assert len(set(pids)) == 2, f"the pids of Xvfb and dash-gui expected in:\n{out}"
    assert wait_until(lambda: not any(group_members(p) for p in pids), timeout=10), f"left running:\n{out}"
    assert sorted(os.listdir(tmp_path)) == sorted(SHOTS), out
    images = {}
    for name in SHOTS:
        path = tmp_path / name
        assert 5_000 < path.stat().st_size < 200_000, (name, path.stat().st_size)
        image = QImage(str(path))
        assert not image.isNull(), name
        assert image.width() >= 600 and image.height() >= 400, (name, image.width(), image.height())
        check_not_blank(name, image)
        images[name] = image
    assert images["gui-overview.png"] != images["gui-send.png"], "Alt+2 switched from the Overview to Send"


def test_a_bad_argument_prints_the_usage():
    code, out = run_script("--no-such-option")
    assert code == 2 and "usage: scripts/gui-screenshots [OUTPUT_DIR]" in out, out
