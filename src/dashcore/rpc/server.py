"""The RPC command table and the JSON-RPC protocol (no I/O: request text in, status and reply text out).

Commands come from the node itself and from chain clients through ``Chain.handle_rpc``;
the table knows nothing about which component serves a command. Until ``set_ready``
every call answers -28 (warming up) with the current init message.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from decimal import Decimal
from typing import Callable

from ..interfaces import CallbackHandler, Handler, RpcCommand, RpcReply, RpcRequest
from .util import (RPC_IN_WARMUP, RPC_INTERNAL_ERROR, RPC_INVALID_PARAMETER, RPC_INVALID_REQUEST,
                   RPC_METHOD_NOT_FOUND, RPC_PARSE_ERROR, RPCError, dumps)

log = logging.getLogger("dashcore.rpc")

HTTP_OK, HTTP_NO_CONTENT, HTTP_BAD_REQUEST, HTTP_FORBIDDEN, HTTP_NOT_FOUND, HTTP_INTERNAL = 200, 204, 400, 403, 404, 500

#: Whether a user may call a method: ``permit(method, params)``; None lets every call through.
Permit = Callable[[str, object], bool]


class Forbidden(Exception):
    """The user's -rpcwhitelist does not allow the call: HTTP 403 with no body."""


class RpcTable:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._commands: dict[str, list[RpcCommand]] = {}
        self._warmup_message = "Loading..."
        self._ready = False
        # Calls being executed (for getrpcinfo): id -> (method, start on the monotonic clock).
        self._active: dict[int, tuple[str, float]] = {}
        self._next_id = 0
        self._stopping = threading.Condition(self._lock)
        self._running = True

    # -- registration -------------------------------------------------------------------------

    def register(self, command: RpcCommand) -> Handler:
        with self._lock:
            self._commands.setdefault(command.name, []).append(command)

        def remove() -> None:
            with self._lock:
                entries = self._commands.get(command.name, [])
                if command in entries:
                    entries.remove(command)
                if not entries:
                    self._commands.pop(command.name, None)
        return CallbackHandler(remove)

    def set_warmup_message(self, message: str) -> None:
        self._warmup_message = message

    def set_ready(self) -> None:
        self._ready = True

    def commands(self) -> list[RpcCommand]:
        with self._lock:
            return [entries[-1] for entries in self._commands.values()]

    def find(self, name: str) -> RpcCommand | None:
        with self._lock:
            entries = self._commands.get(name)
            return entries[-1] if entries else None

    # -- running state --------------------------------------------------------------------------

    def active_commands(self) -> list[tuple[str, float]]:
        """(method, seconds running) of every call being executed, oldest first."""
        now = time.monotonic()
        with self._lock:
            return [(m, now - start) for m, start in self._active.values()]

    def interrupt(self) -> None:
        """The server is stopping: calls that wait for an event (waitfornewblock) return now."""
        with self._lock:
            self._running = False
            self._stopping.notify_all()

    def wait_while_running(self, done: Callable[[], bool], timeout: float | None, poll: float = 0.05) -> None:
        """Return once ``done()`` holds, ``timeout`` seconds have passed, or the server stops."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._running and not done():
            wait = poll if deadline is None else min(poll, deadline - time.monotonic())
            if wait <= 0:
                return
            with self._lock:
                if self._running:
                    self._stopping.wait(wait)

    # -- execution ----------------------------------------------------------------------------

    def execute(self, method: str, params, uri: str = "/", user: str = "") -> str:
        """Run one call; its result as JSON text, or RPCError."""
        if not self._ready:
            raise RPCError(RPC_IN_WARMUP, self._warmup_message)
        command = self.find(method)
        if command is None:
            raise RPCError(RPC_METHOD_NOT_FOUND, "Method not found")
        if isinstance(params, dict):
            params = transform_named(params, command.arg_names)
        with self._lock:
            call_id = self._next_id
            self._next_id += 1
            self._active[call_id] = (method, time.monotonic())
        try:
            reply: RpcReply = command.actor(RpcRequest(method, dumps(params), uri, user))
        except RPCError:
            raise
        except Exception as e:  # noqa: BLE001 - a bug in a command must reach the client as an error
            log.exception("RPC %s failed", method)
            raise RPCError(RPC_INTERNAL_ERROR, f"Internal error: {type(e).__name__}: {e}") from None
        finally:
            with self._lock:
                del self._active[call_id]
        if reply.error_code:
            raise RPCError(reply.error_code, reply.error_message)
        return reply.result_json

    def handle_http_body(self, body: bytes, uri: str, user: str,
                         permit: Permit | None = None) -> tuple[int, str | None]:
        """(HTTP status, reply text or None for no body) for one HTTP POST body.

        ``permit`` is the user's -rpcwhitelist: a call it refuses makes the whole request
        HTTP 403, as does a batch with any refused call in it.
        """
        try:
            request = parse_request(body)
        except (ValueError, UnicodeDecodeError):
            return HTTP_INTERNAL, _legacy_error(RPC_PARSE_ERROR, "Parse error", None)
        try:
            if isinstance(request, list):
                if permit is not None:
                    for item in request:
                        if not isinstance(item, dict):
                            return HTTP_BAD_REQUEST, _legacy_error(RPC_INVALID_REQUEST, "Invalid Request object", None)
                        _check_permit(permit, item)
                replies = [r for r in (self._handle_one(item, uri, user)[1] for item in request) if r is not None]
                return HTTP_OK, "[" + ",".join(replies) + "]"
            if permit is not None and isinstance(request, dict):
                _check_permit(permit, request)
        except Forbidden:
            log.info("RPC User %s not allowed to call method %s", user,
                     request.get("method") if isinstance(request, dict) else "(batch)")
            return HTTP_FORBIDDEN, None
        return self._handle_one(request, uri, user)

    def _handle_one(self, request, uri: str, user: str) -> tuple[int, str | None]:
        if not isinstance(request, dict):
            return HTTP_BAD_REQUEST, _legacy_error(RPC_INVALID_REQUEST, "Invalid Request object", None)
        req_id = request.get("id")
        v2 = False
        version = request.get("jsonrpc")
        try:
            if version is not None:
                if not isinstance(version, str):
                    raise RPCError(RPC_INVALID_REQUEST, "jsonrpc field must be a string")
                if version == "2.0":
                    v2 = True
                elif not version.startswith("1."):
                    raise RPCError(RPC_INVALID_REQUEST, "JSON-RPC version not supported")
            if "method" not in request:
                raise RPCError(RPC_INVALID_REQUEST, "Missing method")
            method = request["method"]
            if not isinstance(method, str):
                raise RPCError(RPC_INVALID_REQUEST, "Method must be a string")
            params = request.get("params")
            if params is None:
                params = []
            if not isinstance(params, (list, dict)):
                raise RPCError(RPC_INVALID_REQUEST, "Params must be an array or object")
            log.debug("ThreadRPCServer method=%s user=%s", method, user)
            result = self.execute(method, params, uri, user)
        except RPCError as e:
            if v2 and "id" not in request:
                return HTTP_NO_CONTENT, None
            if v2:
                return HTTP_OK, _v2_error(e.code, e.message, req_id)
            status = {RPC_INVALID_REQUEST: HTTP_BAD_REQUEST, RPC_METHOD_NOT_FOUND: HTTP_NOT_FOUND}.get(e.code,
                                                                                                    HTTP_INTERNAL)
            return status, _legacy_error(e.code, e.message, req_id)
        if v2 and "id" not in request:
            return HTTP_NO_CONTENT, None
        if v2:
            return HTTP_OK, '{"jsonrpc":"2.0","result":' + result + ',"id":' + dumps(req_id) + "}"
        return HTTP_OK, '{"result":' + result + ',"error":null,"id":' + dumps(req_id) + "}"


def _check_permit(permit: Permit, request: dict) -> None:
    method = request.get("method")
    if isinstance(method, str) and not permit(method, request.get("params")):
        raise Forbidden(method)


def _error_object(code: int, message: str) -> str:
    return '{"code":' + str(code) + ',"message":' + json.dumps(message, ensure_ascii=False) + "}"


def _legacy_error(code: int, message: str, req_id) -> str:
    return '{"result":null,"error":' + _error_object(code, message) + ',"id":' + dumps(req_id) + "}"


def _v2_error(code: int, message: str, req_id) -> str:
    return '{"jsonrpc":"2.0","error":' + _error_object(code, message) + ',"id":' + dumps(req_id) + "}"


class _Object(dict):
    """A JSON object as parsed from a request; ``duplicate`` is its first repeated key, if any."""

    duplicate: str | None = None


def _object(pairs: list) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set = set()
        obj.duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
    return obj


def parse_request(body: bytes | str):
    """A request body as JSON: amounts as Decimal, objects remembering a repeated key."""
    return json.loads(body, parse_float=Decimal, object_pairs_hook=_object)


def transform_named(named: dict, arg_names: list[str]) -> list:
    """Bitcoin's transformNamedArguments: named (and an ``args`` array) to positional, holes as null."""
    duplicate = getattr(named, "duplicate", None)
    if duplicate is not None:
        raise RPCError(RPC_INVALID_PARAMETER, f"Parameter {duplicate} specified multiple times")
    named = dict(named)
    out: list = []
    hole = 0
    initial_hole = 0
    for name in arg_names:
        alias = next((a for a in name.split("|") if a in named), None)
        if alias is not None:
            out.extend([None] * hole)
            hole = 0
            out.append(named.pop(alias))
        else:
            hole += 1
            if not out:
                initial_hole = hole
    positional = named.pop("args", None)
    if isinstance(positional, list):
        if initial_hole < len(positional) and initial_hole < len(arg_names):
            raise RPCError(RPC_INVALID_PARAMETER,
                           f"Parameter {arg_names[initial_hole]} specified twice both as positional and named argument")
        out = list(positional) + out[len(positional):]
    if named:
        raise RPCError(RPC_INVALID_PARAMETER, f"Unknown named parameter {next(iter(named))}")
    return out
