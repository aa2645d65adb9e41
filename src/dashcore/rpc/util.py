"""RPC building blocks shared by node and wallet commands: errors, JSON text, typed arguments, help."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from ..amount import from_value
from ..interfaces import RpcCommand, RpcReply, RpcRequest

# Bitcoin's src/rpc/protocol.h
RPC_INVALID_REQUEST = -32600
RPC_METHOD_NOT_FOUND = -32601
RPC_INVALID_PARAMS = -32602
RPC_INTERNAL_ERROR = -32603
RPC_PARSE_ERROR = -32700
RPC_MISC_ERROR = -1
RPC_TYPE_ERROR = -3
RPC_INVALID_ADDRESS_OR_KEY = -5
RPC_OUT_OF_MEMORY = -7
RPC_INVALID_PARAMETER = -8
RPC_DATABASE_ERROR = -20
RPC_DESERIALIZATION_ERROR = -22
RPC_VERIFY_ERROR = -25
RPC_VERIFY_REJECTED = -26
RPC_VERIFY_ALREADY_IN_CHAIN = -27
RPC_IN_WARMUP = -28
RPC_CLIENT_NOT_CONNECTED = -9
RPC_CLIENT_P2P_DISABLED = -31
RPC_WALLET_ERROR = -4
RPC_WALLET_INSUFFICIENT_FUNDS = -6
RPC_WALLET_INVALID_LABEL_NAME = -11
RPC_WALLET_KEYPOOL_RAN_OUT = -12
RPC_WALLET_NOT_FOUND = -18
RPC_WALLET_NOT_SPECIFIED = -19
RPC_WALLET_ALREADY_LOADED = -35
RPC_WALLET_ALREADY_EXISTS = -36


class RPCError(Exception):
    """A JSON-RPC error reply: code and message."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# -- JSON --------------------------------------------------------------------------------------


def loads(text: str | bytes) -> Any:
    """JSON with every non-integer number as Decimal (amounts stay exact)."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Compact JSON as Bitcoin writes it; Decimal is written as its exact digits."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + dumps(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, RawJSON):
        return value.text
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps_pretty(value: Any, indent: int = 2, level: int = 0) -> str:
    """Indented JSON (dash-cli's output), Decimal exact."""
    pad, inner = " " * (indent * level), " " * (indent * (level + 1))
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {dumps_pretty(v, indent, level + 1)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + dumps_pretty(v, indent, level + 1) for v in value) + "\n" + pad + "]"
    return dumps(value)


@dataclass(frozen=True)
class RawJSON:
    text: str


# -- arguments ----------------------------------------------------------------------------------

_TYPE_NAMES = {"str": "string", "int": "number", "num": "number", "amount": "number", "bool": "bool",
               "arr": "array", "obj": "object", "hex": "string"}


def json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


@dataclass(frozen=True)
class Arg:
    """One parameter: its name, JSON type ("str", "int", "amount", "bool", "arr", "obj", "hex", "any"),
    and whether it is required."""

    name: str
    type: str
    required: bool = True
    default: Any = None
    help: str = ""
    hidden: bool = False


def _check_type(arg: Arg, value: Any) -> Any:
    t = arg.type
    if t == "any":
        return value
    if t == "amount":
        if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            return value
    elif t == "num":
        if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
            return value
    elif t == "int":
        if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool):
            if value != int(value):
                raise RPCError(RPC_TYPE_ERROR, "JSON integer out of range")
            return int(value)
    elif t in ("str", "hex"):
        if isinstance(value, str):
            return value
    elif t == "bool":
        if isinstance(value, bool):
            return value
    elif t == "arr":
        if isinstance(value, list):
            return value
    elif t == "obj":
        if isinstance(value, dict):
            return value
    raise RPCError(RPC_TYPE_ERROR, f"JSON value of type {json_type_name(value)} is not of expected type {_TYPE_NAMES[t]}")


@dataclass
class Method:
    """A command implemented in Python: ``fn(ctx, *args)`` returns a JSON-able value."""

    name: str
    category: str
    args: list[Arg]
    description: str
    fn: Callable[..., Any]
    examples: str = ""
    hidden: bool = False

    @property
    def arg_names(self) -> list[str]:
        return [a.name for a in self.args]

    def signature(self) -> str:
        parts = [self.name]
        for a in self.args:
            if a.hidden:
                continue
            shown = f'"{a.name}"' if a.type in ("str", "hex") else a.name
            parts.append(shown if a.required else f"( {shown} )")
        return " ".join(parts)

    def help_text(self) -> str:
        lines = [self.signature(), "", self.description.strip()]
        shown = [a for a in self.args if not a.hidden]
        if shown:
            lines += ["", "Arguments:"]
            for i, a in enumerate(shown, 1):
                req = "required" if a.required else f"optional, default={dumps(a.default)}"
                lines.append(f"{i}. {a.name}    ({_TYPE_NAMES.get(a.type, a.type)}, {req}) {a.help}".rstrip())
        if self.examples:
            lines += ["", "Examples:", self.examples.strip()]
        return "\n".join(lines) + "\n"

    def parse(self, params: list) -> list:
        if len(params) > len(self.args):
            raise RPCError(RPC_MISC_ERROR, self.help_text())
        values = []
        for i, arg in enumerate(self.args):
            value = params[i] if i < len(params) else None
            if value is None:
                if arg.required:
                    raise RPCError(RPC_MISC_ERROR, self.help_text())
                values.append(arg.default)
            else:
                values.append(_check_type(arg, value))
        return values

    def command(self, ctx: Any) -> RpcCommand:
        """This method as an RpcCommand whose actor runs it with ``ctx``."""
        def actor(request: RpcRequest) -> RpcReply:
            return run(lambda: self.fn(ctx, request, *self.parse(loads(request.params_json))))
        return RpcCommand(self.category, self.name, self.arg_names, self.help_text(), actor)


def run(fn: Callable[[], Any]) -> RpcReply:
    """Run a command body, turning its value or RPCError into an RpcReply."""
    try:
        return RpcReply(dumps(fn()))
    except RPCError as e:
        return RpcReply("null", e.code, e.message)


@dataclass
class MethodTable:
    """Methods collected by the ``method`` decorator of a module."""

    methods: list[Method] = field(default_factory=list)

    def method(self, name: str, category: str, args: list[Arg] | None = None, description: str = "",
               examples: str = "", hidden: bool = False):
        def register(fn):
            self.methods.append(Method(name, category, args or [], description or fn.__doc__ or "", fn, examples,
                                       hidden))
            return fn
        return register


def parse_hash(value: str, name: str) -> bytes:
    if not isinstance(value, str) or len(value) != 64:
        raise RPCError(RPC_INVALID_PARAMETER, f"{name} must be of length 64 (not {len(value) if isinstance(value, str) else 0}, for '{value}')")
    try:
        return bytes.fromhex(value)[::-1]
    except ValueError:
        raise RPCError(RPC_INVALID_PARAMETER, f"{name} must be hexadecimal string (not '{value}')") from None


def check_object(obj: dict, fields: dict[str, str], strict: bool = True) -> None:
    """Bitcoin's RPCTypeCheckObj: each field present with its JSON type ("string", "number", ...), in order;
    with ``strict``, no other keys. RPCError -3 naming what is wrong."""
    for name, expected in fields.items():
        value = obj.get(name)
        if value is None:
            raise RPCError(RPC_TYPE_ERROR, f"Missing {name}")
        if json_type_name(value) != expected:
            raise RPCError(RPC_TYPE_ERROR, f"JSON value of type {json_type_name(value)} for field {name} is not of "
                           f"expected type {expected}")
    if strict:
        for name in obj:
            if name not in fields:
                raise RPCError(RPC_TYPE_ERROR, f"Unexpected key {name}")


def amount_arg(value) -> int:
    """Duffs from a JSON amount, as Bitcoin's AmountFromValue (-3 with its message when it is not one)."""
    try:
        return from_value(value)
    except ValueError as e:
        raise RPCError(RPC_TYPE_ERROR, str(e)) from None


def parse_hex(value: str, name: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise RPCError(RPC_INVALID_PARAMETER, f"{name} must be hexadecimal string (not '{value}')") from None
