"""The README's "Using mpipc" example runs as it stands and prints what the README says."""

from __future__ import annotations

import os
import re
import subprocess
import sys

README = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "README.md")


def test_readme_example_runs(tmp_path):
    text = open(README, encoding="utf-8").read()
    section = text.split("## Using mpipc", 1)[1]
    files = re.findall(r"\*\*(\S+)\*\*\n\n```\w+\n(.*?)```", section, re.S)
    assert [name for name, _ in files] == ["greeter.capnp", "server.py", "client.py"]
    for name, body in files:
        (tmp_path / name).write_text(body, encoding="utf-8")
    done = subprocess.run([sys.executable, "client.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Hello, Ada!", "tick 3", "tick 2", "tick 1", "3",
                                        "the server raised ValueError who is there?"]
    assert done.stderr == ""
