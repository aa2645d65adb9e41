"""dash-cli: send one JSON-RPC call to a dashd and print the result, as Dash's dash-cli does."""

from __future__ import annotations

import base64
import http.client
import os
import sys
import urllib.parse

from . import chainparams
from .rpc.util import dumps, dumps_pretty, loads
from .util.args import ArgsError, ArgsManager, Option

USAGE = ("Dash Core RPC client version v23.1.2 (dashcore python)\n\n"
         "Usage:  dash-cli [options] <command> [params]  Send command to Dash Core\n"
         "or:     dash-cli [options] -named <command> [name=value]...  Send command to Dash Core (with named arguments)\n"
         "or:     dash-cli [options] help  List commands\n"
         "or:     dash-cli [options] help <command>  Get help for a command")

OPTIONS = [
    Option("help", "Print this help message and exit"),
    Option("version", "Print version and exit"),
    Option("conf", "Specify configuration file. Relative paths are prefixed by datadir location (default: dash.conf)", "<file>"),
    Option("datadir", "Specify data directory", "<dir>"),
    Option("regtest", "Use the regression test chain (the only chain supported)"),
    Option("chain", "Use the chain <chain>; only regtest is supported", "<chain>"),
    Option("testnet", "Not supported: only regtest"),
    Option("devnet", "Not supported: only regtest", "<name>"),
    Option("named", "Pass named instead of positional arguments (default: false)"),
    Option("rpcconnect", "Send commands to node running on <ip> (default: 127.0.0.1)", "<ip>"),
    Option("rpcport", f"Connect to JSON-RPC on <port> (default: {chainparams.DEFAULT_RPC_PORT})", "<port>"),
    Option("rpcuser", "Username for JSON-RPC connections", "<user>"),
    Option("rpcpassword", "Password for JSON-RPC connections", "<pw>"),
    Option("rpcwallet", "Send RPC for non-default wallet on RPC server (needs to be the wallet name, not a path)", "<walletname>"),
    Option("rpcclienttimeout", "Timeout in seconds during HTTP requests, or 0 for no timeout (default: 900)", "<n>"),
    Option("stdin", "Read extra arguments from standard input, one per line until EOF/Ctrl-D"),
    Option("printtoconsole", "Accepted for symmetry with dashd; no effect", hidden=True),
    Option("rpcwait", "Wait for RPC server to start", hidden=True),
]

# Parameters that dash-cli sends as JSON (the rest as strings): Bitcoin's rpc/client.cpp table.
CONVERT = {
    "getblockhash": {0}, "getblock": {1}, "getblockheader": {1}, "generatetoaddress": {0, 2},
    "generatetodescriptor": {0, 2}, "generateblock": {1}, "getrawtransaction": {1}, "getrawmempool": {0, 1},
    "gettxout": {1, 2}, "sendrawtransaction": {1, 2, 3}, "sendtoaddress": {1, 4, 5, 6, 7, 9},
    "sendmany": {1, 2, 3, 5}, "getbalance": {1, 2, 3, 4}, "listtransactions": {1, 2, 3}, "listunspent": {0, 1, 2, 3, 4},
    "gettransaction": {1, 2}, "createwallet": {1, 2, 4, 5, 6, 7}, "loadwallet": {1}, "unloadwallet": {1},
    "setmocktime": {0}, "mockscheduler": {0}, "stop": {0}, "keypoolrefill": {0}, "importprivkey": {2},
    "echojson": set(range(10)), "logging": {0, 1},
}
CONVERT_NAMED = {"height", "verbosity", "verbose", "nblocks", "num_blocks", "maxtries", "transactions", "n",
                 "include_mempool", "maxfeerate", "amount", "subtractfeefromamount", "minconf", "maxconf", "count",
                 "skip", "include_watchonly", "disable_private_keys", "blank", "avoid_reuse", "descriptors",
                 "load_on_startup", "timestamp", "delta_time", "wait", "newsize", "rescan", "amounts", "addresses",
                 "include_unsafe", "query_options", "include", "exclude", "mempool_sequence", "instantsend",
                 "bypasslimits", "use_is", "use_cj", "conf_target", "addlocked"}


class CliError(Exception):
    """Shown on stderr; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.message = message
        self.code = code


def _convert(value: str, as_json: bool):
    if not as_json:
        return value
    try:
        return loads(value)
    except ValueError:
        raise CliError(f"Error parsing JSON: {value}") from None


def build_params(method: str, raw: list[str], named: bool):
    if not named:
        indices = CONVERT.get(method, set())
        return [_convert(v, i in indices or method == "echojson") for i, v in enumerate(raw)]
    params: dict = {}
    positional = []
    for item in raw:
        name, sep, value = item.partition("=")
        if not sep:
            positional.append(item)
            continue
        params[name] = _convert(value, name in CONVERT_NAMED or method == "echojson")
    if positional:
        params["args"] = positional
    return params


def _credentials(args: ArgsManager, datadir: str) -> tuple[str, str]:
    if args.get("rpcpassword"):
        return args.get("rpcuser"), args.get("rpcpassword")
    path = os.path.join(datadir, chainparams.NETWORK, ".cookie")
    try:
        with open(path, encoding="utf-8") as f:
            user, _, password = f.read().strip().partition(":")
    except OSError:
        raise CliError(f"error: Could not locate RPC credentials. No authentication cookie could be found, and RPC "
                       f"password is not set.  See -rpcpassword and -stdinrpcpass.  Configuration file: "
                       f"({os.path.join(datadir, 'dash.conf')})") from None
    return user, password


def call(args: ArgsManager, datadir: str, method: str, params) -> tuple[dict, int]:
    host = args.get("rpcconnect", "127.0.0.1")
    port = args.get_int("rpcport", chainparams.DEFAULT_RPC_PORT)
    user, password = _credentials(args, datadir)
    path = "/"
    if args.is_set("rpcwallet"):
        path = "/wallet/" + urllib.parse.quote(args.get("rpcwallet"), safe="")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    timeout = args.get_int("rpcclienttimeout", 900) or None
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", path, _json_body(method, params),
                     {"Authorization": f"Basic {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
    except (OSError, http.client.HTTPException):
        raise CliError(f"error: Could not connect to the server {host}:{port}\n\n"
                       "Make sure the dashd server is running and that you are connecting to the correct RPC port.") from None
    finally:
        conn.close()
    if response.status == 401:
        raise CliError("error: Authorization failed: Incorrect rpcuser or rpcpassword")
    if not data:
        raise CliError(f"error: no response from server (HTTP status {response.status})")
    try:
        return loads(data), response.status
    except ValueError:
        raise CliError(f"error: couldn't parse reply from server (HTTP status {response.status})") from None


def _json_body(method: str, params) -> str:
    return dumps({"method": method, "params": params, "id": 1})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = ArgsManager(OPTIONS)
        args.parse_command_line(argv, allow_positional=True)
        if args.get_bool("help") and not args.positional:
            sys.stdout.write(args.help_text(USAGE) + "\n")
            return 0
        if args.get_bool("version"):
            sys.stdout.write("Dash Core RPC client version v23.1.2 (dashcore python)\n")
            return 0
        datadir = args.datadir()
        args.read_config_file(datadir)
        args.select_chain()
        positional = list(args.positional)
        if args.get_bool("stdin"):
            positional += [line.rstrip("\n") for line in sys.stdin]
        if not positional:
            raise CliError("error: too few parameters (need at least command)")
        method, raw = positional[0], positional[1:]
        reply, _status = call(args, datadir, method, build_params(method, raw, args.get_bool("named")))
    except ArgsError as e:
        sys.stderr.write(str(e) + "\n")
        return 1
    except CliError as e:
        sys.stderr.write(e.message + "\n")
        return e.code
    except KeyboardInterrupt:
        return 1
    error = reply.get("error")
    if error:
        code = error.get("code", -1) if isinstance(error, dict) else -1
        message = error.get("message", "") if isinstance(error, dict) else str(error)
        sys.stderr.write(f"error code: {code}\nerror message:\n{message}\n")
        return abs(code) if code else 1
    result = reply.get("result")
    if result is None:
        return 0
    sys.stdout.write((result if isinstance(result, str) else dumps_pretty(result)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

