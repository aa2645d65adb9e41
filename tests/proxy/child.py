"""A child process serving the test schema's Init over the socket fd given on its command line.

    python child.py <fd> [<generated module file>]

It exits when the parent's connection goes away.
"""

import importlib.util
import os
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from impl import implementations  # noqa: E402

from mpipc import proxy  # noqa: E402
from mpipc.transport import Connection  # noqa: E402


def main() -> int:
    fd = int(sys.argv[1])
    if len(sys.argv) > 2:
        spec = importlib.util.spec_from_file_location("generated_everything", sys.argv[2])
        m = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(m)
    else:
        m = proxy.load(os.path.join(HERE, "schemas", "everything.capnp"))
    init_impl = implementations(m)[0]
    sock = socket.socket(fileno=fd)
    conn = Connection(sock, bootstrap=init_impl(), name=f"child-{os.getpid()}")
    conn.wait_closed()
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
