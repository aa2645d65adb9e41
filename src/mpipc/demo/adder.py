"""The Adder interface of the demo and the benchmark, served and called through the engine."""

from __future__ import annotations

import os

from .. import codec, schema
from ..transport import CallContext, Connection

_schema = schema.load(os.path.join(os.path.dirname(__file__), "adder.capnp"))
ADDER = _schema.find("Adder")
CALLBACK = _schema.find("Callback")


ADD, AddParams, AddResults = codec.method_classes(_schema, ADDER, "add")
ECHO, EchoParams, EchoResults = codec.method_classes(_schema, ADDER, "echo")
ADD_CB, AddCbParams, AddCbResults = codec.method_classes(_schema, ADDER, "addWithCallback")
CALL, CallParams, CallResults = codec.method_classes(_schema, CALLBACK, "call")


class AdderServer:
    """The Adder implementation the child serves."""

    def mpipc_dispatch(self, ctx: CallContext):
        if ctx.interface_id != ADDER.id:
            raise NotImplementedError(f"interface {ctx.interface_id:#x}")
        if ctx.method_id == ADD:
            p = ctx.params(AddParams)
            return AddResults(result=p.a + p.b)
        if ctx.method_id == ECHO:
            return EchoResults(data=ctx.params(EchoParams).data)
        if ctx.method_id == ADD_CB:
            p = ctx.params(AddCbParams)
            back = ctx.connection.call(p.cb, CALLBACK.id, CALL, CallParams(value=p.a), CallResults)
            return AddCbResults(result=back.result + p.b)
        raise NotImplementedError(f"method {ctx.method_id}")


class CallbackServer:
    """A callback the caller passes to ``addWithCallback``: doubles what it is given."""

    def __init__(self, fn=lambda v: v * 2):
        self.fn = fn

    def mpipc_dispatch(self, ctx: CallContext):
        return CallResults(result=self.fn(ctx.params(CallParams).value))


class AdderClient:
    """Calls an Adder capability over a connection."""

    def __init__(self, connection: Connection, cap=None):
        self.connection = connection
        self.cap = cap if cap is not None else connection.bootstrap()

    def add(self, a: int, b: int) -> int:
        return self.connection.call(self.cap, ADDER.id, ADD, AddParams(a=a, b=b), AddResults).result

    def echo(self, data: bytes) -> bytes:
        return self.connection.call(self.cap, ADDER.id, ECHO, EchoParams(data=data), EchoResults).data

    def add_with_callback(self, a: int, b: int, callback) -> int:
        return self.connection.call(self.cap, ADDER.id, ADD_CB, AddCbParams(a=a, b=b, cb=callback),
                                    AddCbResults).result
