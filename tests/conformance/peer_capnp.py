"""The pycapnp peer of the conformance tests (Cap'n Proto's own C++ RPC), run as a subprocess.

    python peer_capnp.py CTRL_FD

CTRL_FD is one end of a SOCK_SEQPACKET socketpair. Each datagram on it is one JSON
command, with the fd of a connected stream socket attached when the command uses one;
each reply is one JSON datagram ``{"id": ..., "ok": true, "result": ...}`` or
``{"id": ..., "ok": false, "error": "<traceback>"}``. Commands run concurrently:

* ``{"op": "serve"}`` + fd: serve a fresh Conf on that socket until it disconnects.
* ``{"op": "listen", "path": P}``: serve a fresh Conf on each connection to unix socket P.
* ``{"op": "client", "scenario": S, "args": {...}}`` + fd, or with ``"path": P``:
  connect a TwoPartyClient, run scenario S (below) against the peer's bootstrap Conf,
  reply with what it gives.
* ``{"op": "pid"}``: this process's pid.

The process exits when the control socket closes.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
import sys
import time
import traceback
import weakref

import capnp

HERE = os.path.dirname(os.path.abspath(__file__))
schema = capnp.load(os.path.join(HERE, "conformance.capnp"))


# ---------------------------------------------------------------------- servers

class ObjImpl(schema.Obj.Server):
    def __init__(self, tag: str, registry=None, hang: bool = False):
        self.tag = tag
        self.calls: list[int] = []
        self.hang = hang
        if registry is not None:
            registry.add(self)

    async def get(self, n, _context, **kwargs):
        self.calls.append(n)
        if self.hang:
            await asyncio.sleep(3600)
        return f"{self.tag}:{n}"

    async def fail(self, message, _context, **kwargs):
        raise PermissionError(message)

    async def history(self, _context, **kwargs):
        return list(self.calls)


class ConfImpl(schema.Conf.Server):
    def __init__(self, objs=None, make_delay: float = 0.0):
        self.objs = objs if objs is not None else weakref.WeakSet()
        self.held = None
        self.make_delay = make_delay

    async def ping(self, n, _context, **kwargs):
        return n + 1

    async def echoData(self, data, _context, **kwargs):
        return data

    async def makeObj(self, tag, _context, **kwargs):
        if self.make_delay:
            await asyncio.sleep(self.make_delay)
        if tag.startswith("!"):
            raise ValueError(tag)
        return ObjImpl(tag, self.objs)

    async def callObj(self, obj, n, _context, **kwargs):
        return (await obj.get(n=n)).result

    async def echoCap(self, obj, _context, **kwargs):
        if self.make_delay:
            await asyncio.sleep(self.make_delay)
        return obj

    async def fail(self, message, _context, **kwargs):
        raise ValueError(message)

    async def callFail(self, obj, message, _context, **kwargs):
        try:
            await obj.fail(message=message)
        except capnp.KjException as exc:
            return exc.description
        return "no error"

    async def liveObjs(self, _context, **kwargs):
        gc.collect()
        return len(self.objs)

    async def holdObj(self, obj, _context, **kwargs):
        self.held = obj

    async def dropObj(self, _context, **kwargs):
        self.held = None
        gc.collect()

    async def callHeld(self, n, _context, **kwargs):
        return (await self.held.get(n=n)).result

    async def slow(self, ms, n, _context, **kwargs):
        await asyncio.sleep(ms / 1000)
        return n

    async def promiseObj(self, tag, ms, _context, **kwargs):
        # A capability pipelined on a local call still running: exported as a promise
        # (senderPromise), then resolved (Resolve) when that call returns.
        maker = schema.Conf._new_client(ConfImpl(self.objs, ms / 1000))
        return maker.makeObj(tag=tag).obj


    async def makePair(self, tag, _context, **kwargs):
        pair = _context.results.init("pair")
        pair.label = tag
        pair.first = ObjImpl(tag + "1", self.objs)
        pair.second = ObjImpl(tag + "2", self.objs)

    async def delayedEcho(self, obj, ms, _context, **kwargs):
        echo = schema.Conf._new_client(ConfImpl(self.objs, ms / 1000))
        return echo.echoCap(obj=obj).obj

    async def badResult(self, _context, **kwargs):
        return "not an int"


class ReentrantObj(ObjImpl):
    """An Obj whose get calls the peer's Conf.ping while the peer waits for it."""

    def __init__(self, conf):
        super().__init__("re")
        self.conf = conf

    async def get(self, n, _context, **kwargs):
        self.calls.append(n)
        return f"re:{(await self.conf.ping(n=n)).n}"


async def serve_stream(stream) -> None:
    server = capnp.TwoPartyServer(stream, bootstrap=ConfImpl())
    try:
        await server.on_disconnect()
    finally:
        server.close()
        stream.close()


# ---------------------------------------------------------------------- client scenarios

async def until(predicate, timeout=5.0):
    """Poll an async predicate until true; gives whether it became true in time."""
    deadline = time.monotonic() + timeout
    while True:
        if await predicate():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)


async def sc_bootstrap(conf, args):
    # The first call goes out on the bootstrap's promised answer, before its Return.
    first = conf.ping(n=41)
    second = conf.ping(n=1)
    return [(await first).n, (await second).n]


async def sc_caps(conf, args):
    out = {}
    made = await conf.makeObj(tag="a")
    obj = made.obj
    out["get"] = (await obj.get(n=5)).result
    # The peer's own capability passed back to it (receiverHosted) and returned by it.
    out["call_back_own"] = (await conf.callObj(obj=obj, n=6)).result
    echoed = (await conf.echoCap(obj=obj)).obj
    out["echo_own"] = (await echoed.get(n=7)).result
    # Pipelined on a returned capability before its call returns.
    out["pipelined_get"] = (await conf.makeObj(tag="b").obj.get(n=8)).result
    return out


async def sc_callback(conf, args):
    mine = ObjImpl("cb")
    result = (await conf.callObj(obj=mine, n=7)).result
    held = await conf.holdObj(obj=mine)
    again = (await conf.callHeld(n=9)).result
    await conf.dropObj()
    return {"result": result, "again": again, "calls": mine.calls}


async def sc_pipelined_param(conf, args):
    # makeObj's result, not yet returned, passed as a param: CapDescriptor.receiverAnswer.
    promise = conf.makeObj(tag="pp")
    first = conf.callObj(obj=promise.obj, n=8)
    second = conf.echoCap(obj=promise.obj).obj.get(n=9)
    made = await promise
    return {"first": (await first).result, "second": (await second).result,
            "direct": (await made.obj.get(n=10)).result}


async def sc_loopback(conf, args):
    # Our own capability comes back through a promise with calls already pipelined on it:
    # the peer must forward those calls back here (tail call / takeFromOtherQuestion),
    # and reflect our Disembargo so the later calls, made locally, come after them.
    mine = ObjImpl("mine")
    promise = conf.echoCap(obj=mine)
    cap = promise.obj
    early = [cap.get(n=1), cap.get(n=2)]
    await promise
    late = [cap.get(n=3), cap.get(n=4)]
    results = [(await p).result for p in early + late]
    return {"results": results, "calls": mine.calls}


async def sc_promise(conf, args):
    # Calls pipelined on promiseObj's result while the peer is still running it.
    promise = conf.promiseObj(tag="pr", ms=args.get("ms", 100))
    cap = promise.obj
    early = [cap.get(n=1), cap.get(n=2)]
    made = await promise
    late = [cap.get(n=3), made.obj.get(n=4)]
    results = [(await p).result for p in early + late]
    history = (await made.obj.history()).calls
    return {"results": results, "history": list(history)}


async def sc_pair(conf, args):
    # Pipelined on caps two pointers deep in the results (transform [0, 1] and [0, 2]).
    promise = conf.makePair(tag="p")
    first = promise.pair.first.get(n=1)
    second = promise.pair.second.get(n=2)
    passed = conf.callObj(obj=promise.pair.second, n=3)
    made = await promise
    return {"label": made.pair.label, "first": (await first).result, "second": (await second).result,
            "passed": (await passed).result}


async def sc_reentrant(conf, args):
    # The peer, serving callObj, calls our Obj, which calls the peer's ping meanwhile.
    mine = ReentrantObj(conf)
    return (await conf.callObj(obj=mine, n=5)).result


async def sc_bad_result(conf, args):
    try:
        await conf.badResult()
        out = {"error": None}
    except capnp.KjException as exc:
        out = {"error": exc.description, "type": exc.type}
    out["after"] = (await conf.ping(n=1)).n
    return out


async def sc_cancel(conf, args):
    # Calls dropped before they return: C++ sends Finish early (a cancellation).
    out = {}
    slow = asyncio.ensure_future(conf.slow(ms=300, n=1))
    made = asyncio.ensure_future(conf.makeObj(tag="c"))
    await asyncio.sleep(0.05)
    slow.cancel()
    made.cancel()
    await asyncio.gather(slow, made, return_exceptions=True)
    out["after"] = (await conf.ping(n=1)).n

    async def gone():
        return (await conf.liveObjs()).count == 0
    out["freed"] = await until(gone)
    return out


async def sc_pipeline_error(conf, args):
    # Calls pipelined on the result of a call that fails fail with its exception.
    out = {}
    promise = conf.makeObj(tag="!nope")
    pipelined = promise.obj.get(n=1)
    for key, p in (("call", promise), ("pipelined", pipelined)):
        try:
            await p
            out[key] = None
        except capnp.KjException as exc:
            out[key] = exc.description
    out["after"] = (await conf.ping(n=1)).n
    return out


async def sc_release(conf, args):
    out = {}
    made = await conf.makeObj(tag="r")
    obj = made.obj
    out["live_before"] = (await conf.liveObjs()).count
    del made, obj
    gc.collect()

    async def gone():
        return (await conf.liveObjs()).count == 0
    out["peer_freed"] = await until(gone)

    mine = ObjImpl("held")
    ref = weakref.ref(mine)
    await conf.holdObj(obj=mine)
    del mine
    gc.collect()
    await asyncio.sleep(0.05)
    out["alive_while_held"] = ref() is not None
    await conf.dropObj()

    async def freed():
        gc.collect()
        return ref() is None
    out["own_freed"] = await until(freed)
    return out


async def sc_exceptions(conf, args):
    out = {}
    try:
        await conf.fail(message="boom from pycapnp")
        out["fail"] = None
    except capnp.KjException as exc:
        out["fail"] = {"description": exc.description, "type": exc.type}
    mine = ObjImpl("f")
    out["callFail"] = (await conf.callFail(obj=mine, message="denied here")).reason
    out["after"] = (await conf.ping(n=1)).n
    return out


async def sc_big(conf, args):
    data = bytes(range(256)) * 4096  # 1 MiB
    back = (await conf.echoData(data=data)).data
    return {"same": back == data, "len": len(back)}


async def sc_many(conf, args):
    count = args.get("count", 200)
    calls = [conf.ping(n=i) for i in range(count)]
    calls += [conf.slow(ms=20, n=i) for i in range(10)]
    results = await asyncio.gather(*calls)
    return {"ok": [r.n for r in results[:count]] == [i + 1 for i in range(count)]
            and [r.n for r in results[count:]] == list(range(10))}


async def sc_hang_callback(conf, args):
    # The peer calls back into an Obj that never answers; the test kills this process.
    mine = ObjImpl("hang", hang=True)
    await conf.callObj(obj=mine, n=1)
    return "returned?!"


SCENARIOS = {name[3:]: fn for name, fn in globals().items() if name.startswith("sc_")}


async def run_client(stream, cmd):
    client = capnp.TwoPartyClient(stream)
    try:
        conf = client.bootstrap().cast_as(schema.Conf)
        return await asyncio.wait_for(SCENARIOS[cmd["scenario"]](conf, cmd.get("args") or {}),
                                      cmd.get("timeout", 20))
    finally:
        conf = None
        gc.collect()
        client.close()
        stream.close()


# ---------------------------------------------------------------------- control channel

class Control:
    def __init__(self, fd: int):
        self.sock = socket.socket(fileno=fd)
        self.sock.setblocking(False)
        self.done = asyncio.Event()
        self.tasks: set = set()
        self.servers: list = []

    def reply(self, cid, ok, value):
        msg = {"id": cid, "ok": ok, ("result" if ok else "error"): value}
        self.sock.setblocking(True)
        try:
            self.sock.send(json.dumps(msg).encode())
        except OSError:
            self.done.set()
        finally:
            self.sock.setblocking(False)

    def on_readable(self):
        try:
            data, fds, _flags, _addr = socket.recv_fds(self.sock, 1 << 16, 4)
        except BlockingIOError:
            return
        except OSError:
            data, fds = b"", []
        if not data:
            self.done.set()
            return
        cmd = json.loads(data)
        task = asyncio.ensure_future(self.run(cmd, fds))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run(self, cmd, fds):
        cid = cmd.get("id")
        try:
            op = cmd["op"]
            if op == "pid":
                self.reply(cid, True, os.getpid())
            elif op == "serve":
                stream = await capnp.AsyncIoStream.create_connection(sock=socket.socket(fileno=fds[0]))
                self.reply(cid, True, None)
                await serve_stream(stream)
            elif op == "listen":
                server = await capnp.AsyncIoStream.create_unix_server(serve_stream, cmd["path"])
                self.servers.append(server)
                self.reply(cid, True, None)
            elif op == "client":
                if fds:
                    stream = await capnp.AsyncIoStream.create_connection(sock=socket.socket(fileno=fds[0]))
                else:
                    stream = await capnp.AsyncIoStream.create_unix_connection(cmd["path"])
                self.reply(cid, True, await run_client(stream, cmd))
            else:
                raise ValueError(f"unknown op {op!r}")
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the test
            self.reply(cid, False, "".join(traceback.format_exception(exc)))
            if not isinstance(exc, Exception):
                raise


async def main(fd: int) -> None:
    control = Control(fd)
    loop = asyncio.get_running_loop()
    loop.add_reader(control.sock.fileno(), control.on_readable)
    await control.done.wait()
    loop.remove_reader(control.sock.fileno())
    for server in control.servers:
        server.close()


if __name__ == "__main__":
    asyncio.run(capnp.run(main(int(sys.argv[1]))))
    sys.stdout.flush()
    os._exit(0)
