"""The node's life: start-up (data directory, logging, chain, RPC, chain clients), waiting, shutdown.

The node reaches its chain clients (the wallet loader) only through ``Init`` and the
``ChainClient`` interface, so the same code runs with the wallet in this process or in
another one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
from typing import Callable

from .. import chainparams
from ..interfaces import Init
from ..rpc import (blockchain, blockwait, control, http, mining, net as rpc_net, output_script, rawtransaction,
                   signmessage, txoutproof)
from ..rpc.http import HttpRpcServer
from ..rpc.server import RpcTable
from ..util import log as logsetup
from ..util import time as clock
from ..util.args import ArgsError, ArgsManager
from . import mempool_file, net
from .context import NodeContext
from .settings import FILENAME as SETTINGS_FILE, Settings, SettingsError, settings_path
from .signals import ValidationSignals
from .storage import StorageError
from .validation import Chainstate

log = logging.getLogger("dashcore.init")

CLIENT_NAME = "Dash Core"
CLIENT_VERSION = "v23.1.2 (dashcore python)"


class InitError(Exception):
    """A fatal start-up error: the message goes to stderr and the process exits 1."""


def _lock_datadir(net_dir: str):
    path = os.path.join(net_dir, ".lock")
    f = open(path, "a")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise InitError(f"Error: Cannot obtain a lock on data directory {net_dir}. "
                        f"{CLIENT_NAME} is probably already running.") from None
    return f


def run(args: ArgsManager, make_init: Callable[[NodeContext], Init], process_name: str,
        name_lines: bool = False, on_init_message: Callable[[str], None] | None = None,
        on_ready: Callable[[NodeContext], None] | None = None) -> int:
    """Run the node until ``stop`` or a signal. Raises InitError (or ArgsError) before it is up.

    The Init may own other processes: if it has ``close()``, that is called once the chain
    clients have stopped, before the chain state is closed. For a GUI: ``on_init_message``
    hears each start-up step as the RPC warm-up message changes, ``on_ready`` is called once
    RPCs are answered; a GUI runs the node in another thread, where SIGTERM/SIGINT are its own.
    """
    datadir = args.datadir()
    net_dir = os.path.join(datadir, chainparams.NETWORK)
    if not args.get_bool("sysperms"):
        os.umask(0o077)  # as dashd: what the node writes is its user's alone
    if not os.path.isdir(net_dir):
        os.makedirs(os.path.join(net_dir, "wallets"))
    lock = _lock_datadir(net_dir)
    logsetup.setup(os.path.join(net_dir, "debug.log"), print_to_console=args.get_bool("printtoconsole"),
                   micros=args.get_bool("logtimemicros"), thread_names=args.get_bool("logthreadnames"),
                   debug=args.get_list("debug"), process_name=process_name, name_lines=name_lines)
    log.info("%s version %s (%s, pid %d)", CLIENT_NAME, CLIENT_VERSION, process_name, os.getpid())
    log.info("Using data directory %s", net_dir)
    if args.config_path:
        log.info("Config file: %s", args.config_path)
    for key in args.unknown_config:
        log.warning("Ignoring unknown configuration value %s", key)
    if args.is_set("mocktime"):
        clock.set_mock_time(args.get_int("mocktime", 0))
    try:
        net.user_agent(args.get_list("uacomment"))
    except ValueError as e:
        raise InitError(str(e)) from None

    shutdown = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: shutdown.set())
        signal.signal(signal.SIGINT, lambda *_: shutdown.set())

    signals = ValidationSignals()
    server = None
    chainstate = None
    init = None
    ctx = None
    clients = []
    cookie_path = os.path.join(net_dir, ".cookie")
    try:
        try:
            settings = Settings(settings_path(args.get("settings", SETTINGS_FILE), net_dir), args.known)
            for line in args.log_lines():
                log.info("%s", line)
            chainstate = Chainstate(os.path.join(net_dir, "blocks"), os.path.join(net_dir, "chainstate"), signals)
            chainstate.max_tip_age = args.get_int("maxtipage", chainstate.max_tip_age)
            chainstate.mempool_expiry = args.get_int("mempoolexpiry", chainstate.mempool_expiry // 3600) * 3600
        except (SettingsError, StorageError) as e:
            raise InitError(str(e)) from None
        table = RpcTable()
        ctx = NodeContext(args, net_dir, chainstate, signals, table, settings, shutdown=shutdown)
        if on_init_message is not None:
            table.set_warmup_message = _then(table.set_warmup_message, on_init_message)  # type: ignore[method-assign]
        if on_ready is not None:
            node_ctx = ctx
            table.set_ready = _then(table.set_ready, lambda: on_ready(node_ctx))  # type: ignore[method-assign]
        for module in (blockchain, blockwait, control, mining, output_script, rawtransaction, rpc_net, signmessage,
                       txoutproof):
            for m in module.table.methods:
                table.register(m.command(ctx))

        if args.get_bool("server", True):
            server = _start_rpc(args, table, net_dir)
        table.set_warmup_message("Loading block index...")
        try:
            chainstate.load()
        except StorageError as e:
            raise InitError(f"Error: Error loading block database: {e}") from None
        # before the wallets load: they take the mempool's transactions as they attach, then resend their own
        if args.get_bool("persistmempool", True):
            mempool_file.load(chainstate, os.path.join(net_dir, mempool_file.FILENAME))
        chainstate.mempool.loaded = True

        init = make_init(ctx)
        if not args.get_bool("disablewallet"):
            chain = init.make_chain()
            loader = init.make_wallet_loader(chain) if chain is not None else None
            if loader is not None:
                clients.append(loader)
                ctx.chain_clients.append(loader)
                loader.register_rpcs()
                table.set_warmup_message("Verifying wallet(s)...")
                if not loader.verify():
                    raise InitError("Error: wallet verification failed")
                table.set_warmup_message("Loading wallet...")
                loader.load()
                if clock.get_mock_time():
                    loader.set_mock_time(clock.get_mock_time())
        for client in clients:
            client.start()
        ctx.connman = net.start(ctx)
        table.set_warmup_message("Done loading")
        table.set_ready()
        log.info("init message: Done loading")
        shutdown.wait()
        log.info("Shutdown: In progress...")
    finally:
        if server is not None:
            server.stop()
        if ctx is not None and ctx.connman is not None:
            ctx.connman.stop()
        if chainstate is not None and chainstate.mempool.loaded and args.get_bool("persistmempool", True):
            try:
                mempool_file.dump(chainstate, os.path.join(net_dir, mempool_file.FILENAME))
            except mempool_file.MempoolFileError as e:
                log.error("%s", e)
        if chainstate is not None and chainstate.active:
            with chainstate.cs_main:
                locator = chainstate.locator()
            signals.enqueue("chain_state_flushed", locator)
            signals.sync()
        for client in clients:
            try:
                client.flush()
                client.stop()
            except Exception:  # noqa: BLE001 - shut the rest down regardless
                log.exception("stopping a chain client failed")
        close = getattr(init, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # noqa: BLE001
                log.exception("closing the init's processes failed")
        signals.stop()
        if chainstate is not None:
            chainstate.close()
        if server is not None and os.path.exists(cookie_path):
            os.remove(cookie_path)
        log.info("Shutdown: done")
        logsetup.shutdown()
        lock.close()
    return 0


def _then(method: Callable, tell: Callable) -> Callable:
    """``method``, then ``tell`` with the same arguments."""
    def method_then_tell(*args) -> None:
        method(*args)
        tell(*args)
    return method_then_tell


def _start_rpc(args: ArgsManager, table: RpcTable, net_dir: str) -> HttpRpcServer:
    try:
        return http.start(args, table, net_dir, chainparams.DEFAULT_RPC_PORT)
    except http.HttpStartError as e:
        raise InitError(str(e)) from None


def fatal(message: str) -> int:
    import sys
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()
    return 1


__all__ = ["ArgsError", "InitError", "fatal", "run"]
