"""Acceptance: Dash Core's own functional tests pass, unchanged, against our dashd and our dash-node.

Set ``DASH_FUNCTIONAL_DIR`` to a copy of Dash Core's ``test/functional`` folder, taken outside
this repository, for example::

    git clone --filter=blob:none --no-checkout https://github.com/UdjinM6/dash /tmp/dash
    git -C /tmp/dash archive 2f1d59e9 test/functional | tar -x -C /tmp/dashfunc
    DASH_FUNCTIONAL_DIR=/tmp/dashfunc/test/functional pytest tests/dashcore/test_dash_functional.py

The folder is copied into a temporary directory, a ``test/config.ini`` is written beside it,
and Dash's ``test_runner.py -j2`` runs ``TESTS`` once with ``DASHD`` set to our ``dashd`` and
once to ``dash-node`` (``DASHCLI`` is our ``dash-cli``). Every listed test must be reported
"Passed" both times: the runner exits 0 on "Skipped" too, so its summary table is read.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys

import pytest

BIN_DIR = os.path.dirname(sys.executable)

#: Dash Core functional tests (with their arguments, as test_runner.py takes them) that must pass.
TESTS = [
    # named by the P2P issue
    "feature_help.py",
    "rpc_uptime.py",
    "wallet_disable.py",
    "rpc_named_arguments.py",
    "rpc_deprecated.py",
    "p2p_block_sync.py --v1transport",
    "mempool_spend_coinbase.py",
    "rpc_getchaintips.py",
    "rpc_invalidateblock.py",
    "wallet_listtransactions.py --legacy-wallet",
    # start-up, options, files
    "feature_uacomment.py",
    "feature_maxtipage.py",
    "feature_posix_fs_permissions.py",
    "feature_settings.py",
    "feature_includeconf.py",
    "feature_shutdown.py",
    "feature_txindex.py",
    # RPC server and utility RPCs
    "interface_rpc.py",
    "interface_http.py",
    "rpc_external_queue.py",
    "rpc_bind.py --ipv4",
    "rpc_getdescriptorinfo.py",
    "rpc_deriveaddresses.py",
    "rpc_invalid_address_message.py",
    "rpc_signmessagewithprivkey.py",
    "rpc_decodescript.py",
    "rpc_generate.py",
    "rpc_preciousblock.py",
    "rpc_txoutproof.py",
    # mempool
    "mempool_expiry.py",
    "mempool_resurrect.py",
    "mempool_reorg.py",
    "rpc_mempool_info.py",
    "mempool_persist.py --descriptors",
    # P2P
    "p2p_disconnect_ban.py --v1transport",
    "rpc_setban.py --v1transport",
    "p2p_invalid_locator.py",
    "p2p_ping.py",
    "p2p_timeouts.py --v1transport",
    "p2p_leak.py",
    "p2p_leak_tx.py --v1transport",
    "p2p_getdata.py",
    "p2p_invalid_messages.py",
    "p2p_invalid_block.py --v1transport",
    "p2p_sendheaders.py",
    "p2p_nobloomfilter_messages.py",
    "p2p_fingerprint.py",
    "p2p_addrv2_relay.py",
    "p2p_permissions.py",
    "rpc_getpeerinfo_deprecation.py",
    # wallet (legacy)
    "wallet_signmessagewithaddress.py",
    "wallet_coinbase_category.py --legacy-wallet",
    "wallet_listsinceblock.py --legacy-wallet",
    "wallet_create_tx.py --legacy-wallet",
    "wallet_startup.py",
    "wallet_labels.py --legacy-wallet",
    "wallet_listreceivedby.py --legacy-wallet",
    "wallet_watchonly.py --legacy-wallet",
    "wallet_fallbackfee.py --legacy-wallet",
    "wallet_keypool_topup.py --legacy-wallet",
    "wallet_change_address.py --legacy-wallet",
    "wallet_txn_clone.py",
    "wallet_txn_clone.py --mineblock",
    "wallet_txn_doublespend.py --legacy-wallet",
    "wallet_import_with_label.py --legacy-wallet",
    "wallet_orphanedreward.py",
    "wallet_reorgsrestore.py",
]

#: Seconds one run of the runner (all of TESTS under one executable) may take.
RUN_TIMEOUT = 1200

_SOURCE = os.environ.get("DASH_FUNCTIONAL_DIR")

pytestmark = pytest.mark.skipif(
    not _SOURCE,
    reason="set DASH_FUNCTIONAL_DIR to a copy of Dash Core's test/functional folder (git archive of "
           "test/functional from github.com/UdjinM6/dash at 2f1d59e9, kept outside this repository)")

_CONFIG = """\
[environment]
PACKAGE_NAME=Dash Core
PACKAGE_BUGREPORT=https://github.com/dashpay/dash/issues
SRCDIR={root}
BUILDDIR={root}
EXEEXT=
RPCAUTH={root}/share/rpcauth/rpcauth.py

[components]
ENABLE_WALLET=true
USE_BDB=true
ENABLE_CLI=true
ENABLE_BITCOIND=true
"""

_ROW = re.compile(r"^(?P<name>\S.*?)\s+\|\s+(?P<status>[^|]*?)\s+\|\s+\d+ s\s*$")


def parse_summary(output: str) -> dict[str, str]:
    """The runner's summary table: test (with its arguments) -> "Passed", "Failed" or "Skipped"."""
    results = {}
    for line in re.sub(r"\x1b\[[0-9;]*m", "", output).splitlines():
        m = _ROW.match(line.strip())
        if m and m.group("name") not in ("TEST", "ALL"):
            results[m.group("name")] = m.group("status").split()[-1]
    return results


_BOILERPLATE = re.compile(r"TestFramework \(ERROR\): ?$|Hint: Call|If this failure happened|dashpay/dash/issues|"
                         r"^Remaining jobs|^\s*$")


def _failure_report(output: str, name: str, lines: int = 40) -> str:
    """The tail of what the runner printed for one failed test (its traceback and stderr)."""
    marker = output.find(f" - {name} failed")
    block = output[marker:] if marker >= 0 else output
    stop = re.search(r"\n\d+/\d+ - |\nTEST\s+\|", block[1:])
    if stop:
        block = block[:stop.start() + 1]
    kept = [line for line in block.splitlines() if not _BOILERPLATE.search(line)]
    return "\n".join(kept[-lines:])


def _run(root: str, executable: str, port_min: int) -> str:
    env = dict(os.environ)
    # The runner numbers its tests' ports from the number of tests alone: two runs at once need their own ranges.
    env["TEST_RUNNER_PORT_MIN"] = str(port_min)
    env["PATH"] = BIN_DIR + os.pathsep + env.get("PATH", "")
    env["DASHD"] = os.path.join(BIN_DIR, executable)
    env["DASHCLI"] = os.path.join(BIN_DIR, "dash-cli")
    env.pop("DASHWALLET", None)  # Dash's offline wallet tool, not our dash-wallet
    args = [sys.executable, os.path.join(root, "test", "functional", "test_runner.py"), "-j2",
            f"--tmpdirprefix={os.path.join(root, 'tmp')}", *TESTS]
    proc = subprocess.Popen(args, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        output = ""
        pytest.fail(f"test_runner.py with {executable} took more than {RUN_TIMEOUT} s")
    finally:
        # the runner, its tests and any node they left behind share the session
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return output


@pytest.fixture(scope="module")
def dash_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("dash"))
    shutil.copytree(_SOURCE, os.path.join(root, "test", "functional"), symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    os.makedirs(os.path.join(root, "tmp"))
    with open(os.path.join(root, "test", "config.ini"), "w") as f:
        f.write(_CONFIG.format(root=root))
    return root


@pytest.mark.timeout(RUN_TIMEOUT + 120)
@pytest.mark.parametrize("executable, port_min", [("dashd", 11000), ("dash-node", 13000)])
def test_dash_functional_suite_passes(dash_root, executable, port_min):
    output = _run(dash_root, executable, port_min)
    results = parse_summary(output)
    missing = [t for t in TESTS if t not in results]
    not_passed = {t: results[t] for t in TESTS if t in results and results[t] != "Passed"}
    if missing or not_passed:
        report = [f"{executable}: {len(TESTS) - len(missing) - len(not_passed)}/{len(TESTS)} passed"]
        if missing:
            report.append("not in the runner's summary: " + ", ".join(missing))
            report.append("runner output tail:\n" + "\n".join(output.splitlines()[-30:]))
        for name, status in not_passed.items():
            report.append(f"--- {name}: {status}\n{_failure_report(output, name)}")
        pytest.fail("\n".join(report))
