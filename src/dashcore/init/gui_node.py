"""The node a GUI starts: a ``Node`` whose ``app_init_main`` runs ``node.app.run`` and whose
``app_shutdown`` stops it.

dash-qt runs it in a thread of its own process; a ``dash-node -ipcfd N`` spawned by
dash-gui runs it on its main thread (``runner`` says where). Until the node is ready
only the start-up subscriptions (``handle_init_message``, ``handle_show_progress``)
and ``app_init_main``/``app_shutdown`` may be called; everything else is the running
node's ``NodeImpl``.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from ..interfaces import CallbackHandler, Handler, Init, InterfaceError, Node, NodeInfo, WalletLoader
from ..node import app
from ..node.context import NodeContext
from ..node.interfaces import NodeImpl
from ..util.args import ArgsError, ArgsManager

log = logging.getLogger("dashcore.init")

NOT_RUNNING = "The node is not running"


class LaunchedNode(Node):
    def __init__(self, args: ArgsManager, make_init: Callable[[NodeContext], Init], process_name: str,
                 runner: Callable[[Callable[[], None]], None], name_lines: bool = False):
        self._args = args
        self._make_init = make_init
        self._process_name = process_name
        self._runner = runner
        self._name_lines = name_lines
        self._lock = threading.Lock()
        self._init_fns: list[Callable[[str], None]] = []
        self._progress_fns: list[Callable[[str, int, bool], None]] = []
        self._started = False
        self._stop = threading.Event()
        self._settled = threading.Event()  # ready, or ended before it was
        self._ended = threading.Event()
        self._context: NodeContext | None = None
        self._impl: NodeImpl | None = None
        self._error: str | None = None

    # -- the node's life -----------------------------------------------------------------------------

    def app_init_main(self) -> None:
        with self._lock:
            start, self._started = not self._started, True
        if start:
            self._runner(self._run)
        self._settled.wait()
        if self._impl is None:
            raise InterfaceError(self._error or NOT_RUNNING, -1)

    def app_shutdown(self) -> None:
        with self._lock:
            self._stop.set()
            ctx, started = self._context, self._started
        if ctx is not None:
            ctx.shutdown.set()
        if started:
            self._ended.wait()

    @property
    def ended(self) -> threading.Event:
        """Set once ``node.app.run`` has returned (stopped, or failed to start)."""
        return self._ended

    def _run(self) -> None:
        try:
            app.run(self._args, self._made_init, self._process_name, name_lines=self._name_lines,
                    on_init_message=self._tell, on_ready=self._ready)
        except (ArgsError, app.InitError) as e:
            self._error = str(e)
        except Exception as e:  # noqa: BLE001 - the GUI shows it; the log has the traceback
            log.exception("the node failed")
            self._error = f"Error: {type(e).__name__}: {e}"
        finally:
            if self._impl is None and self._error is None:
                self._error = "The node stopped during start-up"
            self._impl = None
            self._ended.set()
            self._settled.set()

    def _made_init(self, ctx: NodeContext) -> Init:
        with self._lock:
            self._context = ctx
            if self._stop.is_set():
                ctx.shutdown.set()
        return self._make_init(ctx)

    def _ready(self, ctx: NodeContext) -> None:
        self._impl = NodeImpl(ctx)
        self._settled.set()

    def _tell(self, message: str) -> None:
        for fn in list(self._init_fns):
            try:
                fn(message)
            except Exception:  # noqa: BLE001 - a subscriber's failure is not the node's
                log.exception("init message subscriber failed")

    def _node(self) -> NodeImpl:
        impl = self._impl
        if impl is None:
            raise InterfaceError(self._error or NOT_RUNNING, -1)
        return impl

    # -- start-up subscriptions ----------------------------------------------------------------------

    def handle_init_message(self, fn: Callable[[str], None]) -> Handler:
        self._init_fns.append(fn)
        return CallbackHandler(lambda: fn in self._init_fns and self._init_fns.remove(fn))

    def handle_show_progress(self, fn: Callable[[str, int, bool], None]) -> Handler:
        self._progress_fns.append(fn)
        return CallbackHandler(lambda: fn in self._progress_fns and self._progress_fns.remove(fn))

    # -- the running node ----------------------------------------------------------------------------

    def get_num_blocks(self) -> int:
        return self._node().get_num_blocks()

    def get_best_block_hash(self) -> bytes:
        return self._node().get_best_block_hash()

    def get_verification_progress(self) -> float:
        return self._node().get_verification_progress()

    def get_mempool_size(self) -> int:
        return self._node().get_mempool_size()

    def start_shutdown(self) -> None:
        with self._lock:
            self._stop.set()
            ctx = self._context
        if ctx is not None:
            ctx.shutdown.set()

    def shutdown_requested(self) -> bool:
        ctx = self._context
        return self._stop.is_set() or (ctx is not None and ctx.shutdown.is_set())

    def execute_rpc(self, command: str, params_json: str, uri: str) -> str:
        return self._node().execute_rpc(command, params_json, uri)

    def list_rpc_commands(self) -> list[str]:
        return self._node().list_rpc_commands()

    def handle_notify_block_tip(self, fn: Callable[[int, bytes], None]) -> Handler:
        return self._node().handle_notify_block_tip(fn)

    def handle_notify_header_tip(self, fn: Callable[[int, bytes], None]) -> Handler:
        return self._node().handle_notify_header_tip(fn)

    def get_node_info(self) -> NodeInfo:
        return self._node().get_node_info()

    def wallet_loader(self) -> WalletLoader | None:
        return self._node().wallet_loader()


def in_thread(body: Callable[[], None]) -> None:
    """A ``runner`` for ``LaunchedNode``: the node in a thread of this process (dash-qt)."""
    threading.Thread(target=body, name="node", daemon=True).start()
