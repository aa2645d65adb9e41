"""dash-cli: send JSON-RPC calls to a dashd and print the result, as Dash's dash-cli does
(-named, -stdin, -stdinrpcpass, -rpcwait, -getinfo, -generate).

It starts often (tests run it in loops), so it imports little: a plain socket instead of
http.client, and none of the node's modules but the option parser.
"""

from __future__ import annotations

import binascii
import json
import os
import socket
import sys
import time
from decimal import Decimal

from .util.args import ArgsError, ArgsManager, CommandLineError, Option

# Dash's regtest base parameters (dashcore.chainparams holds the same; importing it costs the chain's code).
NETWORK = "regtest"
DEFAULT_RPC_PORT = 19898
DEFAULT_HTTP_CLIENT_TIMEOUT = 900
RPC_IN_WARMUP = -28
RPC_WALLET_NOT_SPECIFIED = -19
VERSION = "v23.1.2 (dashcore python)"

USAGE = (f"Dash Core RPC client version {VERSION}\n\n"
         "Usage:  dash-cli [options] <command> [params]  Send command to Dash Core\n"
         "or:     dash-cli [options] -named <command> [name=value]...  Send command to Dash Core (with named arguments)\n"
         "or:     dash-cli [options] help                List commands\n"
         "or:     dash-cli [options] help <command>      Get help for a command")

OPTIONS = [
    Option("help", "Print this help message and exit"),
    Option("version", "Print version and exit"),
    Option("conf", "Specify configuration file. Relative paths will be prefixed by datadir location. (default: "
           "dash.conf)", "<file>"),
    Option("datadir", "Specify data directory", "<dir>"),
    Option("regtest", "Use the regression test chain (the only chain supported)"),
    Option("chain", "Use the chain <chain>; only regtest is supported", "<chain>"),
    Option("testnet", "Not supported: only regtest"),
    Option("devnet", "Not supported: only regtest", "<name>"),
    Option("generate", "Generate blocks, equivalent to RPC getnewaddress followed by RPC generatetoaddress. "
           "Optional positional integer arguments are number of blocks to generate (default: 1) and maximum "
           "iterations to try (default: 1000000). Example: dash-cli -generate 4 1000"),
    Option("getinfo", "Get general information from the remote server"),
    Option("color", "Color setting for CLI output (default: auto). Valid values: always, auto (add color codes "
           "when standard output is connected to a terminal), never.", "<when>"),
    Option("named", "Pass named instead of positional arguments (default: false)"),
    Option("rpcclienttimeout", "Timeout in seconds during HTTP requests, or 0 for no timeout. (default: 900)", "<n>"),
    Option("rpcconnect", "Send commands to node running on <ip> (default: 127.0.0.1)", "<ip>"),
    Option("rpccookiefile", "Location of the auth cookie. Relative paths will be prefixed by a net-specific "
           "datadir location. (default: data dir)", "<loc>"),
    Option("rpcpassword", "Password for JSON-RPC connections", "<pw>"),
    Option("rpcport", f"Connect to JSON-RPC on <port> (regtest default: {DEFAULT_RPC_PORT})", "<port>"),
    Option("rpcuser", "Username for JSON-RPC connections", "<user>"),
    Option("rpcwait", "Wait for RPC server to start"),
    Option("rpcwallet", "Send RPC for non-default wallet on RPC server (needs to exactly match corresponding "
           "-wallet option passed to dashd)", "<walletname>"),
    Option("rpcwaittimeout", "Timeout in seconds to wait for the RPC server to start, or 0 for no timeout. "
           "(default: 0)", "<n>"),
    Option("stdin", "Read extra arguments from standard input, one per line until EOF/Ctrl-D"),
    Option("stdinrpcpass", "Read RPC password from standard input as a single line. When combined with -stdin, "
           "the first line from standard input is used for the RPC password."),
    Option("printtoconsole", "Accepted for symmetry with dashd; no effect", hidden=True),
]

# The parameters dash-cli sends as JSON (all others as strings): method, then position:name of each.
_CONVERT_TEXT = """\
addconnection 2:v2transport
addmultisigaddress 0:nrequired 1:keys
addnode 2:v2transport
addpeeraddress 1:port 2:tried
combinepsbt 0:txs
combinerawtransaction 0:txs
converttopsbt 1:permitsigdata
createmultisig 0:nrequired 1:keys
createpsbt 0:inputs 1:outputs 2:locktime
createrawtransaction 0:inputs 1:outputs 2:locktime
createwallet 1:disable_private_keys 2:blank 4:avoid_reuse 5:descriptors 6:load_on_startup 7:external_signer
deriveaddresses 1:range
disconnectnode 1:nodeid
echojson 0:arg0 1:arg1 2:arg2 3:arg3 4:arg4 5:arg5 6:arg6 7:arg7 8:arg8 9:arg9
estimaterawfee 0:conf_target 1:threshold
estimatesmartfee 0:conf_target
finalizepsbt 1:extract
fundrawtransaction 1:options
generateblock 1:transactions
generatetoaddress 0:nblocks 2:maxtries
generatetodescriptor 0:num_blocks 2:maxtries
getaddressbalance 0:addresses
getaddressdeltas 0:addresses
getaddressmempool 0:addresses
getaddresstxids 0:addresses
getaddressutxos 0:addresses
getassetunlockstatuses 0:indexes 1:height
getbalance 1:minconf 2:addlocked 3:include_watchonly 4:avoid_reuse
getblock 1:verbosity 1:verbose
getblockfrompeer 1:peer_id
getblockhash 0:height
getblockhashes 0:high 1:low
getblockheader 1:verbose
getblockheaders 1:count 2:verbose
getblockstats 0:hash_or_height 1:stats
getblocktemplate 0:template_request
getchaintips 0:count 1:branchlen
getchaintxstats 0:nblocks
getislocks 0:txids
getmempoolancestors 1:verbose
getmempooldescendants 1:verbose
getmerkleblocks 2:count
getnetworkhashps 0:nblocks 1:height
getnodeaddresses 0:count
getrawmempool 0:verbose 1:mempool_sequence
getrawtransaction 1:verbose
getrawtransactionmulti 0:transactions 1:verbose
getreceivedbyaddress 1:minconf 2:addlocked 3:include_immature_coinbase
getreceivedbylabel 1:minconf 2:addlocked 3:include_immature_coinbase
getspecialtxes 1:type 2:count 3:skip 4:verbosity
getspentinfo 0:request
getsuperblockbudget 0:index
gettransaction 1:include_watchonly 2:verbose
gettxchainlocks 0:txids
gettxout 1:n 2:include_mempool
gettxoutproof 0:txids
gettxoutsetinfo 1:hash_or_height 2:use_index
gettxspendingprevout 0:outputs
importaddress 2:rescan 3:p2sh
importdescriptors 0:requests
importelectrumwallet 1:index
importmulti 0:requests 1:options
importprivkey 2:rescan
importpubkey 2:rescan
joinpsbts 0:txs
keypoolrefill 0:newsize
listaddressbalances 0:minamount
listdescriptors 0:private
listreceivedbyaddress 0:minconf 1:addlocked 2:include_empty 3:include_watchonly 5:include_immature_coinbase
listreceivedbylabel 0:minconf 1:addlocked 2:include_empty 3:include_watchonly 4:include_immature_coinbase
listsinceblock 1:target_confirmations 2:include_watchonly 3:include_removed
listtransactions 1:count 2:skip 3:include_watchonly
listunspent 0:minconf 1:maxconf 2:addresses 3:include_unsafe 4:query_options
loadwallet 1:load_on_startup
lockunspent 0:unlock 1:transactions 2:persistent
logging 0:include 1:exclude
mnauth 0:nodeId
mockscheduler 0:delta_time
prioritisetransaction 1:fee_delta
pruneblockchain 0:height
reconsiderblock 1:ignore_chainlocks
rescanblockchain 0:start_height 1:stop_height
restorewallet 2:load_on_startup
scantxoutset 1:scanobjects
send 0:outputs 1:conf_target 3:fee_rate 4:options
sendmany 1:amounts 2:minconf 3:addlocked 5:subtractfeefrom 6:use_is 7:use_cj 8:conf_target 10:fee_rate 11:verbose
sendmsgtopeer 0:peer_id
sendrawtransaction 1:maxfeerate 2:instantsend 3:bypasslimits
sendtoaddress 1:amount 4:subtractfeefromamount 5:use_is 6:use_cj 7:conf_target 9:avoid_reuse 10:fee_rate 11:verbose
setban 2:bantime 3:absolute
setcoinjoinamount 0:amount
setcoinjoinrounds 0:rounds
sethdseed 0:newkeypool
setmnthreadactive 0:state
setmocktime 0:timestamp
setnetworkactive 0:state
settxfee 0:amount
setwalletflag 1:value
signrawtransactionwithkey 1:privkeys 2:prevtxs
signrawtransactionwithwallet 1:prevtxs
simulaterawtransaction 0:rawtxs 1:options
sporkupdate 1:value
stop 0:wait
submitchainlock 2:blockHeight
submitpackage 0:package
testmempoolaccept 0:rawtxs 1:maxfeerate
unloadwallet 1:load_on_startup
upgradetohd 3:rescan
upgradewallet 0:version
utxoupdatepsbt 1:descriptors
verifychain 0:checklevel 1:nblocks
verifychainlock 2:blockHeight
verifyislock 3:maxHeight
voteraw 1:mn-collateral-tx-index 5:time
waitforblock 1:timeout
waitforblockheight 0:height 1:timeout
waitfornewblock 0:timeout
walletcreatefundedpsbt 0:inputs 1:outputs 2:locktime 3:options 4:bip32derivs
walletpassphrase 1:timeout 2:mixingonly
walletprocesspsbt 1:sign 3:bip32derivs 4:finalize
wipewallettxes 0:keep_confirmed
"""
CONVERT: dict[str, dict] = {}
for _line in _CONVERT_TEXT.splitlines():
    _method, *_params = _line.split()
    CONVERT[_method] = {p.partition(":")[2]: int(p.partition(":")[0]) for p in _params}


class CliError(Exception):
    """Shown on stderr as ``error: <message>``; the exit status is 1."""


class ConnectionFailed(CliError):
    """The server could not be reached (or is warming up): -rpcwait retries these."""


class _Pairs(list):
    """A JSON object as a list of (key, value), so a key may repeat (as UniValue's __pushKV allows)."""


def _parse_json(text: str):
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError:
        raise CliError(f"Error parsing JSON: {text}") from None


def _arg(value: str, as_json: bool):
    return _parse_json(value) if as_json else value


def convert_positional(method: str, raw: list[str]) -> list:
    positions = set(CONVERT.get(method, {}).values())
    return [_arg(v, i in positions) for i, v in enumerate(raw)]


def convert_named(method: str, raw: list[str]) -> _Pairs:
    """``name=value`` arguments (a later value replaces an earlier one in place); others go to ``args``."""
    names = CONVERT.get(method, {})
    positions = set(names.values())
    params = _Pairs()
    positional = []
    for item in raw:
        name, sep, value = item.partition("=")
        if not sep:
            positional.append(_arg(item, len(positional) in positions))
            continue
        converted = _arg(value, name in names)
        for i, (key, _) in enumerate(params):
            if key == name:
                params[i] = (name, converted)
                break
        else:
            params.append((name, converted))
    if positional:
        params.append(("args", positional))
    return params


def to_json(value, indent: int | None = None, level: int = 0) -> str:
    """JSON as dashd writes it: Decimal exact, keys in order (and repeated if given so)."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    pad = "" if indent is None else "\n" + " " * (indent * level)
    inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
    colon = ":" if indent is None else ": "
    if isinstance(value, (dict, _Pairs)):
        items = value.items() if isinstance(value, dict) else value
        body = ",".join(f"{inner}{json.dumps(str(k), ensure_ascii=False)}{colon}{to_json(v, indent, level + 1)}"
                        for k, v in items)
        return "{" + body + (pad if body else "") + "}"
    if isinstance(value, (list, tuple)):
        body = ",".join(inner + to_json(v, indent, level + 1) for v in value)
        return "[" + body + (pad if body else "") + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _text(value) -> str:
    """UniValue's getValStr: a string as is, anything else as its JSON."""
    return value if isinstance(value, str) else to_json(value)


class Client:
    """One HTTP request per call (Connection: close), as dash-cli makes them."""

    def __init__(self, args: ArgsManager, net_dir: str, password: str | None):
        self.args = args
        host, port = args.get("rpcconnect", "127.0.0.1"), DEFAULT_RPC_PORT
        if host.startswith("["):
            h, _, rest = host[1:].partition("]")
            host, port = h, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else port
        elif host.count(":") == 1 and host.rpartition(":")[2].isdigit():
            host, _, p = host.rpartition(":")
            port = int(p)
        self.host, self.port = host, args.get_int("rpcport", port)
        timeout = args.get_int("rpcclienttimeout", DEFAULT_HTTP_CLIENT_TIMEOUT)
        self.timeout = timeout if timeout > 0 else None
        self.password = args.get("rpcpassword") if password is None else password
        self.cookie_path = os.path.join(net_dir, args.get("rpccookiefile") or ".cookie")
        self.cookie_missing = False
        self.config_path = args.config_path or os.path.join(os.path.dirname(net_dir), "dash.conf")

    def call(self, request, wallet: str | None = None):
        """Send one request object (or batch); the parsed reply. Waits as -rpcwait asks."""
        wait = self.args.get_bool("rpcwait")
        timeout = self.args.get_int("rpcwaittimeout", 0)
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = self._post(request, wallet)
                if wait and isinstance(reply, dict) and isinstance(reply.get("error"), dict) \
                        and reply["error"].get("code") == RPC_IN_WARMUP:
                    raise ConnectionFailed("server in warmup")
                return reply
            except ConnectionFailed as e:
                if wait and (timeout <= 0 or time.monotonic() < deadline):
                    time.sleep(1)
                    continue
                raise ConnectionFailed(f"timeout on transient error: {e}") from None

    def _credentials(self) -> str:
        """user:password, from the options or else from the cookie file (read afresh: -rpcwait may outlast a node)."""
        if self.password:
            return f"{self.args.get('rpcuser')}:{self.password}"
        try:
            with open(self.cookie_path, encoding="utf-8") as f:
                self.cookie_missing = False
                return f.readline().rstrip("\n")
        except OSError:
            self.cookie_missing = True
            return ""

    def _post(self, request, wallet: str | None):
        path = "/" if wallet is None else "/wallet/" + _uri_encode(wallet)
        body = (to_json(request) + "\n").encode()
        token = binascii.b2a_base64(self._credentials().encode(), newline=False).decode()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nAuthorization: Basic {token}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                sock.sendall(head + body)
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
        except OSError:
            data = b""
        status, reply = _parse_response(data)
        if status == 0:
            raise ConnectionFailed(f"Could not connect to the server {self.host}:{self.port}\n\n"
                                   "Make sure the dashd server is running and that you are connecting to the "
                                   "correct RPC port.\nUse \"dash-cli -help\" for more info.")
        if status == 401:
            if self.cookie_missing:
                raise CliError("Could not locate RPC credentials. No authentication cookie could be found, and RPC "
                               "password is not set.  See -rpcpassword and -stdinrpcpass.  Configuration file: "
                               f"({self.config_path})")
            raise CliError("Authorization failed: Incorrect rpcuser or rpcpassword")
        if status == 503:
            raise CliError(f"Server response: {reply.decode('utf-8', 'replace')}")
        if status >= 400 and status not in (400, 404, 500):
            raise CliError(f"server returned HTTP error {status}")
        if not reply:
            raise CliError("no response from server")
        try:
            return json.loads(reply, parse_float=Decimal)
        except ValueError:
            raise CliError("couldn't parse reply from server") from None


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _uri_encode(text: str) -> str:
    """evhttp_uriencode: every byte but the unreserved ones as %XX."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode())


def _parse_response(data: bytes) -> tuple[int, bytes]:
    """(status, body) of a raw HTTP response; status 0 when there is none."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return 0, b""
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return 0, b""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            body = body[:int(value)]
    return status, body


def _request(method: str, params, req_id: int = 1) -> dict:
    return {"method": method, "params": params, "id": req_id}


def _error_text(error) -> tuple[str, int]:
    """dash-cli's stderr text for an RPC error, and the exit status."""
    if not isinstance(error, dict):
        return "error: " + to_json(error), 1
    text = ""
    code = error.get("code")
    if code is not None:
        text = f"error code: {_text(code)}\n"
    if isinstance(error.get("message"), str):
        text += "error message:\n" + error["message"]
    if code == RPC_WALLET_NOT_SPECIFIED:
        text += "\nTry adding \"-rpcwallet=<filename>\" option to dash-cli command line."
    return text, abs(code) if isinstance(code, int) else 1


def _getinfo(client: Client, args: ArgsManager, wallet: str | None, raw: list[str]):
    if raw:
        raise CliError("-getinfo takes no arguments")
    batch = [_request(m, [], i) for i, m in enumerate(("getnetworkinfo", "getblockchaininfo", "getwalletinfo",
                                                       "getbalances"))]
    replies = client.call(batch, wallet)
    if not isinstance(replies, list) or len(replies) != 4:
        raise CliError("Batch must be an array with 4 replies")
    by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
    network, chain, walletinfo, balances = (by_id.get(i, {}) for i in range(4))
    for reply in (network, chain):
        if reply.get("error") is not None:
            return reply
    net, bc = network["result"], chain["result"]
    info: dict = {"version": net["version"], "blocks": bc["blocks"], "headers": bc["headers"],
                  "verificationprogress": bc["verificationprogress"], "timeoffset": net["timeoffset"],
                  "connections": {"in": net.get("connections_in"), "out": net.get("connections_out"),
                                  "total": net.get("connections"), "mn_in": net.get("connections_mn_in"),
                                  "mn_out": net.get("connections_mn_out"), "mn_total": net.get("connections_mn")},
                  "networks": net.get("networks", []), "difficulty": bc["difficulty"], "chain": bc["chain"]}
    w = walletinfo.get("result")
    if w is not None:
        info.update({"coinjoin_balance": w.get("coinjoin_balance"), "has_wallet": True,
                     "keypoolsize": w.get("keypoolsize"), "walletname": w.get("walletname")})
        if w.get("unlocked_until") is not None:
            info["unlocked_until"] = w["unlocked_until"]
        info["paytxfee"] = w.get("paytxfee")
    if balances.get("result") is not None:
        info["balance"] = balances["result"]["mine"]["trusted"]
    info["relayfee"] = net.get("relayfee")
    info["warnings"] = net.get("warnings", "")
    if wallet is None:
        wallets = client.call(_request("listwallets", []))
        if wallets.get("error") is None and len(wallets.get("result") or []) > 1:
            info["balances"] = {name: client.call(_request("getbalances", []), name)["result"]["mine"]["trusted"]
                                for name in wallets["result"]}
    return {"result": _getinfo_text(info, args), "error": None, "id": 1}


def _getinfo_text(info: dict, args: ArgsManager) -> str:
    colorize = sys.stdout.isatty()
    if args.is_set("color"):
        color = args.get("color")
        if color not in ("always", "auto", "never"):
            raise CliError("Invalid value for -color option. Valid values: always, auto, never.")
        colorize = colorize if color == "auto" else color == "always"
    reset, green, blue, yellow, magenta, cyan = (("\x1b[0m", "\x1b[32m", "\x1b[34m", "\x1b[33m", "\x1b[35m",
                                                 "\x1b[36m") if colorize else ("",) * 6)
    progress = Decimal(str(info["verificationprogress"]))
    bar = ""
    if progress < Decimal("0.99"):
        step = Decimal("0.05")
        bar = "\u2592" * int(-(-progress // step)) + "\u2591" * int(-(-(1 - progress) // step)) + " "
    c = info["connections"]
    out = [f"{blue}Chain: {info['chain']}{reset}", f"Blocks: {_text(info['blocks'])}",
           f"Headers: {_text(info['headers'])}", f"Verification progress: {bar}{progress * 100:.4f}%",
           f"Difficulty: {_text(info['difficulty'])}", "",
           f"{green}Network: in {_text(c['in'])}, out {_text(c['out'])}, total {_text(c['total'])}, "
           f"mn_in {_text(c['mn_in'])}, mn_out {_text(c['mn_out'])}, mn_total {_text(c['mn_total'])}{reset}",
           f"Version: {_text(info['version'])}", f"Time offset (s): {_text(info['timeoffset'])}"]
    proxies: dict[str, list[str]] = {}
    for network in info["networks"]:
        if network.get("proxy"):
            proxies.setdefault(network["proxy"], []).append(network.get("name", ""))
    shown = ", ".join(f"{proxy} ({', '.join(names)})" for proxy, names in proxies.items())
    out += [f"Proxies: {shown or 'n/a'}", f"Min tx relay fee rate (DASH/kB): {_text(info['relayfee'])}", ""]
    if "has_wallet" in info:
        name = info["walletname"] or '""'
        out += [f"{magenta}Wallet: {name}{reset}", f"{cyan}CoinJoin balance:{reset} {_text(info['coinjoin_balance'])}",
                f"Keypool size: {_text(info['keypoolsize'])}"]
        if "unlocked_until" in info:
            out.append(f"Unlocked until: {_text(info['unlocked_until'])}")
        out += [f"Transaction fee rate (-paytxfee) (DASH/kB): {_text(info['paytxfee'])}", ""]
    if "balance" in info:
        out += [f"{cyan}Balance:{reset} {_text(info['balance'])}", ""]
    if "balances" in info:
        out.append(f"{cyan}Balances{reset}")
        width = max([10] + [len(_text(b)) for b in info["balances"].values()])
        out += [f"{_text(b):>{width}} {name or chr(34) * 2}" for name, b in info["balances"].items()]
        out.append("")
    out.append(f"{yellow}Warnings:{reset} {info['warnings'] or '(none)'}")
    return "\n".join(out)


def _generate(client: Client, wallet: str | None, raw: list[str]):
    new = client.call(_request("getnewaddress", []), wallet)
    if new.get("error") is not None:
        return new
    if len(raw) > 2:
        raise CliError("too many arguments (maximum 2 for nblocks and maxtries)")
    if not raw:
        raw = ["1"]
    elif raw[0] == "0":
        raise CliError("the first argument (number of blocks to generate, default: 1) must be an integer value "
                       "greater than zero")
    address = new["result"]
    params = convert_positional("generatetoaddress", [raw[0], address, *raw[1:]])
    reply = client.call(_request("generatetoaddress", params), wallet)
    if reply.get("error") is not None:
        return reply
    return {"result": {"address": address, "blocks": reply.get("result")}, "error": None, "id": 1}


def run(argv: list[str], stdin) -> tuple[str, str, int]:
    """(stdout text, stderr text, exit status) of one dash-cli run."""
    args = ArgsManager(OPTIONS)
    try:
        args.parse_command_line(argv, allow_positional=True)
    except CommandLineError as e:
        return "", f"Error parsing command line arguments: {e.detail}\n", 1
    if not argv or args.get_bool("help") or args.is_set("version"):
        if args.is_set("version"):
            return f"Dash Core RPC client version {VERSION}\n", "", 0
        return args.help_text(USAGE) + "\n", "" if argv else "Error: too few parameters\n", 0 if argv else 1
    try:
        datadir = args.datadir()
        args.read_config_file(datadir)
        args.select_chain()
    except ArgsError as e:
        return "", f"{e}\n", 1
    try:
        raw = list(args.positional)
        password = None
        lines = iter(stdin.read().splitlines()) if args.get_bool("stdinrpcpass") or args.get_bool("stdin") else None
        if args.get_bool("stdinrpcpass"):
            password = next(lines, None)
            if password is None:
                raise CliError("-stdinrpcpass specified but failed to read from standard input")
        if args.get_bool("stdin"):
            raw += list(lines)
        client = Client(args, os.path.join(datadir, NETWORK), password)
        wallet = args.get("rpcwallet") if args.is_set("rpcwallet") else None
        if args.is_set("getinfo"):
            reply = _getinfo(client, args, wallet, raw)
        elif args.get_bool("generate"):
            reply = _generate(client, wallet, raw)
        else:
            if not raw:
                raise CliError("too few parameters (need at least command)")
            method, raw = raw[0], raw[1:]
            params = convert_named(method, raw) if args.get_bool("named") else convert_positional(method, raw)
            reply = client.call(_request(method, params), wallet)
    except CliError as e:
        return "", f"error: {e}\n", 1
    if not isinstance(reply, dict):
        return "", "error: expected reply to have result, error and id properties\n", 1
    error = reply.get("error")
    if error is not None:
        text, code = _error_text(error)
        return "", text + "\n", code
    result = reply.get("result")
    if result is None:
        return "", "", 0
    return (result if isinstance(result, str) else to_json(result, indent=2)) + "\n", "", 0


def main(argv: list[str] | None = None) -> int:
    try:
        out, err, code = run(sys.argv[1:] if argv is None else argv, sys.stdin)
    except KeyboardInterrupt:
        return 1
    sys.stdout.write(out)
    sys.stdout.flush()
    sys.stderr.write(err)
    return code


if __name__ == "__main__":
    sys.exit(main())
