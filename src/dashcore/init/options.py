"""The options of dashd (and later dash-node / dash-wallet), with their -help text."""

from __future__ import annotations

from .. import chainparams
from ..util.args import Option

_SHOWN = [
    Option("?", "Print this help message and exit"),
    Option("help", "Print this help message and exit"),
    Option("version", "Print version and exit"),
    Option("conf", "Specify path to read-only configuration file. Relative paths are prefixed by datadir "
           "location (default: dash.conf)", "<file>"),
    Option("datadir", "Specify data directory (it must exist)", "<dir>"),
    Option("regtest", "Use the regression test chain (the only chain supported)"),
    Option("chain", "Use the chain <chain>; only regtest is supported", "<chain>"),
    Option("testnet", "Not supported: only regtest"),
    Option("devnet", "Not supported: only regtest", "<name>"),
    Option("printtoconsole", "Send trace/debug info to console (default: 0)"),
    Option("debug", "Output debug logging; -debug=ipc logs each IPC request and response", "<category>"),
    Option("debugexclude", "Exclude debug logging for a category", "<category>"),
    Option("logtimemicros", "Add microsecond precision to debug timestamps"),
    Option("logthreadnames", "Prepend debug output with name of the originating thread"),
    Option("server", "Accept JSON-RPC commands (default: 1)"),
    Option("rpcport", f"Listen for JSON-RPC connections on <port> (default: {chainparams.DEFAULT_RPC_PORT})", "<port>"),
    Option("rpcbind", "Bind to given address to listen for JSON-RPC connections (needs -rpcallowip)", "<addr>[:port]"),
    Option("rpcallowip", "Allow JSON-RPC connections from specified source", "<ip>"),
    Option("rpcuser", "Username for JSON-RPC connections", "<user>"),
    Option("rpcpassword", "Password for JSON-RPC connections (without it a cookie file regtest/.cookie is used)", "<pw>"),
    Option("rpcauth", "Username and HMAC-SHA-256 hashed password for JSON-RPC connections", "<userpw>"),
    Option("rpcwhitelist", "Set a whitelist to filter incoming RPC calls for a specific user: <USERNAME>:<rpc 1>,"
           "<rpc 2>,...", "<whitelist>"),
    Option("rpcwhitelistdefault", "Sets default behavior for rpc whitelisting (default: 1 when any -rpcwhitelist "
           "is set)"),
    Option("rpcexternaluser", "List of comma-separated usernames for JSON-RPC external connections", "<users>"),
    Option("rpcexternalworkqueue", "Set the depth of the work queue to service external RPC calls (default: 16)",
           "<n>"),
    Option("rpccookiefile", "Location of the auth cookie. Relative paths are prefixed by the net-specific "
           "datadir location (default: data dir)", "<loc>"),
    Option("mocktime", "Replace actual time with <n> seconds since epoch (default: 0)", "<n>"),
    Option("disablewallet", "Do not load the wallet and disable wallet RPC calls"),
    Option("wallet", "Specify wallet path to load at startup (created if missing). Can be used multiple times", "<path>"),
    Option("walletdir", "Specify directory to hold wallets (default: <datadir>/regtest/wallets if it exists, "
           "otherwise <datadir>/regtest)", "<dir>"),
    Option("keypool", "Set key pool size to <n> (default: 1000)", "<n>"),
    Option("fallbackfee", "A fee rate (in DASH/kB) that will be used when fee estimation has insufficient data; "
           "regtest has no fee estimation, so the wallet pays it unless -paytxfee is set (default: 0.00001 DASH/kB)",
           "<amt>"),
    Option("paytxfee", "Fee rate (in DASH/kB) to add to transactions you send (default: 0.00 DASH/kB: "
           "-fallbackfee)", "<amt>"),
    Option("uacomment", "Append comment to the user agent string", "<cmt>"),
]

# Options Dash Core's test framework and config files pass, accepted and not listed by -help (Dash lists most only
# with -help-debug). Most have no effect here; -maxtipage, -sysperms, -mempoolexpiry and -persistmempool do.
_HIDDEN = ["port", "bind", "rpcdoccheck", "discover", "dnsseed", "fixedseeds", "listenonion", "peertimeout",
           "upnp", "natpmp", "shrinkdebugfile", "tinyblk", "unsafesqlitesync", "connect", "listen", "addnode",
           "logsourcelocations", "loglevel", "v2transport", "createwalletbackups", "whitelist", "checkblocks",
           "checklevel", "txindex", "maxtipage", "acceptnonstdtxn", "dustrelayfee", "minrelaytxfee", "blockmaxsize",
           "persistmempool", "rpcservertimeout", "rpcthreads", "rpcworkqueue", "deprecatedrpc", "logips",
           "logtimestamps", "spendzeroconfchange", "walletbroadcast", "walletrbf", "maxtxfee", "timeout", "pid",
           "daemon", "daemonwait", "sporkkey", "sporkaddr", "llmqtestparams", "dip3params", "budgetparams",
           "vbparams", "maxconnections", "noconnect", "usehd", "debuglogfile", "capturemessages", "alertnotify",
           "blocknotify", "walletnotify", "zmqpubhashblock", "zmqpubhashtx", "zmqpubrawblock", "zmqpubrawtx",
           "assumevalid", "reindex", "reindex-chainstate", "prune", "dbcache", "par", "checkmempool",
           "checkblockindex", "limitancestorcount", "limitdescendantcount", "datacarrier", "datacarriersize",
           "permitbaremultisig", "blockfilterindex", "coinstatsindex", "addressindex", "spentindex",
           "timestampindex", "masternodeblsprivkey", "pushversion", "rpcwaittimeout", "stopatheight",
           "stopafterblockimport", "test", "mempoolexpiry", "maxmempool", "incrementalrelayfee", "txconfirmtarget",
           "blocksonly", "seednode", "proxy", "onion", "onlynet", "externalip", "dashcore-only", "sysperms",
           "settings", "includeconf",
           "bantime", "peerbloomfilters", "mintxfee", "walletrejectlongchains", "rescan", "discardfee",
           "avoidpartialspends", "whitebind", "whitelistrelay", "whitelistforcerelay"]

# The P2P network's options (node.net), shown by the node executables; the wallet accepts them hidden.
_NET = [Option("port", f"Listen for connections on <port> (default: {chainparams.DEFAULT_PORT})", "<port>"),
        Option("bind", "Bind to given address and always listen on it (default: 0.0.0.0)", "<addr>[:<port>]"),
        Option("listen", "Accept connections from outside (default: 1 if no -connect)"),
        Option("connect", "Connect only to the specified node(s); -connect=0 disables automatic connections", "<ip>"),
        Option("addnode", "Add a node to connect to and attempt to keep the connection open", "<ip>"),
        Option("maxconnections", "Maintain at most <n> connections to peers (default: 125)", "<n>"),
        Option("bantime", "Default duration (in seconds) of manually configured bans (default: 86400)", "<n>"),
        Option("peerbloomfilters", "Tolerate bloom filter messages (not applied here) and answer mempool requests "
               "(default: 1); with 0, peers that send them are disconnected as Dash does"),
        Option("peertimeout", "Seconds a peer may take to complete the version handshake (default: 60)", "<n>"),
        Option("whitebind", "Bind to the given address and add permission flags to the peers connecting to it "
               "(port required)", "<[permissions@]addr>"),
        Option("whitelistrelay", "Add 'relay' permission to whitelisted peers with default permissions (default: 1)"),
        Option("whitelistforcerelay", "Add 'forcerelay' permission to whitelisted peers with default permissions "
               "(default: 0)"),
        Option("whitelist", "Add permission flags to the peers connecting from the given IP address or subnet "
               "(noban, relay, mempool, download, ...)", "<[permissions@]IP address or network>")]
DASHD_OPTIONS = _SHOWN + _NET + [Option(n, hidden=True) for n in _HIDDEN if n not in {o.name for o in _NET}]

_IPC_BIND = Option("ipcbind", "Listen for IPC connections from other processes (a dash-wallet started with "
                   "-ipcconnect); unix alone is <datadir>/regtest/node.sock. Socket mode 0600",
                   "unix[:<path>]")
_IPC_FD = Option("ipcfd", "Talk to the process that spawned this one over file descriptor <fd> (dash-node "
                 "spawns its wallet as dash-wallet -ipcfd <fd>); every other option then comes from that process",
                 "<fd>")
_IPC_CONNECT = Option("ipcconnect", "Connect to a dash-node started with -ipcbind; unix alone is "
                      "<datadir>/regtest/node.sock", "unix[:<path>]")

#: dash-node: everything dashd has, plus listening for other processes.
DASH_NODE_OPTIONS = DASHD_OPTIONS + [_IPC_BIND]

_WALLET_SHOWN = {"?", "help", "version", "conf", "datadir", "regtest", "chain", "testnet", "devnet", "printtoconsole",
                 "debug", "debugexclude", "logtimemicros", "logthreadnames", "rpcport", "rpcbind", "rpcallowip",
                 "rpcuser", "rpcpassword", "rpcauth", "mocktime", "wallet", "walletdir", "keypool", "fallbackfee",
                 "paytxfee"}

#: dash-wallet: the wallet's options, how to reach the node, and its own RPC server (-server).
DASH_WALLET_OPTIONS = ([o for o in _SHOWN if o.name in _WALLET_SHOWN]
                       + [Option("server", "Answer wallet JSON-RPC commands directly on -rpcport/-rpcbind "
                                 "(default: 0; dash-node answers them too)"),
                          _IPC_FD, _IPC_CONNECT]
                       + [Option(n, hidden=True) for n in _HIDDEN]
                       + [Option(n, hidden=True) for n in ("disablewallet", "uacomment", "ipcbind")])
