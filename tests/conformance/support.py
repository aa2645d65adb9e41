"""mpipc's side of the conformance tests: the Conf/Obj servers, calls with timeouts,
non-blocking (pipelined) calls, and a recorder of the RPC messages a connection sees."""

from __future__ import annotations

import gc
import os
import threading
import time
import weakref

from mpipc import RemoteError, codec, schema
from mpipc.rpc import events as ev
from mpipc.rpc import messages as M
from mpipc import transport
from mpipc.rpc.engine import CapWriter, RpcEngine
from mpipc.transport import CallContext, Connection, Inbox

from ..waiting import CALL_TIMEOUT, bounded, wait_until  # noqa: F401 (used by the tests too)

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = schema.load(os.path.join(HERE, "conformance.capnp"))
CONF = SCHEMA.find("Conf")
OBJ = SCHEMA.find("Obj")



class Method:
    __slots__ = ("interface_id", "id", "name", "Params", "Results")

    def __init__(self, iface, name):
        self.interface_id = iface.id
        self.name = name
        # id: the ordinal, rpc.capnp's methodId
        self.id, self.Params, self.Results = codec.method_classes(SCHEMA, iface, name)

    def __repr__(self):
        return f"Method({self.name})"


def _methods(iface) -> dict:
    return {m.name: Method(iface, m.name) for m in iface.interface.methods}


C = _methods(CONF)
O = _methods(OBJ)
_BY_ID = {(m.interface_id, m.id): m for m in list(C.values()) + list(O.values())}


# ---------------------------------------------------------------------- waiting with a bound



def call(conn: Connection, cap, method: Method, timeout: float = CALL_TIMEOUT, **params):
    """A blocking mpipc call, bounded by ``timeout``."""
    return bounded(lambda: conn.call(cap, method.interface_id, method.id, method.Params(**params),
                                     method.Results), timeout, f"call {method.name}")




class PendingCall:
    """A call sent now and waited for later, so more can be pipelined on it meanwhile.

    Built from Connection internals (engine.call with an Inbox as the question's waiter,
    _flush, then _wait and engine.done): the public API has only the blocking
    ``Connection.call``. Make it inside ``Batch`` to send several calls before any
    Return can be taken.
    """

    def __init__(self, conn: Connection, cap, method: Method, _locked: bool = False, **params):
        self.conn = conn
        self.method = method
        self.inbox = Inbox(conn._lock)
        self.local = False
        if not _locked:
            conn._lock.acquire()
        try:
            outcome = conn.engine.call(cap, method.interface_id, method.id, method.Params(**params),
                                       CapWriter(conn.engine))
            if isinstance(outcome, ev.LocalCall):
                self.local = True
            else:
                outcome.waiter = self.inbox
        finally:
            if not _locked:
                conn._lock.release()
        self.question = outcome
        if not _locked:
            conn._flush()

    def pipeline(self, *transform) -> object:
        """The capability at pointer field ``transform`` of the results (before they come)."""
        return self.conn.engine.pipeline(self.question, tuple(transform))

    def wait(self, timeout: float = CALL_TIMEOUT):
        if self.local:
            raise AssertionError(f"{self.method.name} on a local capability: nothing was sent")
        conn, question = self.conn, self.question

        def run():
            conn._wait_for(self.inbox, question)
            try:
                if question.error is not None:
                    raise question.error
                return question.content.as_struct(self.method.Results, cap_table=question.result_caps)
            finally:
                with conn._lock:
                    conn.engine.done(question)
                conn._flush()
        return bounded(run, timeout, f"wait {self.method.name}")


class Batch:
    """Holds the connection's lock: calls made in it all go out before any Return is taken.

        with Batch(conn) as b:
            boot = b.bootstrap()
            first = b.call(boot, C["makeObj"], tag="x")
            second = b.call(first.pipeline(0), O["get"], n=1)
    """

    def __init__(self, conn: Connection):
        self.conn = conn

    def __enter__(self):
        self.conn._lock.acquire()
        return self

    def __exit__(self, *exc):
        self.conn._lock.release()
        self.conn._flush()

    def bootstrap(self):
        return self.conn.engine.bootstrap()

    def call(self, cap, method: Method, **params) -> PendingCall:
        return PendingCall(self.conn, cap, method, _locked=True, **params)


# ---------------------------------------------------------------------- recording messages

def _desc(d) -> tuple:
    which = d.which
    value = getattr(d, which, None)
    if which in ("receiverAnswer",):
        value = (value.questionId, M.transform_of(value))
    return (which, value)


def _target(t) -> tuple:
    if t.which == "importedCap":
        return ("importedCap", t.importedCap)
    return ("promisedAnswer", t.promisedAnswer.questionId, M.transform_of(t.promisedAnswer))


def summarize(msg) -> tuple:
    which = msg.which
    body = getattr(msg, M.field_name(which))
    if which == "call":
        caps = [_desc(d) for d in (body.params.capTable or ())] if body.params is not None else []
        return ("call", body.questionId, _target(body.target), body.interfaceId, body.methodId,
                body.sendResultsTo.which, caps)
    if which == "return":
        rwhich = body.which
        caps = [_desc(d) for d in (body.results.capTable or ())] if rwhich == "results" else []
        extra = body.takeFromOtherQuestion if rwhich == "takeFromOtherQuestion" else None
        if rwhich == "exception":
            extra = body.exception.reason
        return ("return", body.answerId, rwhich, caps, extra)
    if which == "disembargo":
        ctx = body.context
        return ("disembargo", ctx.which, getattr(ctx, ctx.which, None), _target(body.target))
    if which == "finish":
        return ("finish", body.questionId)
    if which == "release":
        return ("release", body.id, body.referenceCount)
    if which == "resolve":
        return ("resolve", body.promiseId, body.which)
    if which == "bootstrap":
        return ("bootstrap", body.questionId)
    return (which,)


class RecordingEngine(RpcEngine):
    """The engine, recording every RPC message it takes and sends (decoded again)."""

    def __init__(self, *args, **kwargs):
        self.log: list = []
        self._log_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def handle(self, message):
        with self._log_lock:
            self.log.append(("in",) + summarize(message))
        return super().handle(message)

    def take_outbox(self):
        frames = super().take_outbox()
        for frame in frames:
            msg = codec.decode(M.Message, frame)
            with self._log_lock:
                self.log.append(("out",) + summarize(msg))
        return frames

    def messages(self, direction=None, which=None) -> list:
        with self._log_lock:
            return [m for m in self.log
                    if (direction is None or m[0] == direction) and (which is None or m[1] == which)]


_swap_lock = threading.Lock()


def connection(sock, bootstrap=None, name: str = "mpipc") -> Connection:
    """A Connection whose engine records its messages (``conn.engine.messages()``)."""
    with _swap_lock:
        saved = transport.RpcEngine
        transport.RpcEngine = RecordingEngine
        try:
            return Connection(sock, bootstrap=bootstrap, name=name)
        finally:
            transport.RpcEngine = saved


# ---------------------------------------------------------------------- the servers

class ObjServer:
    """mpipc's Obj: ``get`` gives "<tag>:<n>"; ``fail`` raises PermissionError."""

    def __init__(self, tag: str, registry=None, hang: threading.Event | None = None):
        self.tag = tag
        self.calls: list[int] = []
        self.threads: list[str] = []
        self.hang = hang
        if registry is not None:
            registry.add(self)

    def mpipc_dispatch(self, ctx: CallContext):
        method = _BY_ID.get((ctx.interface_id, ctx.method_id))
        if method is None or method.interface_id != OBJ.id:
            raise NotImplementedError(f"Obj has no method {ctx.interface_id:#x}.{ctx.method_id}")
        p = ctx.params(method.Params)
        if method.name == "get":
            self.calls.append(p.n)
            self.threads.append(threading.current_thread().name)
            if self.hang is not None:
                self.hang.wait(30)
            return method.Results(result=f"{self.tag}:{p.n}")
        if method.name == "history":
            return method.Results(calls=list(self.calls))
        raise PermissionError(p.message)


class ReentrantObj(ObjServer):
    """An Obj whose get calls the peer's Conf.ping (through ``conn``, ``boot``) while the peer waits."""

    def __init__(self, conn, boot):
        super().__init__("re")
        self.conn = conn
        self.boot = boot

    def mpipc_dispatch(self, ctx: CallContext):
        method = _BY_ID.get((ctx.interface_id, ctx.method_id))
        if method is not O["get"]:
            return super().mpipc_dispatch(ctx)
        n = ctx.params(method.Params).n
        self.calls.append(n)
        back = self.conn.call(self.boot, C["ping"].interface_id, C["ping"].id, C["ping"].Params(n=n),
                              C["ping"].Results)
        return method.Results(result=f"re:{back.n}")


class ConfServer:
    """mpipc's Conf (see conformance.capnp)."""

    def __init__(self, delays: dict | None = None):
        self.delays = delays or {}      # method name -> seconds to sleep before answering
        self.objs = weakref.WeakSet()
        self.held = None
        self.errors: list = []          # (exception, time.monotonic()) raised by callObj's callback
        self.entered = threading.Event()  # set when callObj starts calling back
        self.incoming_caps: list = []   # repr of each capability callObj got

    def mpipc_dispatch(self, ctx: CallContext):
        method = _BY_ID.get((ctx.interface_id, ctx.method_id))
        if method is None or method.interface_id != CONF.id:
            raise NotImplementedError(f"Conf has no method {ctx.interface_id:#x}.{ctx.method_id}")
        p = ctx.params(method.Params)
        R = method.Results
        conn = ctx.connection
        name = method.name
        if name in self.delays:
            time.sleep(self.delays[name])
        if name == "ping":
            return R(n=p.n + 1)
        if name == "echoData":
            return R(data=p.data)
        if name == "makeObj":
            if p.tag.startswith("!"):
                raise ValueError(p.tag)
            return R(obj=ObjServer(p.tag, self.objs))
        if name == "callObj":
            self.incoming_caps.append(repr(p.obj))
            self.entered.set()
            try:
                got = conn.call(p.obj, OBJ.id, O["get"].id, O["get"].Params(n=p.n), O["get"].Results)
            except Exception as exc:
                self.errors.append((exc, time.monotonic()))
                raise
            return R(result=got.result)
        if name == "echoCap":
            return R(obj=p.obj)
        if name == "fail":
            raise ValueError(p.message)
        if name == "callFail":
            try:
                conn.call(p.obj, OBJ.id, O["fail"].id, O["fail"].Params(message=p.message), O["fail"].Results)
            except RemoteError as exc:
                return R(reason=exc.reason)
            return R(reason="no error")
        if name == "liveObjs":
            gc.collect()
            return R(count=len(self.objs))
        if name == "holdObj":
            self.held = p.obj
            return R()
        if name == "dropObj":
            self.held = None  # released when collected (no explicit release)
            gc.collect()
            return None  # a void method may give None: empty results
        if name == "callHeld":
            got = conn.call(self.held, OBJ.id, O["get"].id, O["get"].Params(n=p.n), O["get"].Results)
            return R(result=got.result)
        if name == "slow":
            time.sleep(p.ms / 1000)
            return R(n=p.n)
        if name == "promiseObj":
            time.sleep(p.ms / 1000)
            return R(obj=ObjServer(p.tag, self.objs))
        if name == "makePair":
            Pair = codec.struct_class(SCHEMA, SCHEMA.find("Pair").id)
            return R(pair=Pair(label=p.tag, first=ObjServer(p.tag + "1", self.objs),
                               second=ObjServer(p.tag + "2", self.objs)))
        if name == "delayedEcho":
            time.sleep(p.ms / 1000)
            return R(obj=p.obj)
        if name == "badResult":
            return R(n="not an int")
        raise NotImplementedError(name)
