"""Benchmark: mpipc calls between two processes against a bare socketpair ping-pong and RPC peers, in one run.

    python bench/run.py [--quick] [--json] [--no-peers]

Rounds of each case are interleaved so that the machine's noise moves the floor and
the thing compared alike; each figure is the median over rounds of the mean time per
call in a round. The peers (bench/peers.py: multiprocessing.Pipe and .managers, RPyC,
Pyro5, pycapnp RPC) make the same small call and 1 MiB echo in the same rounds; one
whose package is missing gets a row that names it. Nothing here is a test: it prints
figures and ratios, asserts none.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mpipc  # noqa: E402
from mpipc import codec  # noqa: E402
from mpipc.demo.adder import AddParams, AdderClient, CallbackServer  # noqa: E402
import dash  # noqa: E402
from peers import PEERS  # noqa: E402

MIB = 1 << 20


# ---------------------------------------------------------------- the floor
def _pong_child(fd: int) -> None:
    """Echo each length-prefixed message back from one reused buffer (no copies)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the bench's: it closes the socket
    sock = socket.socket(fileno=fd)
    buf = bytearray(2 * MIB + 8)
    view = memoryview(buf)
    while True:
        got = 0
        while got < 8:
            n = sock.recv_into(view[got:8])
            if not n:
                return
            got += n
        end = 8 + int.from_bytes(view[:8], "little")
        while got < end:
            n = sock.recv_into(view[got:end])
            if not n:
                return
            got += n
        sock.sendall(view[:end])


class Floor:
    """A child that echoes length-prefixed messages: ping-pong over a socketpair."""

    def __init__(self):
        self.sock, child = socket.socketpair()
        self.proc = subprocess.Popen([sys.executable, __file__, "--pong", str(child.fileno())],
                                     pass_fds=[child.fileno()])
        child.close()
        self.buf = bytearray(2 * MIB + 8)

    @staticmethod
    def message(payload: bytes) -> bytes:
        """``payload`` framed once, before timing: the loop itself copies nothing."""
        return len(payload).to_bytes(8, "little") + payload

    def roundtrip(self, message: bytes) -> None:
        sock = self.sock
        sock.sendall(message)
        need = len(message)
        view = memoryview(self.buf)
        got = 0
        while got < need:
            got += sock.recv_into(view[got:need])

    def close(self):
        self.sock.close()
        self.proc.wait(10)


# ---------------------------------------------------------------- mpipc
class Mpipc:
    """A spawned child serving the demo's Adder."""

    def __init__(self):
        start = time.perf_counter()
        self.child = mpipc.spawn([sys.executable, "-m", "mpipc.demo", "--serve"], name="bench",
                                 env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        self.adder = AdderClient(self.child.connection)
        self.adder.add(1, 2)
        self.spawn_to_first_call = time.perf_counter() - start

    def idle_rss_kib(self) -> int | None:
        try:
            with open(f"/proc/{self.child.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def close(self):
        self.child.close()


class LogLevel:
    """mpipc's request/response lines at ``level``, written to /dev/null for real."""

    def __init__(self, level):
        self.level = level

    def __enter__(self):
        self.handler = logging.StreamHandler(open(os.devnull, "w"))
        self.handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger = logging.getLogger("mpipc")
        self.old = logger.level
        logger.addHandler(self.handler)
        logger.setLevel(self.level)

    def __exit__(self, *exc):
        logger = logging.getLogger("mpipc")
        logger.removeHandler(self.handler)
        logger.setLevel(self.old)
        self.handler.stream.close()


def time_calls(fn, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - start) / count


def run(quick: bool, with_peers: bool = True) -> dict:
    # Every child (the floor's, mpipc's, each peer's server) is closed on the way out,
    # by an exception or Ctrl-C too.
    with contextlib.ExitStack() as stack:
        return _run(stack, quick, with_peers)


def _start_peers(stack: contextlib.ExitStack) -> tuple[list, dict[str, str]]:
    """The peers that could start, and for each one that could not, why."""
    tmpdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="mpipc-bench-"))
    started, missing = [], {}
    for cls in PEERS:
        package = cls.missing()
        if package:
            missing[cls.key] = f"install {package}: pip install -e '.[bench]'"
            continue
        started.append(stack.enter_context(cls(tmpdir)))
    return started, missing


def _run(stack: contextlib.ExitStack, quick: bool, with_peers: bool) -> dict:
    rounds = 5 if quick else 15
    small_n = 300 if quick else 2000
    big_n = 5 if quick else 20
    floor = Floor()
    stack.callback(floor.close)
    mp = Mpipc()
    stack.callback(mp.close)
    peers, missing = _start_peers(stack) if with_peers else ([], {})
    adder = mp.adder
    call_frame = len(codec.encode(AddParams(a=1, b=2))) + 96  # a Call's size, give or take
    small = Floor.message(b"x" * (call_frame - 8))
    big_data = b"x" * MIB
    big = Floor.message(big_data)
    callback = CallbackServer()
    # A second client thread, kept alive so its calls run from that thread.
    results: dict[str, list[float]] = {k: [] for k in (
        "floor small", "mpipc add", "mpipc add (2nd thread)", "mpipc callback",
        "floor 1 MiB", "mpipc 1 MiB echo", "mpipc add, log debug", "mpipc add, log trace")}
    peer_add: dict[str, list[float]] = {p.key: [] for p in peers}
    peer_echo: dict[str, list[float]] = {p.key: [] for p in peers}
    for _ in range(3):  # warm up
        adder.add(1, 2)
        floor.roundtrip(small)
        for peer in peers:
            peer.add(1, 2)
    for _ in range(rounds):
        results["floor small"].append(time_calls(lambda: floor.roundtrip(small), small_n))
        results["mpipc add"].append(time_calls(lambda: adder.add(1, 2), small_n))
        box = []
        t = threading.Thread(target=lambda: box.append(time_calls(lambda: adder.add(1, 2), small_n)))
        t.start()
        t.join()
        results["mpipc add (2nd thread)"].append(box[0])
        results["mpipc callback"].append(time_calls(lambda: adder.add_with_callback(1, 2, callback), small_n // 2))
        for level, key in ((logging.DEBUG, "mpipc add, log debug"), (mpipc.TRACE, "mpipc add, log trace")):
            with LogLevel(level):
                results[key].append(time_calls(lambda: adder.add(1, 2), small_n))
        results["floor 1 MiB"].append(time_calls(lambda: floor.roundtrip(big), big_n))
        results["mpipc 1 MiB echo"].append(time_calls(lambda: adder.echo(big_data), big_n))
        for peer in peers:
            peer_add[peer.key].append(peer.time_add(small_n))
            peer_echo[peer.key].append(peer.time_echo(big_n, big_data))
    threads = {}
    for n in (1, 2, 4, 8):
        per = max(small_n // n, 50)
        start = time.perf_counter()
        workers = [threading.Thread(target=lambda: [adder.add(1, 2) for _ in range(per)]) for _ in range(n)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        threads[n] = n * per / (time.perf_counter() - start)
    rss = mp.idle_rss_kib()
    med = {k: statistics.median(v) for k, v in results.items()}
    r = {"median_us": {k: v * 1e6 for k, v in med.items()}, "threads_calls_per_s": threads,
         "call_frame_bytes": call_frame, "spawn_to_first_call_ms": mp.spawn_to_first_call * 1e3,
         "idle_child_rss_kib": rss}
    if with_peers:
        r["peers"] = _peer_figures(r["median_us"], peers, peer_add, peer_echo, missing)
    return r


def _mb_per_s(echo_us: float) -> float:
    """Throughput of a 1 MiB echo: 1 MiB each way."""
    return 2 * MIB / (echo_us / 1e6) / 1e6


def _peer_figures(us: dict, peers: list, peer_add: dict, peer_echo: dict, missing: dict) -> dict:
    """Each peer's medians and their ratios to the floor and to mpipc, in PEERS' order."""
    out = {}
    for cls in PEERS:
        if cls.key in missing:
            out[cls.key] = {"missing": missing[cls.key]}
    for peer in peers:
        add_us = statistics.median(peer_add[peer.key]) * 1e6
        echo_us = statistics.median(peer_echo[peer.key]) * 1e6
        out[peer.key] = {
            "transport": peer.transport,
            "add_us": add_us,
            "add_calls_per_s": 1e6 / add_us,
            "add_ratio_to_floor": add_us / us["floor small"],
            "add_ratio_to_mpipc_add": add_us / us["mpipc add"],
            "echo_1mib_us": echo_us,
            "echo_mb_per_s": _mb_per_s(echo_us),
            "echo_throughput_of_floor": us["floor 1 MiB"] / echo_us,
            "echo_ratio_to_mpipc_echo": echo_us / us["mpipc 1 MiB echo"],
            "echo_note": peer.about_echo,
        }
    return {cls.key: out[cls.key] for cls in PEERS if cls.key in out}


def report(r: dict) -> None:
    us = r["median_us"]
    floor, floor_big = us["floor small"], us["floor 1 MiB"]
    print(f"{'case':28} {'µs/call':>10} {'calls/s':>10} {'ratio':>8}  target")
    rows = [
        ("floor small", floor, None, ""),
        ("mpipc add", us["mpipc add"], us["mpipc add"] / floor, "≤ 1.25× floor"),
        ("mpipc add (2nd thread)", us["mpipc add (2nd thread)"], us["mpipc add (2nd thread)"] / floor, "≤ 1.25× floor"),
        ("mpipc callback", us["mpipc callback"], us["mpipc callback"] / us["mpipc add"], "≤ 2× plain call"),
    ]
    for name, value, ratio, target in rows:
        ratio_s = f"{ratio:7.2f}×" if ratio is not None else ""
        print(f"{name:28} {value:10.1f} {1e6 / value:10.0f} {ratio_s:>8}  {target}")
    mbps_floor = 2 * MIB / (floor_big / 1e6) / 1e6
    mbps = 2 * MIB / (us["mpipc 1 MiB echo"] / 1e6) / 1e6
    print(f"{'floor 1 MiB each way':28} {floor_big:10.1f} {mbps_floor:9.0f} MB/s")
    print(f"{'mpipc 1 MiB echo':28} {us['mpipc 1 MiB echo']:10.1f} {mbps:9.0f} MB/s {mbps / mbps_floor:7.0%} of floor  target ≥ 70%")
    for key in ("mpipc add, log debug", "mpipc add, log trace"):
        print(f"{key:28} {us[key]:10.1f} {1e6 / us[key]:10.0f} {us[key] / us['mpipc add']:7.2f}×  "
              "of mpipc add (logging off)")
    for n, rate in r["threads_calls_per_s"].items():
        print(f"{n} client thread(s): {rate:10.0f} calls/s")
    print(f"spawn() to the first answered call: {r['spawn_to_first_call_ms']:.0f} ms; "
          f"idle child RSS: {r['idle_child_rss_kib']} KiB")
    if "peers" in r:
        report_peers(r["peers"])


def report_peers(peers: dict) -> None:
    """The peers' small call and 1 MiB echo; ×mpipc above 1 means mpipc is the faster."""
    print()
    print(f"{'peer: add(a, b) -> int':28} {'µs/call':>10} {'calls/s':>10} {'×floor':>8} {'×mpipc':>8}  target")
    for key, p in peers.items():
        if "missing" in p:
            print(f"{key:28} {p['missing']}")
            continue
        target = "a transport, beside the floor" if p["transport"] else "> 1× (mpipc faster)"
        print(f"{key:28} {p['add_us']:10.1f} {p['add_calls_per_s']:10.0f} {p['add_ratio_to_floor']:7.2f}× "
              f"{p['add_ratio_to_mpipc_add']:7.2f}×  {target}")
    print(f"{'peer: 1 MiB echo':28} {'µs/call':>10} {'MB/s':>10} {'of floor':>8} {'×mpipc':>8}")
    for key, p in peers.items():
        if "missing" in p:
            continue
        note = f"  ({p['echo_note']})" if p["echo_note"] else ""
        print(f"{key:28} {p['echo_1mib_us']:10.1f} {p['echo_mb_per_s']:10.0f} {p['echo_throughput_of_floor']:8.0%} "
              f"{p['echo_ratio_to_mpipc_echo']:7.2f}×{note}")


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--pong":
        _pong_child(int(sys.argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a short run (under a minute)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--peers", action=argparse.BooleanOptionalAction, default=True,
                    help="also time the RPC peers (bench/peers.py; pip install -e '.[bench]')")
    ap.add_argument("--dash", action=argparse.BooleanOptionalAction, default=True,
                    help="also time wallet RPCs on dash-node against dashd (bench/dash.py); a full run "
                         "also times the functional suite under each")
    args = ap.parse_args()
    try:
        r = run(args.quick, args.peers)
        if args.dash:
            r["dash"] = dash.run(args.quick)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        report(r)
        if args.dash:
            dash.report(r["dash"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
