"""The 1:1 threading of libmultiprocess: ThreadMap and Thread servers and the call Context.

Each side of a connection serves a ``ThreadMap``. ``makeThread`` starts a worker thread
that runs, in order, every call whose ``Context.thread`` names it: one worker per
calling thread of the peer. A thread that calls the peer sends its own ``Thread`` as
``Context.callbackThread``; a callback the peer makes while serving that call names it
as ``thread``, and runs on the calling thread itself, which serves it while it waits.
The routing itself is done by the transport (``Connection``); this module holds the
servers and the proxy.capnp classes they use.
"""

from __future__ import annotations

import os

from . import codec, schema

_PROXY = schema.load(os.path.join(os.path.dirname(__file__), "include", "mp", "proxy.capnp"))
THREAD_MAP = _PROXY.find("ThreadMap")
THREAD = _PROXY.find("Thread")
CONTEXT_ID = 0x9C44E6645D0B22C6
Context = codec.struct_class(_PROXY, CONTEXT_ID)


MAKE_THREAD, MakeThreadParams, MakeThreadResults = codec.method_classes(_PROXY, THREAD_MAP, "makeThread")
MAKE_POOL, MakePoolParams, MakePoolResults = codec.method_classes(_PROXY, THREAD_MAP, "makePool")
GET_NAME, GetNameParams, GetNameResults = codec.method_classes(_PROXY, THREAD, "getName")


class ThreadServer:
    """A ``Thread`` capability: calls whose Context names it go to ``inbox``.

    ``worker`` is True for a thread made by ``makeThread`` (it stops when the peer
    releases it), False for a calling thread that exports itself as callbackThread.
    """

    def __init__(self, connection, inbox, name: str, worker: bool):
        self.connection = connection
        self.inbox = inbox
        self.name = name
        self.worker = worker

    def mpipc_dispatch(self, ctx):
        if ctx.interface_id == THREAD.id and ctx.method_id == GET_NAME:
            return GetNameResults(result=self.name)
        raise NotImplementedError(f"Thread has no method {ctx.interface_id:#x}.{ctx.method_id}")

    def __repr__(self):
        return f"<Thread {self.name!r}>"


class ThreadMapServer:
    """The ``ThreadMap`` one side of a connection serves to the other."""

    def __init__(self, connection):
        self.connection = connection

    def mpipc_dispatch(self, ctx):
        if ctx.interface_id == THREAD_MAP.id:
            if ctx.method_id == MAKE_THREAD:
                name = ctx.params(MakeThreadParams).name
                return MakeThreadResults(result=self.connection._start_worker(name))
            if ctx.method_id == MAKE_POOL:
                self.connection._start_pool(ctx.params(MakePoolParams).count)
                return MakePoolResults()
        raise NotImplementedError(f"ThreadMap has no method {ctx.interface_id:#x}.{ctx.method_id}")
