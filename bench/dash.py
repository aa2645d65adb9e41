"""The split node against the one-process node: the same wallet RPCs on ``dash-node``
(its wallet in a second process, over mpipc) and on ``dashd``, rounds interleaved, and
(in a full run) the functional suite's wall time under each."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from dashcore.demo import Node

EXECUTABLES = ("dashd", "dash-node")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def _prepare(node: Node) -> dict:
    rpc = node.rpc
    rpc("createwallet", "bench")
    address = rpc("getnewaddress", wallet="bench")
    rpc("generatetoaddress", 110, address)
    return {"address": address}


def _time(fn, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - start) / count


def run(quick: bool) -> dict:
    rounds, n = (3, 20) if quick else (7, 60)
    nodes, state = {}, {}
    try:
        for exe in EXECUTABLES:
            nodes[exe] = Node(exe)
            state[exe] = _prepare(nodes[exe])
        cases = {
            "getbalance": lambda rpc, st: rpc("getbalance", wallet="bench"),
            "getnewaddress": lambda rpc, st: rpc("getnewaddress", wallet="bench"),
            "sendtoaddress": lambda rpc, st: rpc("sendtoaddress", st["address"], 0.001, wallet="bench"),
        }
        times: dict = {exe: {case: [] for case in [*cases, "generatetoaddress 100"]} for exe in EXECUTABLES}
        for _ in range(rounds):
            for exe in EXECUTABLES:
                rpc, st = nodes[exe].rpc, state[exe]
                for case, fn in cases.items():
                    times[exe][case].append(_time(lambda: fn(rpc, st), n))
                times[exe]["generatetoaddress 100"].append(
                    _time(lambda: rpc("generatetoaddress", 100, st["address"]), 1))
    finally:
        for node in nodes.values():
            node.close()
    med = {exe: {case: statistics.median(v) * 1e6 for case, v in per.items()} for exe, per in times.items()}
    result = {"median_us": med}
    if not quick:
        listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/dashcore/functional"],
                                cwd=ROOT, capture_output=True, text=True).stdout.splitlines()
        result["functional_suite_s"] = {exe: _suite_seconds([t for t in listed if t.endswith(f"[{exe}]")])
                                        for exe in EXECUTABLES}
    return result


def _suite_seconds(ids: list[str]) -> float:
    """Wall time of the functional tests ``ids`` (those of one executable)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", *ids], cwd=ROOT, capture_output=True)
    return time.perf_counter() - start


def report(r: dict) -> None:
    one, split = r["median_us"]["dashd"], r["median_us"]["dash-node"]
    print(f"\n{'wallet RPC':24} {'dashd µs':>10} {'dash-node µs':>13} {'split/one':>10}  target")
    for case in one:
        print(f"{case:24} {one[case]:10.0f} {split[case]:13.0f} {split[case] / one[case]:9.2f}×  ≤ 1.2×")
    suite = r.get("functional_suite_s")
    if suite:
        print(f"{'functional suite (s)':24} {suite['dashd']:10.1f} {suite['dash-node']:13.1f} "
              f"{suite['dash-node'] / suite['dashd']:9.2f}×")
