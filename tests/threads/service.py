"""Hand-written client and server code for threadtest.capnp, on Connection's raw API.

Methods with a ``context :Proxy.Context`` parameter carry the calling thread's Context
(``Connection.thread_context``); the servers say where it is (``mpipc_context_field``)
so the transport can route each call to the thread it names.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from mpipc import codec, schema
from mpipc.threads import CONTEXT_ID
from mpipc.transport import Connection

S = schema.load(os.path.join(os.path.dirname(__file__), "threadtest.capnp"))
Context = codec.struct_class(S, CONTEXT_ID)


class Method:
    def __init__(self, iface_name, name):
        iface = S.find(iface_name)
        self.iface = iface.id
        self.id, self.Params, self.Results = codec.method_classes(S, iface, name)
        fields = {f.name: f for f in self.Params.schema_node.struct.fields}
        self.context_index = fields["context"].slot.offset if "context" in fields else None

    def params(self, conn: Connection, **params):
        if self.context_index is not None:
            thread, callback = conn.thread_context()
            params["context"] = Context(thread=thread, callbackThread=callback)
        return self.Params(**params)

    def __call__(self, conn: Connection, cap, timeout=None, **params):
        return conn.call(cap, self.iface, self.id, self.params(conn, **params), self.Results, timeout=timeout)

    def send(self, conn: Connection, cap, **params):
        return conn.send(cap, self.iface, self.id, self.params(conn, **params), self.Results)


CONSTRUCT = Method("TInit", "construct")
MAKE_SVC = Method("TInit", "makeSvc")
WORKER_COUNT = Method("TInit", "workerCount")
WHOAMI = Method("Svc", "whoami")
SLEEP = Method("Svc", "sleep")
CALL_BACK = Method("Svc", "callBack")
NO_CONTEXT = Method("Svc", "noContext")
CB_CALL = Method("Cb", "call")
METHODS = {(m.iface, m.id): m for m in (CONSTRUCT, MAKE_SVC, WORKER_COUNT, WHOAMI, SLEEP, CALL_BACK,
                                         NO_CONTEXT, CB_CALL)}


class Served:
    """Dispatch by method to ``self.<name>(conn, params)``; the Context's place for routing."""

    def mpipc_context_field(self, interface_id, method_id):
        m = METHODS.get((interface_id, method_id))
        return m.context_index if m is not None else None

    def mpipc_dispatch(self, ctx):
        m = METHODS[(ctx.interface_id, ctx.method_id)]
        name = {CONSTRUCT: "construct", MAKE_SVC: "make_svc", WORKER_COUNT: "worker_count",
                WHOAMI: "whoami", SLEEP: "sleep", CALL_BACK: "call_back", NO_CONTEXT: "no_context",
                CB_CALL: "call"}[m]
        value = getattr(self, name)(ctx.connection, ctx.params(m.Params))
        return value if isinstance(value, m.Results) else m.Results(result=value)


def whoami() -> str:
    return f"{threading.current_thread().name}:{threading.get_ident()}"


class InitServer(Served):
    def construct(self, conn, p):
        conn.peer_thread_map = p.threadMap
        return CONSTRUCT.Results(threadMap=conn.thread_map)

    def make_svc(self, conn, p):
        return SvcServer()

    def worker_count(self, conn, p):
        return sum(1 for t in threading.enumerate() if t.name.startswith("test/"))


class SvcServer(Served):
    def whoami(self, conn, p):
        return whoami()

    def sleep(self, conn, p):
        start = time.monotonic()
        time.sleep(p.seconds)
        return f"{p.tag}:{whoami()}:{start:.6f}"

    def call_back(self, conn, p):
        back = CB_CALL(conn, p.cb, depth=p.depth)
        return f"svc{p.depth}:{whoami()}|{back.result}"

    def no_context(self, conn, p):
        return p.x + 1


def connect_client(sock) -> tuple[Connection, object]:
    """A client Connection, its Init constructed (ThreadMaps exchanged)."""
    conn = Connection(sock, name="test")
    init = conn.bootstrap()
    conn.peer_thread_map = CONSTRUCT(conn, init, threadMap=conn.thread_map).threadMap
    return conn, init


def serve(fd: int) -> None:
    import socket
    conn = Connection(socket.socket(fileno=fd), bootstrap=InitServer(), name="child")
    conn.wait_closed()
    conn.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
