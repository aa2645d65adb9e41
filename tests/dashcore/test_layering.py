"""The architecture rule: node (and its RPC server) code never imports wallet code, and the wallet
reaches the node only through the interfaces."""

from __future__ import annotations

import ast
import os

import dashcore

ROOT = os.path.dirname(os.path.abspath(dashcore.__file__))


def imports_of(folder: str) -> dict[str, set[str]]:
    found = {}
    for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                with open(path) as f:
                    tree = ast.parse(f.read())
                rel = os.path.relpath(path, ROOT)
                package = ["dashcore", *os.path.dirname(rel).split(os.sep)]
                mods = set()
                for n in ast.walk(tree):
                    if isinstance(n, ast.ImportFrom):
                        base = package[:len(package) - n.level + 1] if n.level else []
                        mods.add(".".join([*base, n.module] if n.module else base))
                    elif isinstance(n, ast.Import):
                        mods.update(a.name for a in n.names)
                found[rel] = mods
    return found


def test_node_and_rpc_never_import_wallet():
    assert "dashcore.interfaces" in imports_of("node")["node/app.py"]  # the resolver sees relative imports
    assert "dashcore.wallet.interfaces" in imports_of("init")["init/dashd.py"]  # the one place they meet
    for folder in ("node", "rpc", "interfaces"):
        for path, mods in imports_of(folder).items():
            assert not any(m.startswith("dashcore.wallet") for m in mods), f"{path} imports {mods}"


def test_wallet_never_imports_node():
    for path, mods in imports_of("wallet").items():
        assert not any(m.startswith(("dashcore.node", "dashcore.init")) for m in mods), f"{path} imports {mods}"


def test_split_executables_keep_node_and_wallet_apart():
    init = imports_of("init")
    assert "dashcore.ipc" in init["init/dash_node.py"] and "dashcore.ipc" in init["init/dash_wallet.py"]
    for path, forbidden in (("init/dash_node.py", "dashcore.wallet"), ("init/dash_wallet.py", "dashcore.node"),
                            ("init/common.py", "dashcore.wallet"),
                            ("init/common.py", "dashcore.node")):
        assert not any(m.startswith(forbidden) for m in init[path]), f"{path} imports {init[path]}"
    assert "dashcore.init.dashd" not in init["init/dash_node.py"] | init["init/dash_wallet.py"]
    for path, mods in imports_of("ipc").items():
        assert not any(m.startswith(("dashcore.node", "dashcore.wallet", "dashcore.init")) for m in mods), \
            f"{path} imports {mods}"


def test_split_processes_load_only_their_side():
    """Transitively too: the dash-node process never loads wallet code, dash-wallet never loads node code."""
    import subprocess
    import sys
    for module, forbidden in (("dashcore.init.dash_node", "dashcore.wallet"),
                              ("dashcore.init.dash_wallet", "dashcore.node")):
        code = (f"import sys, {module}; "
                f"print(sorted(m for m in sys.modules if m.startswith({forbidden!r})))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        assert out.strip() == "[]", f"{module} loads {out}"
