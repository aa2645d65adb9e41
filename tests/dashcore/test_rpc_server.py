"""The JSON-RPC protocol of the command table, without HTTP: reply forms, named arguments, warm-up."""

from __future__ import annotations

import json

import pytest

from dashcore.interfaces import RpcCommand, RpcReply
from dashcore.rpc.server import RpcTable, transform_named
from dashcore.rpc.util import RPCError, dumps, loads


@pytest.fixture
def table():
    t = RpcTable()
    t.register(RpcCommand("test", "add", ["a", "b"], "add a b\n",
                          lambda req: RpcReply(dumps(sum(x or 0 for x in loads(req.params_json))))))
    t.register(RpcCommand("test", "fail", [], "fail\n", lambda req: RpcReply("null", -8, "bad thing")))
    t.set_ready()
    return t


def call(table, request):
    status, body = table.handle_http_body(json.dumps(request).encode(), "/", "u")
    return status, (json.loads(body) if body is not None else None)


def test_legacy_and_v2_reply_forms(table):
    assert call(table, {"method": "add", "params": [1, 2], "id": 1}) == (200, {"result": 3, "error": None, "id": 1})
    assert call(table, {"jsonrpc": "1.0", "method": "fail", "id": 2}) == \
        (500, {"result": None, "error": {"code": -8, "message": "bad thing"}, "id": 2})
    assert call(table, {"jsonrpc": "2.0", "method": "add", "params": {"b": 5}, "id": 3}) == \
        (200, {"jsonrpc": "2.0", "result": 5, "id": 3})
    assert call(table, {"jsonrpc": "2.0", "method": "fail", "id": 4}) == \
        (200, {"jsonrpc": "2.0", "error": {"code": -8, "message": "bad thing"}, "id": 4})
    assert call(table, {"jsonrpc": "2.0", "method": "add", "params": [1]}) == (204, None)
    assert call(table, {"jsonrpc": "3.0", "method": "add", "id": 5})[1]["error"]["code"] == -32600
    status, batch = call(table, [{"method": "add", "params": [1, 1], "id": 1}, {"jsonrpc": "2.0", "method": "add"}, 7])
    assert status == 200 and [r.get("result") for r in batch] == [2, None] and batch[1]["error"]["code"] == -32600


def test_decimals_are_exact(table):
    table.register(RpcCommand("test", "amount", [], "", lambda req: RpcReply(dumps(loads("[0.10000001]")[0]))))
    status, body = table.handle_http_body(b'{"method":"amount","id":1}', "/", "u")
    assert '"result":0.10000001,' in body


def test_named_arguments():
    assert transform_named({"b": 2}, ["a", "b", "c"]) == [None, 2]
    assert transform_named({"args": [1], "c": 3}, ["a", "b", "c"]) == [1, None, 3]
    # "label|dummy": either name fills the parameter (Bitcoin's aliases)
    assert transform_named({"dummy": "x", "count": 2}, ["label|dummy", "count"]) == ["x", 2]
    assert transform_named({"label": "x"}, ["label|dummy", "count"]) == ["x"]
    with pytest.raises(RPCError, match="Unknown named parameter z"):
        transform_named({"z": 1}, ["a"])
    with pytest.raises(RPCError, match="Parameter a specified twice"):
        transform_named({"args": [1], "a": 2}, ["a"])


def test_warmup_then_unknown_method():
    t = RpcTable()
    t.set_warmup_message("Loading wallet...")
    assert call(t, {"method": "getbalance", "id": 1})[1]["error"] == {"code": -28, "message": "Loading wallet..."}
    t.set_ready()
    assert call(t, {"method": "getbalance", "id": 1}) == \
        (404, {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 1})
    handler = t.register(RpcCommand("wallet", "getbalance", [], "", lambda req: RpcReply("1")))
    assert call(t, {"method": "getbalance", "id": 1})[1]["result"] == 1
    handler.disconnect()
    assert call(t, {"method": "getbalance", "id": 1})[1]["error"]["code"] == -32601


def test_named_arguments_as_dashd_merges_them():
    from dashcore.rpc.server import parse_request
    # a repeated key (dash-cli -named sends "args" twice when given both ways) is refused, not merged
    with pytest.raises(RPCError, match="Parameter args specified multiple times"):
        transform_named(parse_request('{"args": [1], "args": [2]}'), ["a"])
    # a named argument given as null still counts as given
    with pytest.raises(RPCError, match="Parameter b specified twice"):
        transform_named({"args": [1, 2], "b": None}, ["a", "b"])
    assert transform_named({"args": [1], "c": 3}, ["a", "b", "c"]) == [1, None, 3]
    # an "args" parameter of the method itself is a named argument like any other
    assert transform_named({"args": "x"}, ["args"]) == ["x"]


def test_whitelist_refuses_with_403(table):
    def permit(method, params):
        return method == "add" or (method == "quorum" and params and params[0] == "list")
    table.register(RpcCommand("test", "quorum", ["sub"], "", lambda req: RpcReply("[]")))
    ok = table.handle_http_body(b'{"method":"add","params":[1,2],"id":1}', "/", "u", permit)
    assert ok[0] == 200
    assert table.handle_http_body(b'{"method":"fail","id":1}', "/", "u", permit) == (403, None)
    assert table.handle_http_body(b'{"method":"quorum","params":["list"],"id":1}', "/", "u", permit)[0] == 200
    assert table.handle_http_body(b'{"method":"quorum","params":["sign"],"id":1}', "/", "u", permit) == (403, None)
    # one refused call refuses the whole batch
    batch = b'[{"method":"add","id":1},{"method":"fail","id":2}]'
    assert table.handle_http_body(batch, "/", "u", permit) == (403, None)


def test_active_commands_and_interrupt(table):
    import threading
    import time
    entered = threading.Event()

    def slow(req):
        entered.set()
        table.wait_while_running(lambda: False, None)
        return RpcReply('"woken"')
    table.register(RpcCommand("test", "slow", [], "", slow))
    replies = []
    t = threading.Thread(target=lambda: replies.append(table.handle_http_body(b'{"method":"slow","id":1}', "/", "u")))
    t.start()
    assert entered.wait(5)
    [(name, seconds)] = table.active_commands()
    assert name == "slow" and seconds >= 0
    # a timeout ends the wait while the server runs
    start = time.monotonic()
    table.wait_while_running(lambda: False, 0.1)
    assert time.monotonic() - start >= 0.1
    table.interrupt()
    t.join(5)
    assert replies[0][0] == 200 and '"woken"' in replies[0][1]
    assert table.active_commands() == []
