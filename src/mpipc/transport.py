"""Frames over a stream socket: one write lock, leader/follower reading, dispatch to workers.

Concurrency rules, enforced here:
- ``_lock`` guards the engine, the inboxes and the read role; nothing blocks while
  holding it (no socket I/O, no user code).
- Frames are written in the order the engine made them, by whichever thread holds
  ``_write_lock``: normally the thread that made them. A thread that finds the write
  lock taken leaves its frames in the outbox; the holder sends them before letting go.
- One thread at a time holds the read role and reads from the socket without the
  lock. A thread waiting for something (a return, or its next call) takes the role
  itself when it is free, so its own frame needs no hand-off. Callers come first; the
  connection's worker and its background reader read only when no caller waits and
  no caller has read for ``GRACE`` seconds, so a caller making calls back to back
  keeps the role. Whoever holds the role waits on the socket and on a wake pipe, so
  it can be asked to give the role up.
- Every thread started here is owned by its Connection and joined by ``close()``.
"""

from __future__ import annotations

import collections
import logging
import os
import select
import socket
import struct
import sys
import threading
import time

from . import codec
from . import log as iolog
from .errors import DecodeError, Disconnected, MpipcError, ProtocolError
from .rpc import events as ev
from .rpc.caps import AnswerPipelineCap, CapRef, ImportCap, LocalCap
from .rpc.engine import CapWriter, RpcEngine
from .threads import (
    MAKE_THREAD,
    THREAD_MAP,
    Context,
    MakeThreadParams,
    MakeThreadResults,
    ThreadMapServer,
    ThreadServer,
)

log = logging.getLogger("mpipc")

GRACE = 0.005
WATCH_SLICE = 0.001  # how long a thread watching the socket goes without looking at its inbox
RECV_TIMEOUT = 0.02  # how soon a busy reader blocked in recv notices it was woken
BUSY_WINDOW = 0.1  # a worker active this recently reads as a busy reader
HOLD_REFS = 1024  # callbackThread references kept before one Release lets them go
_RECV_TIMEOUT = struct.pack("ll", 0, int(RECV_TIMEOUT * 1e6))
MAX_FRAME_BYTES = 1 << 30
_HEADER2 = struct.Struct("<II")


CALLER, WORKER, BACKGROUND = 2, 1, 0  # who reads first: a thread waiting for a return


def shutdown(sock: socket.socket) -> None:
    """End a socket both ways, waking whoever is blocked on it; quiet if it is gone."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Inbox:
    """Where a waiting thread receives what is for it (returns, and calls to run).

    ``rank`` is set while its thread waits: CALLER while it waits for a return,
    WORKER while a worker waits for its next call, BACKGROUND for the idle reader.
    """

    __slots__ = ("items", "cond", "rank", "name", "timed", "stop", "sleeping", "watcher", "held")

    def __init__(self, lock, name: str = ""):
        self.items: collections.deque = collections.deque()
        self.cond = threading.Condition(lock)
        self.rank = WORKER
        self.name = name
        self.timed = False  # asleep with a timeout: it will look again by itself
        self.stop = False  # a worker asked to end once it is idle
        self.sleeping = False  # its thread is in cond.wait: a post must notify it
        self.watcher = None  # its poll object for _watch
        self.held: dict = {}  # callbackThreads of the calls routed here, kept (see _hold)


_STOP = object()  # posted to a worker's inbox: end the loop
_TIMEOUT = object()  # what _wait gives when its deadline passes


class _Lift:
    """An embargo to release once the worker reaches it (behind the calls before it)."""

    __slots__ = ("embargo",)

    def __init__(self, embargo):
        self.embargo = embargo


class _Task:
    """A function ``call_soon`` runs on the connection's worker."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


class _Reroute:
    """A call to route again once the connection's worker reaches it."""

    __slots__ = ("call",)

    def __init__(self, call):
        self.call = call


class CallContext:
    """What a server method gets: the call's ids, its params and the connection."""

    __slots__ = ("connection", "interface_id", "method_id", "_params", "caps", "_value", "number")

    def __init__(self, connection, interface_id, method_id, params=None, caps=(), value=None, number=None):
        self.connection = connection
        self.interface_id = interface_id
        self.method_id = method_id
        self._params = params
        self.caps = caps
        self._value = value
        self.number = number  # the question id the peer gave the call

    def params(self, cls):
        """The params as an instance of ``cls`` (their generated struct class)."""
        if self._params is None:
            value = self._value if self._value is not None else cls()
        else:
            value = self._params.as_struct(cls, cap_table=self.caps)
        if log.isEnabledFor(logging.DEBUG):
            iolog.message("server recv", value, self.number)
        return value


class PendingCall:
    """A call sent and not yet waited for (``Connection.send``)."""

    def __init__(self, connection: "Connection", inbox, question, results_cls, value=None):
        self.connection = connection
        self.question = question  # None: it ran in this process, ``_value`` is its result
        self.results_cls = results_cls
        self._value = value
        self._inbox = inbox  # the calling thread's, where the return is posted
        self._finished = question is None

    def pipeline(self, *transform: int) -> CapRef:
        """The capability at pointer fields ``transform`` of the results, usable at once."""
        if self.question is None:
            raise MpipcError("pipelining on a call that ran in this process: use its result")
        with self.connection._lock:
            return self.connection.engine.pipeline(self.question, tuple(transform))

    @property
    def done(self) -> bool:
        """The results (or the error) are here, or the call was canceled."""
        return self._finished or self.question.ready

    def wait(self, timeout: float | None = None):
        """The results (an instance of ``results_cls``); raises the call's error, or
        ``TimeoutError`` after ``timeout`` seconds (the call stays pending)."""
        question, conn = self.question, self.connection
        if question is None:
            return self._value
        if self._finished:
            raise MpipcError("the call was canceled or its results were already taken")
        deadline = None if timeout is None else time.monotonic() + timeout
        if not conn._wait_for(self._inbox, question, deadline):
            raise TimeoutError(f"no answer to call {question.id} within {timeout} s")
        self._finished = True
        try:
            if question.error is not None:
                raise question.error
            content = question.content
            if self.results_cls is None or content is None:
                return content
            results = content.as_struct(self.results_cls, cap_table=question.result_caps)
            if log.isEnabledFor(logging.DEBUG):
                iolog.message("client recv", results)
            return results
        finally:
            conn._done(question)

    def cancel(self) -> None:
        """Give up on the results: the peer is told (Finish), and may stop the call."""
        if not self._finished:
            self._finished = True
            with self.connection._lock:
                self.question.waiter = None
            self.connection._done(self.question)


class Connection:
    """One two-party RPC connection over a connected stream socket."""

    def __init__(self, sock: socket.socket, bootstrap=None, name: str = "connection"):
        self.sock = sock
        self.name = name
        self.engine = RpcEngine(bootstrap, name)
        self.engine.owner = self
        self._lock = threading.Lock()
        self._local = threading.local()  # each calling thread's own inbox
        self._write_lock = threading.Lock()
        self._reader: Inbox | None = None
        self._waiting: list[Inbox] = []
        self._last_priority_read = 0.0
        self._last_priority_inbox: Inbox | None = None
        self._last_worker_inbox: Inbox | None = None  # the worker that took the last call
        self._last_worker_active = 0.0
        self._rbuf = bytearray(1 << 16)  # frames come in here, several at a time
        self._rview = memoryview(self._rbuf)
        self._r0 = self._r1 = 0  # the unread bytes are _rbuf[_r0:_r1]
        self._big = None  # (buffer, bytes so far) of a frame larger than _rbuf
        self._spare = None  # the last large frame's buffer, reused once nothing reads it
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._woken = False
        self._reader_busy = False  # the reader receives blocking (see _recv_into)
        self._read_deadline: float | None = None  # when the reader must give up (a timeout)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _RECV_TIMEOUT)
        self._poll = select.poll()
        self._poll.register(sock.fileno(), select.POLLIN)
        self._poll.register(self._wake_r, select.POLLIN)
        self._closed = False
        self._error: Exception | None = None
        self.engine.wake = self._wake
        self.engine.on_export_released = self._export_released
        self.thread_map = ThreadMapServer(self)  # ours, for the peer (Init.construct)
        self.peer_thread_map: CapRef | None = None  # the peer's, once construct gave it
        self._worker_inbox = Inbox(self._lock, "worker")
        self._pool_inbox: Inbox | None = None
        self._background_inbox = Inbox(self._lock, "background")
        self._threads: list[threading.Thread] = []
        self._tasks: collections.deque = collections.deque()  # call_soon: for the worker
        self._spawn(self._worker_loop, f"{name}-worker", self._worker_inbox)
        self._spawn(self._background_loop, f"{name}-reader")

    # ------------------------------------------------------------------ public API
    def bootstrap(self) -> CapRef:
        """The peer's bootstrap capability (calls may be made on it at once)."""
        with self._lock:
            cap = self.engine.bootstrap()
        self._flush()
        return cap

    def call(self, target: CapRef, interface_id: int, method_id: int, params, results_cls=None,
             caps=None, timeout: float | None = None):
        """Call a method and wait for its results (an instance of ``results_cls``).

        With ``timeout`` (seconds), a call not answered in time is canceled (a Finish
        tells the peer) and raises ``TimeoutError``.
        """
        pending = self.send(target, interface_id, method_id, params, results_cls, caps)
        try:
            return pending.wait(timeout)
        except TimeoutError:
            pending.cancel()
            raise

    def send(self, target: CapRef, interface_id: int, method_id: int, params, results_cls=None,
             caps=None) -> "PendingCall":
        """Send a call and return at once; ``wait()`` for its results, ``pipeline()`` on them
        meanwhile, or ``cancel()`` it. A call on a capability of this process runs now."""
        if log.isEnabledFor(logging.DEBUG):
            iolog.message("client send", params)
        inbox = self._own_inbox()
        self._lock.acquire()
        try:
            writer = CapWriter(self.engine)
            for cap in caps or ():
                writer.add(cap)
            outcome = self.engine.call(target, interface_id, method_id, params, writer)
            embargo = None
            if isinstance(outcome, ev.LocalCall):
                if outcome.embargo is not None and not outcome.embargo.released:
                    outcome.embargo.waiters.append(inbox)
                    embargo = outcome.embargo
            else:
                outcome.waiter = inbox
        except BaseException:
            self._lock.release()
            raise
        self._send_locked()
        if isinstance(outcome, ev.LocalCall):
            if embargo is not None:
                self._wait_for(inbox, embargo)
                if embargo.error is not None:
                    raise embargo.error
            return PendingCall(self, inbox, None, results_cls, self._run_local(outcome, params, caps))
        return PendingCall(self, inbox, outcome, results_cls)

    def call_raw(self, target, interface_id, method_id, params, caps=None):
        """Call and wait; gives (question, results AnyPointer, result caps); ``_done`` the
        question after (None for a call that ran locally, whose value is the second)."""
        pending = self.send(target, interface_id, method_id, params, None, caps)
        question = pending.question
        if question is None:
            return None, pending._value, None
        self._wait_for(pending._inbox, question)
        if question.error is not None:
            self._done(question)
            raise question.error
        return question, question.content, question.result_caps

    def _done(self, question) -> None:
        """Let the engine finish a question (a Finish goes out unless none is needed)."""
        self._lock.acquire()
        self.engine.done(question)
        if self.engine.outbox:
            self._send_locked()
        else:
            self._lock.release()

    def thread_context(self) -> tuple[CapRef, ThreadServer]:
        """``(thread, callbackThread)`` for the Context of a call from this thread.

        ``thread`` is the peer's thread that runs the call: while this thread serves a
        call from the peer, the caller's own thread (so a callback runs where the call
        came from); otherwise this thread's worker in the peer, made through the
        peer's ThreadMap on its first call. ``callbackThread`` is this thread itself.
        """
        local = self._local
        thread = getattr(local, "callback_thread", None)
        if thread is None:
            thread = getattr(local, "peer_thread", None)
            if thread is None:
                if self.peer_thread_map is None:
                    raise MpipcError(f"{self.name}: the peer gave no ThreadMap (call its Init.construct "
                                     "first), so calls that carry a Context cannot be made")
                name = f"{self.name}/{threading.current_thread().name}"
                made = self.call(self.peer_thread_map, THREAD_MAP.id, MAKE_THREAD,
                                 MakeThreadParams(name=name), MakeThreadResults)
                thread = local.peer_thread = made.result
        server = getattr(local, "thread_server", None)
        if server is None:
            server = local.thread_server = ThreadServer(self, self._own_inbox(), threading.current_thread().name, False)
        return thread, server

    def call_soon(self, fn) -> None:
        """Run ``fn()`` soon on the connection's worker thread. Safe from anywhere, a
        ``__del__`` included (it takes no lock): for work that makes calls, such as
        closing a proxy that was garbage-collected."""
        self._tasks.append(fn)
        self._wake()

    def release(self, cap: CapRef) -> None:
        """Drop a capability received from the peer, or pipelined on a call: its Release
        (or the call's Finish, once nothing else holds it) goes now."""
        self._lock.acquire()
        self.engine.release(cap)
        self._send_locked()

    def close(self) -> None:
        """Close the socket, fail what is outstanding, and join this connection's threads."""
        if self._closed:
            return
        self._closed = True
        shutdown(self.sock)
        self._wake()
        with self._lock:
            self._fail(Disconnected("connection closed"))
        me = threading.current_thread()
        for thread in list(self._threads):
            if thread is not me:
                thread.join(5)
        self.sock.close()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def alive(self) -> bool:
        return self._error is None and not self._closed

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Block until the peer goes away (or ``close``); True if it did within ``timeout``."""
        inbox = Inbox(self._lock)
        inbox.rank = -1  # never reads: only woken when the connection ends
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._error is None and not self._closed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._waiting.append(inbox)
                inbox.cond.wait(remaining if remaining is not None else 1.0)
                self._waiting.remove(inbox)
        return True

    # ------------------------------------------------------------------ running calls
    def _run_local(self, call: ev.LocalCall, params, caps):
        target = call.target
        if isinstance(target, LocalCap):
            ctx = CallContext(self, call.interface_id, call.method_id, value=params, caps=caps or ())
            return target.server.mpipc_dispatch(ctx)
        owner = getattr(target.engine, "owner", None)
        if owner is None:
            raise Disconnected("capability of a closed connection")
        return owner.call(target, call.interface_id, call.method_id, params, None, caps)

    def _serve(self, call: ev.IncomingCall) -> None:
        """Run an incoming call and send its return (the results or the exception)."""
        target = call.target
        forwarded = None
        local = self._local
        outer = getattr(local, "callback_thread", None)
        local.callback_thread = call.callback_thread
        try:
            if isinstance(target, LocalCap):
                ctx = CallContext(self, call.interface_id, call.method_id, call.params, call.caps,
                                  number=call.answer.id)
                value, caps = target.server.mpipc_dispatch(ctx), None
                if log.isEnabledFor(logging.DEBUG):
                    iolog.message("server send", value, call.answer.id)
            else:  # a capability of another connection: forward the call there
                owner = getattr(target.engine, "owner", None)
                if owner is None:
                    raise Disconnected("called after disconnect")
                question, value, caps = owner.call_raw(target, call.interface_id, call.method_id,
                                                       call.params, call.caps)
                if question is not None:
                    forwarded = (owner, question)
        except Exception as exc:  # the peer gets every failure as an exception
            local.callback_thread = outer
            log.debug("%s %s: call %x.%d raised %r", iolog.prefix(), self.name, call.interface_id,
                      call.method_id, exc)
            with self._lock:
                self._route(self.engine.return_exception(call.answer, exc))
        else:
            local.callback_thread = outer
            with self._lock:
                try:
                    events = self.engine.return_results(call.answer, value, caps)
                except Exception as exc:  # results that cannot be encoded: the peer gets why
                    log.debug("%s %s: results of %x.%d: %r", iolog.prefix(), self.name, call.interface_id,
                              call.method_id, exc)
                    events = self.engine.return_exception(call.answer, exc)
                self._route(events)
            if forwarded is not None:
                owner, question = forwarded
                with owner._lock:
                    owner.engine.done(question)
                owner._flush()
        self._flush()

    def _worker_loop(self, inbox: Inbox) -> None:
        """A worker: runs the calls posted to ``inbox``, in order, until stopped."""
        self._local.inbox = inbox  # its own calls wait here, and serve callbacks meanwhile
        while not inbox.stop:
            try:
                item = self._wait(inbox, WORKER)
            except Disconnected:
                return
            if item is _STOP:
                return
            if type(item) is ev.IncomingCall:
                self._serve(item)
            else:
                self._control(item)
            del item  # the call's capabilities go now, not when the next call comes

    def _background_loop(self) -> None:
        try:
            self._wait(self._background_inbox, BACKGROUND)
        except Disconnected:
            pass

    def _spawn(self, target, name: str, *args) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _start_worker(self, name: str) -> ThreadServer:
        """ThreadMap.makeThread: a worker thread for one calling thread of the peer."""
        inbox = Inbox(self._lock, name)
        self._spawn(self._worker_loop, name or f"{self.name}-thread", inbox)
        return ThreadServer(self, inbox, name, True)

    def _start_pool(self, count: int) -> None:
        """ThreadMap.makePool: ``count`` more workers for calls whose Context has no thread."""
        with self._lock:
            if self._pool_inbox is None:
                self._pool_inbox = Inbox(self._lock, "pool")
        for i in range(min(count, 64)):
            self._spawn(self._worker_loop, f"{self.name}-pool-{i}", self._pool_inbox)

    def _export_released(self, cap) -> None:
        """The peer let go of a capability of ours (lock held): a worker it made ends."""
        server = getattr(cap, "server", None)
        if type(server) is ThreadServer and server.worker and server.connection is self:
            server.inbox.held.clear()  # released once no call in progress refers to them
            self._post(server.inbox, _STOP)

    def _own_inbox(self) -> Inbox:
        inbox = getattr(self._local, "inbox", None)
        if inbox is None:
            inbox = self._local.inbox = Inbox(self._lock, threading.current_thread().name)
        return inbox

    def _control(self, item) -> bool:
        """Act on a worker's control item (a call to route again, an embargo to release,
        a task of ``call_soon``)."""
        kind = type(item)
        if kind is _Task:
            try:
                item.fn()
            except Exception:
                log.exception("%s %s: a task of call_soon failed", iolog.prefix(), self.name)
        elif kind is _Reroute:
            with self._lock:
                self._post_call(item.call)
        elif kind is _Lift:
            with self._lock:
                self._release_embargo(item.embargo)
        else:
            return False
        return True

    def _wait_for(self, inbox: Inbox, wanted, deadline: float | None = None) -> bool:
        """Wait until ``wanted`` is posted to ``inbox``, running the calls posted meanwhile;
        False if ``deadline`` (a ``time.monotonic()`` value) came first.

        Calls run here nest: one may make a call of its own and wait on the same inbox,
        so what is for an outer wait is kept and put back for it.
        """
        others = []
        try:
            while True:
                item = self._wait(inbox, CALLER, deadline)
                if item is wanted:
                    return True
                if item is _TIMEOUT:
                    return False
                if type(item) is ev.IncomingCall:
                    self._serve(item)
                elif item is _STOP:
                    inbox.stop = True  # a worker's thread was released mid-call: end after it
                elif not self._control(item):
                    others.append(item)
        finally:
            if others:
                with self._lock:
                    inbox.items.extendleft(reversed(others))

    # ------------------------------------------------------------------ leader/follower
    def _wait(self, inbox: Inbox, rank: int, deadline: float | None = None):
        """Wait for the next item of ``inbox``, reading the socket when the role is ours to
        take; ``_TIMEOUT`` if ``deadline`` passes first."""
        lock = self._lock
        lock.acquire()
        outer_rank = inbox.rank  # a worker waiting for a return inside a call it serves
        inbox.rank = rank
        self._waiting.append(inbox)
        try:
            if self._reader is not None and self._reader.rank < inbox.rank:
                self._wake()
            readable = False  # a watch saw a frame waiting with nobody reading it
            while True:
                if self._tasks:
                    while self._tasks:
                        self._post(self._worker_inbox, _Task(self._tasks.popleft()))
                if inbox.items:
                    return inbox.items.popleft()
                if self._error is not None:
                    raise Disconnected(f"called after disconnect: {self._error}" if rank == CALLER
                                       else str(self._error))
                if self.engine._pending:
                    self.engine.process_pending()
                    if self.engine.outbox:
                        self._flush_holding_lock()
                        continue
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return _TIMEOUT
                if (rank == CALLER or readable) and self._reader is None:
                    wait = 0.0
                else:
                    wait = self._may_read(inbox)
                readable = False
                if wait == 0.0:
                    self._read_once(inbox, deadline)
                elif wait is not None and self._reader is None:
                    # The role is free but left to a thread that may come back for it: watch
                    # the socket meanwhile, and read what comes while nobody reads, once
                    # the inbox has been looked at again (the frame may be for us, read
                    # by another watcher meanwhile).
                    readable = self._watch(inbox, wait if deadline is None else min(wait, left))
                else:
                    inbox.timed = wait is not None
                    inbox.sleeping = True
                    inbox.cond.wait(wait if deadline is None else left if wait is None else min(wait, left))
                    inbox.sleeping = inbox.timed = False
        finally:
            self._waiting.remove(inbox)
            if rank == WORKER:
                self._last_worker_active = time.monotonic()
                self._last_worker_inbox = inbox
            inbox.rank = outer_rank
            if self._reader is None:
                self._offer_role()
            lock.release()

    def _watch(self, inbox: Inbox, timeout: float) -> bool:
        """Wait up to ``timeout`` (at most ``WATCH_SLICE``) for the socket to become
        readable, without the read role (lock held on entry and exit, not while waiting);
        True if a frame waits for a reader and the role is still free. It leaves the
        wake pipe alone (that is the reader's): what is posted to ``inbox`` meanwhile is
        seen when the slice ends."""
        watcher = inbox.watcher  # a poll object of its own: one may not be polled twice at once
        if watcher is None:
            watcher = inbox.watcher = select.poll()
            watcher.register(self.sock.fileno(), select.POLLIN)
        self._lock.release()
        try:
            ready = watcher.poll(min(timeout, WATCH_SLICE) * 1000)
        finally:
            self._lock.acquire()
        return bool(ready) and self._reader is None

    def _may_read(self, inbox: Inbox) -> float | None:
        """0.0 if ``inbox``'s thread should take the read role now, else how long to wait.

        A caller takes a free role at once. The worker and the background reader let
        a higher rank that read within ``GRACE`` keep it: a thread calling back to back
        comes again in microseconds and then finds the role free, with no hand-off.
        """
        rank = inbox.rank
        if self._reader is not None:
            # A lower rank looks again after GRACE instead of being woken when the role
            # comes free: a caller gives it up after every call and takes it back at once.
            return None if rank == CALLER else GRACE
        if rank == CALLER:
            return 0.0
        for other in self._waiting:
            if other.rank > rank:
                return GRACE
        if rank == WORKER:
            busiest = self._last_worker_inbox
            if busiest is not None and busiest is not inbox and busiest in self._waiting:
                # The worker that took the last call reads: the next is likely its own.
                return GRACE
            # A worker that itself read as a caller (a callback it made) need not wait.
            last = 0.0 if self._last_priority_inbox is inbox else self._last_priority_read
        else:
            last = max(self._last_priority_read, self._last_worker_active)
        idle = time.monotonic() - last
        return 0.0 if idle >= GRACE else GRACE - idle

    def _offer_role(self) -> None:
        """The read role is free: wake the waiter of highest rank if it may take it now."""
        best = None
        for other in self._waiting:
            if best is None or other.rank > best.rank:
                best = other
        if best is not None and not best.timed and self._may_read(best) == 0.0:
            best.cond.notify()

    def _read_once(self, inbox: Inbox, deadline: float | None = None) -> None:
        """Hold the read role for one frame (lock held on entry and exit, not while reading),
        or until ``deadline``."""
        lock = self._lock
        self._reader = inbox
        self._read_deadline = deadline
        rank = inbox.rank
        self._reader_busy = rank == CALLER or (
            rank == WORKER and time.monotonic() - self._last_worker_active < BUSY_WINDOW)
        lock.release()
        message = error = None
        try:
            segments = self._read_frame()
            if segments is not None:
                message = self.engine.decode(segments)
        except (OSError, EOFError) as exc:
            error = Disconnected(f"interrupted by disconnect: {exc or 'end of stream'}")
        except DecodeError as exc:
            error = ProtocolError(f"malformed message from peer: {exc}")
        finally:
            lock.acquire()
            self._reader = None
            if inbox.rank == CALLER:
                self._last_priority_read = time.monotonic()
                self._last_priority_inbox = inbox
            elif inbox.rank == WORKER:
                self._last_worker_active = time.monotonic()
        if error is not None:
            if isinstance(error, ProtocolError):
                log.error("%s %s: %s; closing the connection", iolog.prefix(), self.name, error)
                events = self.engine.abort(error)
            else:
                events = self.engine.disconnect(error)
            self._fail(error, events)
        elif message is not None:
            try:
                events = self.engine.handle(message)
            except ProtocolError as exc:
                log.error("%s %s: protocol error: %s; closing the connection", iolog.prefix(), self.name,
                          exc)
                events = self.engine.abort(exc)
            self._route(events)
        if self.engine.outbox:
            self._flush_holding_lock()
        if self._error is not None:
            # The connection is over (the Abort, if any, is sent): let the peer see it end.
            shutdown(self.sock)
        if not inbox.items and self._may_read(inbox) != 0.0:
            self._offer_role()

    def _route(self, events) -> None:
        """Put each event in the inbox of the thread it is for (lock held)."""
        for event in events:
            kind = type(event)
            if kind is ev.Returned:
                target = event.question.waiter
                if target is not None:
                    self._post(target, event.question)
            elif kind is ev.IncomingCall:
                self._post_call(event)
            elif kind is ev.EmbargoLifted:
                if self._error is None and event.embargo.error is None:
                    # E-order: the calls that came back through the peer before the
                    # Disembargo may still wait in the worker's inbox; the held calls go
                    # after them, so the lift queues behind them.
                    self._post(self._worker_inbox, _Lift(event.embargo))
                else:
                    self._release_embargo(event.embargo)
            elif kind is ev.Aborted:
                self._fail(event.error)

    def _release_embargo(self, embargo) -> None:
        """The held calls of ``embargo`` may run now (lock held)."""
        embargo.released = True
        if getattr(embargo.cap, "embargo", None) is embargo:
            embargo.cap.embargo = None  # later calls need not wait
        for waiter in embargo.waiters:
            self._post(waiter, embargo)

    def _post_call(self, call: ev.IncomingCall) -> None:
        """Put an incoming call in the inbox of the thread its Context names (lock held).

        A call with no Context (a method without one, or a plain Cap'n Proto peer)
        runs on the connection's own worker; one naming no thread on the pool.
        """
        index = None
        target = call.target
        if type(target) is LocalCap:
            context_field = getattr(target.server, "mpipc_context_field", None)
            if context_field is not None:
                index = context_field(call.interface_id, call.method_id)
        if index is None:
            self._post(self._worker_inbox, call)
            return
        try:
            context = call.params.get_pointer_field(index).as_struct(Context, cap_table=call.caps)
        except DecodeError as exc:
            self._route(self.engine.return_exception(call.answer, ProtocolError(f"bad call Context: {exc}")))
            return
        call.callback_thread = context.callbackThread
        thread = context.thread
        if thread is None:
            if self._pool_inbox is None:
                self._route(self.engine.return_exception(call.answer, MpipcError(
                    "the call's Context names no thread, and no pool was made (ThreadMap.makePool)")))
            else:
                self._post(self._pool_inbox, call)
            return
        if isinstance(thread, AnswerPipelineCap):
            if thread.resolved() is thread:
                # Pipelined on a makeThread still running on the connection's worker:
                # route it again once the worker has made the thread.
                self._post(self._worker_inbox, _Reroute(call))
                return
            thread = thread.resolved()
        server = getattr(thread, "server", None)
        if type(server) is not ThreadServer or server.connection is not self:
            self._route(self.engine.return_exception(call.answer, MpipcError(
                f"the call's Context names {thread!r}, not a thread this side made")))
            return
        if type(call.callback_thread) is ImportCap:
            self._hold(server.inbox, call.callback_thread)
        self._post(server.inbox, call)

    def _hold(self, inbox: Inbox, cap: ImportCap) -> None:
        """Keep a caller's callbackThread while the thread it was sent to lives (lock held).

        A libmultiprocess caller sends its callbackThread with every call; dropping it
        after each call would cost a Release frame per call. Held, the references add
        up in one import and go in one Release when the thread ends (or every
        ``HOLD_REFS`` calls).
        """
        held = inbox.held
        key = cap.entry.import_id
        if cap.entry.remote_refs >= HOLD_REFS:
            held.pop(key, None)  # let go: released once the calls using it are done
        elif held.get(key) is not cap:
            held[key] = cap

    def _post(self, inbox: Inbox, item) -> None:
        inbox.items.append(item)
        if inbox.sleeping:
            inbox.cond.notify()
        elif self._reader is inbox:
            self._wake()

    def _fail(self, error: Exception, events=None) -> None:
        if events is None:
            events = self.engine.disconnect(error)
        if self._error is None:
            self._error = error
            if not self._closed:
                log.info("%s %s: connection lost: %s", iolog.prefix(), self.name, error)
        self._route([e for e in events if type(e) is not ev.Aborted])
        for inbox in self._waiting:
            inbox.cond.notify()
        self._wake()

    def _wake(self) -> None:
        if not self._woken:
            self._woken = True
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass

    # ------------------------------------------------------------------ socket I/O
    def _read_frame(self):
        """Read one whole frame's segments; None if woken through the pipe first.

        Small frames are read into one reused buffer, several per ``recv`` when they
        come together, and copied out; a frame larger than the buffer is received
        straight into a buffer of its own. Raises EOFError at the end of the stream.
        """
        if self._big is not None:
            return self._read_big()
        buf, view = self._rbuf, self._rview
        while True:
            have = self._r1 - self._r0
            if have >= 8:
                size = self._frame_size(buf, self._r0, have)
                if size is not None:
                    if have >= size:
                        start = self._r0
                        frame = bytes(view[start:start + size])
                        self._r0 = start + size
                        if self._r0 == self._r1:
                            self._r0 = self._r1 = 0
                        return codec.read_frame(frame)[0]
                    if size > len(buf):
                        big = self._big_buffer(size)
                        big[:have] = view[self._r0:self._r1]
                        self._r0 = self._r1 = 0
                        self._big = (big, have)
                        return self._read_big()
            if self._r1 == len(buf):  # no room left: move the partial frame to the front
                buf[:have] = view[self._r0:self._r1]
                self._r0, self._r1 = 0, have
            n = self._recv_into(view[self._r1:])
            if n is None:
                return None
            self._r1 += n

    def _big_buffer(self, size: int):
        """A buffer for one large frame: the last one again if nothing uses it any more
        (a fresh megabyte costs more in page faults than in copying)."""
        spare = self._spare
        # Referenced only by self._spare and this call's argument: no message reads it.
        if spare is not None and len(spare) >= size and sys.getrefcount(spare) <= 3:
            return memoryview(spare)[:size] if len(spare) > size else spare
        self._spare = bytearray(size)
        return self._spare

    def _read_big(self):
        big, got = self._big
        view = memoryview(big)
        while got < len(big):
            n = self._recv_into(view[got:])
            if n is None:
                self._big = (big, got)
                return None
            got += n
        self._big = None
        return codec.read_frame(big)[0]

    def _recv_into(self, view) -> int | None:
        """Receive into ``view``; None if woken through the pipe first.

        A thread busy with calls receives with a blocking ``recv`` that gives up every
        ``RECV_TIMEOUT`` to see if it was woken (measured here, waiting in ``poll``
        first costs 10-15 µs a round trip); an idle reader waits in ``poll`` on the
        socket and the wake pipe, so it costs nothing and wakes at once.
        """
        deadline = self._read_deadline
        if self._reader_busy:
            while True:
                try:
                    n = self.sock.recv_into(view)
                except BlockingIOError:  # SO_RCVTIMEO passed
                    if self._woken or self._closed:
                        break
                    if deadline is not None and time.monotonic() >= deadline:
                        return None
                    continue
                if not n:
                    raise EOFError("connection closed" if self._closed else "end of stream")
                return n
        ready = self._poll.poll(None if deadline is None else max(0, (deadline - time.monotonic()) * 1000))
        if not ready:
            return None  # the deadline passed
        for fd, _ in ready:
            if fd == self._wake_r:
                try:
                    os.read(self._wake_r, 4096)
                except OSError:
                    pass
                self._woken = False
        if self._closed:
            raise EOFError("connection closed")
        try:
            n = self.sock.recv_into(view, 0, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return None  # woken through the pipe: let the waiter loop look again
        if not n:
            raise EOFError("end of stream")
        return n

    @staticmethod
    def _frame_size(buf, at: int, have: int) -> int | None:
        """The size of the frame at ``buf[at:]`` from its segment table (None: not all here)."""
        count, first = _HEADER2.unpack_from(buf, at)
        if count == 0:
            size = 8 + 8 * first
        else:
            count += 1
            if count > 512:
                raise DecodeError(f"frame has {count} segments (limit 512)")
            table = 4 * (count + 1) + (4 if count % 2 == 0 else 0)
            if have < table:
                return None
            size = table + 8 * sum(struct.unpack_from(f"<{count}I", buf, at + 4))
        if size > MAX_FRAME_BYTES:
            raise DecodeError(f"frame of {size} bytes is over the limit of {MAX_FRAME_BYTES}")
        return size

    def _flush_holding_lock(self) -> None:
        """``_flush`` from a thread holding ``_lock``, which it holds again after."""
        self._send_locked()
        self._lock.acquire()

    def _flush(self) -> None:
        """Write the outbox in order; return at once if another thread is writing it."""
        if self.engine.outbox:  # frames made by other threads are theirs to send
            self._lock.acquire()
            self._send_locked()

    def _send_locked(self) -> None:
        """Write the outbox (``_lock`` held on entry, released on return, never held
        while writing). The outbox is taken and the write lock let go only under
        ``_lock``: a thread that finds the write lock taken leaves its frames to the
        writer, who looks again under ``_lock`` before it stops."""
        lock, engine = self._lock, self.engine
        if not self._write_lock.acquire(False):
            lock.release()
            return
        frames = engine.take_outbox()
        try:
            while frames:
                lock.release()
                try:
                    if self._error is None or self._error_is_ours():
                        self.sock.sendall(frames[0] if len(frames) == 1 else b"".join(frames))
                except OSError as exc:
                    lock.acquire()
                    engine.outbox = []
                    self._fail(Disconnected(f"interrupted by disconnect: {exc}"))
                    break
                lock.acquire()
                frames = engine.take_outbox()
        finally:
            self._write_lock.release()
            lock.release()

    def _error_is_ours(self) -> bool:
        return isinstance(self._error, ProtocolError)
