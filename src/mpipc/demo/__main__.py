"""python -m mpipc.demo: spawn a child serving Adder over a socketpair, call it, print the results."""

from __future__ import annotations

import socket
import subprocess
import sys

from ..transport import Connection
from .adder import AdderClient, AdderServer, CallbackServer


def serve_child(fd: int) -> None:
    sock = socket.socket(fileno=fd)
    conn = Connection(sock, bootstrap=AdderServer(), name="demo-child")
    conn.wait_closed()
    conn.close()


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--serve":
        serve_child(int(argv[1]))
        return 0
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    proc = subprocess.Popen([sys.executable, "-m", "mpipc.demo", "--serve", str(child.fileno())],
                            pass_fds=[child.fileno()])
    child.close()
    conn = Connection(parent, name="demo-parent")
    try:
        adder = AdderClient(conn)
        print(f"child pid {proc.pid} serves Adder over a socketpair")
        print("add(2, 3) =", adder.add(2, 3))
        print("echo of 1 MiB returns", len(adder.echo(b"x" * (1 << 20))), "bytes")
        seen = []
        result = adder.add_with_callback(20, 1, CallbackServer(lambda v: seen.append(v) or v * 2))
        print(f"add_with_callback(20, 1) = {result} (the child called back with {seen[0]})")
    finally:
        conn.close()
        proc.wait(10)
    print(f"child exited with status {proc.returncode}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
