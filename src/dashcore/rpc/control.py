"""Control and utility RPCs: help, stop, uptime, echo, logging, mock time, address validation."""

from __future__ import annotations

import os
import time

from .. import address
from ..util import time as clock
from .util import RPC_INVALID_PARAMETER, Arg, MethodTable, RPCError, loads

table = MethodTable()
method = table.method

CLIENT_VERSION = "23.1.2"
PROTOCOL_VERSION = 70240
LOG_CATEGORIES = ["net", "tor", "mempool", "http", "bench", "zmq", "walletdb", "rpc", "estimatefee", "addrman",
                  "selectcoins", "reindex", "cmpctblock", "rand", "prune", "proxy", "mempoolrej", "libevent",
                  "coindb", "qt", "leveldb", "validation", "i2p", "ipc", "lock", "util", "blockstorage"]


def _help_listing(ctx) -> str:
    by_category: dict[str, list] = {}
    for c in ctx.rpc.commands():
        if c.category == "hidden":
            continue
        by_category.setdefault(c.category, []).append(c)
    sections = []
    for category in sorted(by_category):
        lines = [f"== {category[:1].upper() + category[1:]} =="]
        lines += [c.help.split("\n", 1)[0] for c in sorted(by_category[category], key=lambda c: c.name)]
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


@method("help", "control", [Arg("command", "str", False, help="The command to get help on")],
        "List all commands, or get help for a specified command.")
def help_(ctx, req, command):
    if command is None:
        return _help_listing(ctx)
    c = ctx.rpc.find(command)
    if c is None:
        return f"help: unknown command: {command}"
    return c.help  # as dashd: the help text itself, with its final newline


@method("stop", "control", [Arg("wait", "int", False, hidden=True)], "Request a graceful shutdown of Dash Core.")
def stop(ctx, req, wait):
    ctx.shutdown.set()
    if wait is not None:
        # The reply waits (tests use it to show that shutdown lets calls in progress finish).
        time.sleep(max(wait, 0) / 1000)
    return "Dash Core server stopping"


@method("getrpcinfo", "control", description="Returns details of the RPC server.")
def getrpcinfo(ctx, req):
    active = [{"method": name, "duration": int(seconds * 1_000_000)} for name, seconds in ctx.rpc.active_commands()]
    return {"active_commands": active, "logpath": os.path.join(ctx.datadir, "debug.log")}


@method("uptime", "control", description="Returns the total uptime of the server.")
def uptime(ctx, req):
    return clock.uptime()


@method("getmemoryinfo", "control", [Arg("mode", "str", False, "stats")], "Returns an object containing information about memory usage.")
def getmemoryinfo(ctx, req, mode):
    return {"locked": {"used": 0, "free": 0, "total": 0, "locked": 0, "chunks_used": 0, "chunks_free": 0}}


@method("logging", "control", [Arg("include", "arr", False), Arg("exclude", "arr", False)],
        "Gets and sets the logging configuration.")
def logging_(ctx, req, include, exclude):
    enabled = set(ctx.log_categories)
    for name in include or []:
        if name in ("all", "1"):
            enabled |= set(LOG_CATEGORIES)
        elif name in LOG_CATEGORIES:
            enabled.add(name)
        else:
            raise RPCError(RPC_INVALID_PARAMETER, f"unknown logging category {name}")
    for name in exclude or []:
        if name in ("all", "1"):
            enabled.clear()
        elif name in LOG_CATEGORIES:
            enabled.discard(name)
        else:
            raise RPCError(RPC_INVALID_PARAMETER, f"unknown logging category {name}")
    ctx.log_categories = enabled
    return {c: c in enabled for c in LOG_CATEGORIES}


_ECHO_ARGS = [Arg(f"arg{i}", "any", False) for i in range(10)]


@method("echo", "hidden", _ECHO_ARGS, "Simply echo back the input arguments. This command is for testing.")
def echo(ctx, req, *args):
    # The parameters as received: named ones arrive as a positional list with holes
    # filled with null up to the last one given.
    return loads(req.params_json)


@method("echojson", "hidden", _ECHO_ARGS, "Simply echo back the input arguments (parsed as JSON by the client).")
def echojson(ctx, req, *args):
    return echo(ctx, req, *args)


@method("setmocktime", "hidden", [Arg("timestamp", "int")], "Set the local time to given timestamp (-regtest only).")
def setmocktime(ctx, req, timestamp):
    if timestamp < 0:
        raise RPCError(RPC_INVALID_PARAMETER, f"Mocktime cannot be negative: {timestamp}.")
    clock.set_mock_time(timestamp)
    for client in ctx.chain_clients:
        client.set_mock_time(timestamp)
    return None


@method("mockscheduler", "hidden", [Arg("delta_time", "int")], "Bump the scheduler into the future (-regtest only).")
def mockscheduler(ctx, req, delta_time):
    if delta_time <= 0 or delta_time > 3600:
        raise RPCError(RPC_INVALID_PARAMETER, "delta_time must be between 1 and 3600")
    ctx.signals.sync()
    return None


@method("validateaddress", "util", [Arg("address", "str")], "Return information about the given Dash address.")
def validateaddress(ctx, req, addr):
    try:
        spk = address.to_script(addr)
    except address.InvalidAddress as e:
        return {"isvalid": False, "error": e.reason}
    return {"isvalid": True, "address": addr, "scriptPubKey": spk.hex(), "isscript": spk[0] == 0xA9}
