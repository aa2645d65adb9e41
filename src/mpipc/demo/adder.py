"""The Adder interface of the demo and the benchmark, served and called through the engine."""

from __future__ import annotations

import os

from .. import codec, schema
from ..transport import CallContext, Connection

_schema = schema.load(os.path.join(os.path.dirname(__file__), "adder.capnp"))
ADDER = _schema.find("Adder")
CALLBACK = _schema.find("Callback")


def _method_classes(iface, name):
    for m in iface.interface.methods:
        if m.name == name:
            return (m.ordinal, codec.struct_class(_schema, m.param_struct_type),
                    codec.struct_class(_schema, m.result_struct_type))
    raise LookupError(name)


ADD, AddParams, AddResults = _method_classes(ADDER, "add")
ECHO, EchoParams, EchoResults = _method_classes(ADDER, "echo")
ADD_CB, AddCbParams, AddCbResults = _method_classes(ADDER, "addWithCallback")
CALL, CallParams, CallResults = _method_classes(CALLBACK, "call")


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
