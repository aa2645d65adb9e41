"""dash-wallet: the wallet in a process of its own, reaching the node only through its Chain over mpipc.

Two ways to run:

- spawned by dash-node as ``dash-wallet -ipcfd N``: it serves its Init on that fd;
  the node constructs it with the node's options (``GlobalArgs``), then asks it for a
  WalletLoader over the node's Chain and drives it as dashd drives its in-process
  one. It exits when that connection ends (the node stopped, or died).
- standalone, ``-ipcconnect=unix[:path]`` to a node started with ``-ipcbind``: it gets
  the node's Chain from the node's Init and runs its wallets itself (wallet RPCs are
  registered with the node, and with ``-server`` answered on its own RPC port too),
  until ``stop``, a signal, or the node going away.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import mpipc

from .. import chainparams
from ..interfaces import Chain, Echo, Handler, Init, RpcCommand, WalletLoader
from ..ipc import process
from ..rpc import control
from ..rpc import http
from ..rpc.http import HttpRpcServer
from ..rpc.server import RpcTable
from ..util import log as logsetup
from ..util import time as clock
from ..util.args import ArgsError, ArgsManager
from ..wallet.context import WalletContext
from ..wallet.interfaces import WalletLoaderImpl
from .common import EchoImpl
from .options import DASH_WALLET_OPTIONS

PROCESS_NAME = "dash-wallet"
VERSION = "v23.1.2 (dashcore python)"
USAGE = (f"Dash Core wallet version {VERSION}\n\nUsage:  dash-wallet -ipcconnect=unix[:<path>] [options]    "
         "Run wallets for a dash-node started with -ipcbind\n"
         "        dash-wallet -ipcfd <fd>    (started by dash-node)")
CLEANUP_TIMEOUT = 10.0

log = logging.getLogger("dashcore.init")


class WalletInit(Init):
    """The wallet process's Init: the node's options come with ``construct``; the loader with the node's Chain."""

    def __init__(self, args: ArgsManager):
        self._args = args
        self._contexts: list[WalletContext] = []
        self._lock = threading.Lock()

    # -- construct: configure this process from the node's options --------------------------------------------

    def ipc_construct(self, global_args) -> None:
        process.load_global_args(self._args, global_args)
        configure(self._args)
        log.info("%s started by its parent (pid %d), data directory %s", PROCESS_NAME, os.getppid(),
                 net_dir_of(self._args))

    # -- Init ---------------------------------------------------------------------------------------------

    def make_echo(self) -> Echo:
        return EchoImpl()

    def make_wallet_loader(self, chain: Chain) -> WalletLoader:
        ctx = WalletContext(chain, self._args, net_dir_of(self._args))
        with self._lock:
            self._contexts.append(ctx)
        return WalletLoaderImpl(ctx)

    def unload_all(self) -> None:
        """Close every wallet still loaded (after the node went without stopping us)."""
        with self._lock:
            contexts = list(self._contexts)
        for ctx in contexts:
            for name in list(ctx.wallets):
                try:
                    ctx.unload(name, None)
                except Exception:  # noqa: BLE001 - close the others regardless
                    log.exception("closing wallet %r failed", name)


def net_dir_of(args: ArgsManager) -> str:
    return os.path.join(args.datadir(), chainparams.NETWORK)


def configure(args: ArgsManager) -> None:
    """Logging to the shared debug.log, and the clock, from the options."""
    os.makedirs(net_dir_of(args), exist_ok=True)
    logsetup.setup(os.path.join(net_dir_of(args), "debug.log"), print_to_console=args.get_bool("printtoconsole"),
                   micros=args.get_bool("logtimemicros"), thread_names=args.get_bool("logthreadnames"),
                   debug=args.get_list("debug"), process_name=PROCESS_NAME, name_lines=True)
    if args.is_set("mocktime"):
        clock.set_mock_time(args.get_int("mocktime", 0))


def _run_spawned(args: ArgsManager, argv: list[str]) -> int:
    """Serve the Init to the parent until the connection ends, then close the wallets and exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the node, which stops us in order
    init = WalletInit(args)
    try:
        connection = process.serve_fd(argv, process.init_server(init), f"{PROCESS_NAME}-{os.getpid()}")
    except mpipc.MpipcError as e:
        raise ArgsError(f"Error: -ipcfd: {e}") from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not connection.wait_closed(0.5) and not stop.is_set():
        pass
    log.info("connection to the node closed: shutting down")
    _finish(connection, init.unload_all)
    return 0


def _finish(connection: mpipc.Connection, cleanup) -> None:
    """Close the wallets and the connection within CLEANUP_TIMEOUT, whatever a stuck thread does."""
    def work() -> None:
        cleanup()
        connection.close()
    worker = threading.Thread(target=work, name="shutdown")
    worker.start()
    worker.join(CLEANUP_TIMEOUT)
    if worker.is_alive():
        log.error("shutdown did not finish in %.0f s: exiting anyway", CLEANUP_TIMEOUT)
    log.info("Shutdown: done")
    logsetup.shutdown()


class _RpcChain:
    """The node's Chain, registering wallet RPCs with this process's own RPC server as well (-server)."""

    def __init__(self, chain: Chain, table: RpcTable):
        self._chain = chain
        self._table = table

    def __getattr__(self, name: str):
        return getattr(self._chain, name)

    def handle_rpc(self, command: RpcCommand) -> Handler:
        remote = self._chain.handle_rpc(command)
        local = self._table.register(command)

        class Both(Handler):
            def disconnect(self) -> None:
                local.disconnect()
                remote.disconnect()
        return Both()


def _start_rpc(args: ArgsManager, table: RpcTable, net_dir: str) -> HttpRpcServer:
    """The wallet's own JSON-RPC server (-server), as the node starts its own; its cookie is .wallet.cookie (the
    server removes it when it stops)."""
    try:
        return http.start(args, table, net_dir, chainparams.DEFAULT_RPC_PORT, cookie_name=".wallet.cookie")
    except http.HttpStartError as e:
        raise ArgsError(str(e)) from None


class _ControlContext:
    """What ``help`` and ``stop`` of rpc.control need: the table and a shutdown event."""

    def __init__(self, table: RpcTable, shutdown: threading.Event):
        self.rpc = table
        self.shutdown = shutdown


def _run_connected(args: ArgsManager) -> int:
    """Standalone: connect to the node's -ipcbind socket and run the wallets until stopped."""
    net_dir = net_dir_of(args)
    if not os.path.isdir(net_dir):
        raise ArgsError(f"Error: {net_dir} does not exist: start the node first")
    configure(args)
    try:
        address = process.unix_address(args.get("ipcconnect"), net_dir)
        connection = mpipc.connect(address, name=f"{PROCESS_NAME}-{os.getpid()}")
    except mpipc.MpipcError as e:
        raise ArgsError(f"Error: -ipcconnect: {e}") from None
    log.info("%s connected to %s", PROCESS_NAME, address)
    shutdown = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: shutdown.set())
    signal.signal(signal.SIGINT, lambda *_: shutdown.set())
    server, loader = None, None
    try:
        node_init = process.init_client(connection, None)
        chain = node_init.make_chain()
        if chain is None:
            raise ArgsError("Error: the process at -ipcconnect offers no Chain")
        table = None
        if args.get_bool("server"):
            table = RpcTable()
            for m in control.table.methods:
                if m.name in ("help", "stop"):
                    table.register(m.command(_ControlContext(table, shutdown)))
            chain = _RpcChain(chain, table)
            server = _start_rpc(args, table, net_dir)
        loader = WalletLoaderImpl(WalletContext(chain, args, net_dir))
        loader.register_rpcs()
        if not loader.verify():
            raise ArgsError("Error: wallet verification failed")
        loader.load()
        loader.start()
        if table is not None:
            table.set_ready()
        log.info("init message: Done loading")
        watcher = threading.Thread(target=lambda: (connection.wait_closed(), shutdown.set()), name="ipc-watch",
                                   daemon=True)
        watcher.start()
        shutdown.wait()
        log.info("Shutdown: In progress...")
    except mpipc.Disconnected as e:
        log.error("the node went away during start-up: %s", e)
    finally:
        if server is not None:
            server.stop()
        stopping = loader

        def cleanup() -> None:
            if stopping is not None:
                try:
                    stopping.stop()
                except mpipc.MpipcError as e:
                    log.info("stopping the wallets: %s", e)
        _finish(connection, cleanup)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    mpipc.set_process_name(PROCESS_NAME)
    try:
        args = ArgsManager(DASH_WALLET_OPTIONS)
        if argv and (argv[0] == "-ipcfd" and len(argv) == 2 or argv[0].startswith("-ipcfd=") and len(argv) == 1):
            os._exit(_run_spawned(args, argv))  # no interpreter teardown: nothing may reach the node's stderr
        args.parse_command_line(argv)
        if args.get_bool("help") or args.is_set("?"):
            sys.stdout.write(args.help_text(USAGE) + "\n")
            return 0
        if args.get_bool("version"):
            sys.stdout.write(f"Dash Core wallet version {VERSION}\n")
            return 0
        if args.is_set("ipcfd"):
            raise ArgsError("Error: -ipcfd <fd> is given alone, by the dash-node that spawns this process")
        if args.is_set("ipcconnect"):
            args.read_config_file(args.datadir())
            args.select_chain()
            code = _run_connected(args)
        else:
            raise ArgsError("Error: dash-wallet needs -ipcconnect=unix[:<path>] (a dash-node started with -ipcbind); "
                            "-ipcfd is for dash-node")
    except ArgsError as e:
        sys.stderr.write(str(e).rstrip("\n") + "\n")
        sys.stderr.flush()
        return 1
    sys.stdout.flush()
    os._exit(code)  # no interpreter teardown: nothing may reach the node's stderr after this


if __name__ == "__main__":
    sys.exit(main())
