"""python -m mpipc.demo: spawn a child serving Adder over a socketpair, call it, print the results."""

from __future__ import annotations

import sys

from ..connections import serve_spawned, spawn
from .adder import AdderClient, AdderServer, CallbackServer


def main(argv: list[str]) -> int:
    if argv[:1] == ["--serve"]:  # the child: --serve <fd> or --serve -ipcfd <fd>
        serve_spawned(AdderServer(), argv[1:], name="demo-child")
        return 0
    child = spawn([sys.executable, "-m", "mpipc.demo", "--serve"], name="demo-parent")
    try:
        adder = AdderClient(child.connection)
        print(f"child pid {child.pid} serves Adder over a socketpair")
        print("add(2, 3) =", adder.add(2, 3))
        print("echo of 1 MiB returns", len(adder.echo(b"x" * (1 << 20))), "bytes")
        seen = []
        result = adder.add_with_callback(20, 1, CallbackServer(lambda v: seen.append(v) or v * 2))
        print(f"add_with_callback(20, 1) = {result} (the child called back with {seen[0]})")
    finally:
        status = child.close()
    print(f"child exited with status {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
