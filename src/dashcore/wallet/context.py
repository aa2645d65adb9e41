"""WalletContext: the wallet process's loaded wallets, its Chain and its options."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field

from ..interfaces import Chain, Handler, InterfaceError
from ..util import time as clock
from ..util.args import ArgsManager
from .db import WalletDB, WalletDBError
from ..amount import from_value
from .spend import DEFAULT_DISCARD_FEE, DEFAULT_FALLBACK_FEE, DEFAULT_MAX_TX_FEE, DEFAULT_TRANSACTION_MINFEE, FeePolicy
from .wallet import DEFAULT_KEYPOOL_SIZE, CWallet

log = logging.getLogger("dashcore.wallet")

RPC_MISC_ERROR = -1
RPC_WALLET_ERROR = -4
RPC_WALLET_NOT_FOUND = -18
RPC_WALLET_ALREADY_LOADED = -35


@dataclass
class WalletContext:
    chain: Chain
    args: ArgsManager
    net_dir: str  # <datadir>/regtest
    wallets: dict[str, CWallet] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    rpc_handlers: list[Handler] = field(default_factory=list)
    load_callbacks: list = field(default_factory=list)
    #: settings.json's "wallet" as held in memory while the file has none (the unnamed wallet, loaded by default)
    implied_startup_names: list[str] = field(default_factory=list)

    def wallet_dir(self) -> str:
        if self.args.is_set("walletdir"):
            return os.path.abspath(self.args.get("walletdir"))
        wallets = os.path.join(self.net_dir, "wallets")
        return wallets if os.path.isdir(wallets) else self.net_dir

    def wallet_path(self, name: str) -> str:
        """The database file of wallet ``name``: <name>/wallet.dat, or <name> itself when that is a file
        (a plain wallet file, as Dash still loads them)."""
        base = os.path.join(self.wallet_dir(), name) if name else self.wallet_dir()
        return base if name and os.path.isfile(base) else os.path.join(base, "wallet.dat")

    def keypool_size(self) -> int:
        return self.args.get_int("keypool", DEFAULT_KEYPOOL_SIZE)

    def fee_policy(self) -> FeePolicy:
        """The fee options of the wallet process's arguments, in duffs per kB."""
        def amount(name: str, default: int) -> int:
            if not self.args.is_set(name):
                return default
            try:
                return from_value(self.args.get(name))
            except ValueError:
                raise InterfaceError(f"Invalid amount for -{name}=<amount>: '{self.args.get(name)}'",
                                     RPC_WALLET_ERROR) from None
        return FeePolicy(amount("paytxfee", 0), amount("fallbackfee", DEFAULT_FALLBACK_FEE),
                         amount("mintxfee", DEFAULT_TRANSACTION_MINFEE), amount("maxtxfee", DEFAULT_MAX_TX_FEE),
                         self.chain.relay_min_fee(), amount("discardfee", DEFAULT_DISCARD_FEE))

    def open_wallet(self, name: str, create: bool, load_on_startup: bool | None, blank: bool = False,
                    disable_private_keys: bool = False) -> CWallet:
        with self.lock:
            if create and os.path.exists(self.wallet_path(name)):
                raise InterfaceError(f"Wallet file verification failed. Failed to create database path "
                                     f"'{os.path.dirname(self.wallet_path(name))}'. Database already exists.",
                                     RPC_WALLET_ERROR)
            if name in self.wallets:
                raise InterfaceError(f"Wallet file verification failed. Wallet \"{name}\" is already loaded.",
                                     RPC_WALLET_ALREADY_LOADED)
            path = self.wallet_path(name)
            if create:
                try:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                except OSError as e:  # as dashd's uncaught std::filesystem error
                    raise InterfaceError(f"filesystem error: cannot create directories: {e.strerror} "
                                         f"[{os.path.dirname(path)}]", RPC_MISC_ERROR) from None
            try:
                db = WalletDB(path, create, durable=not self.args.get_bool("unsafesqlitesync"))
            except WalletDBError as e:
                verb = "create" if create else "load"
                code = RPC_WALLET_ERROR if create else RPC_WALLET_NOT_FOUND
                raise InterfaceError(f"Wallet file verification failed. Failed to {verb} database path "
                                     f"'{os.path.dirname(path)}'. {e}", code) from None
            wallet = CWallet(name, db, self.chain, self.keypool_size())
            try:
                if create:
                    db.set_meta("created", clock.get_time())
                    db.set_meta("blank", blank or disable_private_keys)
                    db.set_meta("disable_private_keys", disable_private_keys)
                    if self.args.get_bool("usehd", True) and not (blank or disable_private_keys):
                        wallet.set_hd_seed(os.urandom(64))
                wallet.load_from_db()
                wallet.fee_policy = self.fee_policy()
                wallet.broadcast_transactions = self.args.get_bool("walletbroadcast", True)
                wallet.top_up_keypool()
                wallet.attach_chain(new=create, rescan=self.args.get_bool("rescan"))
            except Exception:
                wallet.close()
                raise
            self.wallets[name] = wallet
            log.info("loaded wallet %r (%d keys, %d transactions)", name, len(wallet.keys), len(wallet.txs))
            self._update_startup_setting(name, load_on_startup)
        for fn in list(self.load_callbacks):
            fn(wallet)
        return wallet

    def unload(self, name: str, load_on_startup: bool | None) -> None:
        with self.lock:
            wallet = self.wallets.pop(name, None)
            if wallet is None:
                raise InterfaceError("Requested wallet does not exist or is not loaded", RPC_WALLET_NOT_FOUND)
            self._update_startup_setting(name, load_on_startup)
        for fn in list(wallet.unload_callbacks):
            fn()
        wallet.close()

    def _stored_startup_names(self) -> list[str]:
        names = json.loads(self.chain.get_rw_setting("wallet"))
        names = [n for n in (names if isinstance(names, list) else []) if isinstance(n, str)]
        return names or list(self.implied_startup_names)

    def _update_startup_setting(self, name: str, load_on_startup: bool | None) -> None:
        if load_on_startup is None:
            return
        names = self._stored_startup_names()
        if load_on_startup and name not in names:
            names.append(name)
        elif not load_on_startup and name in names:
            names.remove(name)
        self.chain.update_rw_setting("wallet", json.dumps(names))
        self.implied_startup_names = []  # settings.json now holds the whole list

    def wallet_args(self) -> list[str]:
        """The -wallet names. A -nowallet (it arrives as the value "0", in a spawned wallet process too)
        drops the names before it, as Dash's negation of a list option does."""
        values = list(self.args.get_list("wallet"))
        if "0" in values:
            values = values[len(values) - values[::-1].index("0"):]
        return values

    def startup_wallet_names(self) -> list[str]:
        """-wallet and settings.json's wallets; when neither names one, the unnamed wallet if it exists
        (Dash's backwards compatibility: kept as the setting in memory, not written)."""
        names = self.wallet_args()
        # a -nowallet also sets settings.json's list aside (Dash's negated list settings end the merge)
        stored = [] if "0" in self.args.get_list("wallet") else self._stored_startup_names()
        if not self.args.is_set("wallet") and not stored and os.path.exists(self.wallet_path("")):
            self.implied_startup_names = [""]
            stored = [""]
        for n in stored:
            if n not in names:
                names.append(n)
        return names

    def list_wallet_dir(self) -> list[str]:
        """Dash's ListDatabases: folders holding a wallet database (wallet.dat), and top-level plain wallet
        files; a folder that cannot be read is logged and skipped."""
        root = self.wallet_dir()
        names = []
        for dirpath, dirs, files in os.walk(root):
            rel = os.path.relpath(dirpath, root)
            for d in list(dirs):
                path = os.path.join(dirpath, d)
                try:
                    if _is_database(os.path.join(path, "wallet.dat")):
                        names.append(os.path.normpath(os.path.join(rel, d)))
                except OSError as e:
                    log.info("ListDatabases: Error scanning %s: %s", path, e.strerror or e)
                    dirs.remove(d)
            if rel != ".":
                continue
            for f in files:
                path = os.path.join(dirpath, f)
                if os.path.islink(path) or f.endswith(".bak"):
                    continue
                if f == "wallet.dat":
                    names.append("")
                else:
                    try:
                        if _is_database(path):
                            names.append(f)
                    except OSError:
                        pass
        return sorted(names)


def _is_database(path: str) -> bool:
    """Whether ``path`` is a wallet database (an sqlite file); OSError when it cannot be looked at."""
    try:
        if not os.path.isfile(path) and not os.path.islink(path):
            return False
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except FileNotFoundError:
        return False
