"""RPCs that wait for the chain tip: waitfornewblock, waitforblock, waitforblockheight.

Each returns the tip when its condition holds, when its timeout (milliseconds, 0 for none)
passes, or when the RPC server stops, as dashd's do.
"""

from __future__ import annotations

from .util import Arg, MethodTable, parse_hash

table = MethodTable()
method = table.method

_TIMEOUT = Arg("timeout", "int", False, 0, help="Time in milliseconds to wait for a response. 0 indicates no timeout.")
_RETURNS = "\nReturns the current block on timeout or exit.\n"


def _tip(ctx) -> tuple[bytes, int]:
    with ctx.chainstate.cs_main:
        tip = ctx.chainstate.tip
        return tip.header.hash, tip.height


def _wait(ctx, done, timeout_ms: int) -> dict:
    ctx.rpc.wait_while_running(lambda: done(*_tip(ctx)), timeout_ms / 1000 if timeout_ms > 0 else None)
    block_hash, height = _tip(ctx)
    return {"hash": block_hash[::-1].hex(), "height": height}


@method("waitfornewblock", "blockchain", [_TIMEOUT],
        "Waits for a specific new block and returns useful info about it.\n" + _RETURNS)
def waitfornewblock(ctx, req, timeout):
    start = _tip(ctx)
    return _wait(ctx, lambda h, n: (h, n) != start, timeout)


@method("waitforblock", "blockchain", [Arg("blockhash", "hex", help="Block hash to wait for."), _TIMEOUT],
        "Waits for a specific new block and returns useful info about it.\n" + _RETURNS)
def waitforblock(ctx, req, blockhash, timeout):
    wanted = parse_hash(blockhash, "blockhash")
    return _wait(ctx, lambda h, n: h == wanted, timeout)


@method("waitforblockheight", "blockchain", [Arg("height", "int", help="Block height to wait for."), _TIMEOUT],
        "Waits for (at least) block height and returns the height and hash\nof the current tip.\n" + _RETURNS)
def waitforblockheight(ctx, req, height, timeout):
    return _wait(ctx, lambda h, n: n >= height, timeout)
