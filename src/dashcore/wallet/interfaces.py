"""The wallet's implementations of the Wallet and WalletLoader interfaces."""

from __future__ import annotations

import logging
import os
from typing import Callable

from .. import address
from ..crypto.hashes import hash160
from ..interfaces import (CallbackHandler, Handler, InterfaceError, PreparedTransaction, Wallet, WalletAddress, WalletBalances,
                          WalletInfo, WalletLoader, WalletTx, WalletTxOut)
from ..primitives.serialize import DeserializationError
from ..primitives.transaction import Transaction
from ..util import time as clock
from .context import WalletContext
from .wallet import RPC_INVALID_ADDRESS_OR_KEY, CWallet

log = logging.getLogger("dashcore.wallet")


class WalletImpl(Wallet):
    def __init__(self, context: WalletContext, wallet: CWallet):
        self._context = context
        self._wallet = wallet

    def get_wallet_name(self) -> str:
        return self._wallet.name

    def get_new_destination(self, label: str) -> str:
        return self._wallet.get_new_address(label)

    def get_balances(self) -> WalletBalances:
        self._wallet.block_until_synced()
        return WalletBalances(*self._wallet.balances())

    def get_balance(self) -> int:
        return self.get_balances().balance

    def get_addresses(self) -> list[WalletAddress]:
        w = self._wallet
        with w.lock:
            out = [WalletAddress(a, e.label, False) for a, e in w.address_book.items()]
            for k in w.keys.values():  # change addresses handed out: used internal keys
                if k.used and k.internal:
                    out.append(WalletAddress(address.from_pubkey_hash(hash160(k.pubkey)), "", True))
            return out

    def create_transaction(self, address_: str, amount: int, subtract_fee: bool) -> bytes:
        try:
            spk = address.to_script(address_)
        except address.InvalidAddress as e:
            raise InterfaceError(str(e), RPC_INVALID_ADDRESS_OR_KEY) from None
        tx, _fee = self._wallet.create_transaction([(spk, amount, subtract_fee)])
        return tx.serialize()

    def commit_transaction(self, tx: bytes) -> None:
        try:
            parsed = Transaction.from_bytes(tx)
        except DeserializationError as e:
            raise InterfaceError(f"TX decode failed: {e}", -22) from None
        self._wallet.commit_transaction(parsed)

    def _wallet_tx(self, e) -> WalletTx:
        w = self._wallet
        fee = w.fee_of(e.tx)
        amount = w.credit(e.tx) - w.debit(e.tx) + (fee or 0)
        r = e.record
        return WalletTx(e.txid, e.tx.serialize(), amount, fee or 0, w.depth(e), r.block_hash or b"", r.block_height,
                        r.time_received, e.tx.is_coinbase(), e.in_mempool)

    def get_wallet_txs(self) -> list[WalletTx]:
        with self._wallet.lock:
            return [self._wallet_tx(e) for e in self._wallet.txs.values()]

    def get_wallet_tx(self, txid: bytes) -> WalletTx:
        with self._wallet.lock:
            e = self._wallet.txs.get(txid)
            if e is None:
                raise InterfaceError("Invalid or non-wallet transaction id", RPC_INVALID_ADDRESS_OR_KEY)
            return self._wallet_tx(e)

    def list_coins(self) -> list[WalletTxOut]:
        return [WalletTxOut(c.outpoint.txid, c.outpoint.n, c.txout.value, c.txout.script_pubkey,
                            address.from_script(c.txout.script_pubkey) or "", c.depth, c.coinbase)
                for c in self._wallet.available_coins(include_unsafe=True)]

    def get_wallet_info(self) -> WalletInfo:
        w = self._wallet
        return WalletInfo(w.name, len(w.txs), w.keypool_size_left(False), self.get_balances())

    def remove(self) -> None:
        self._context.unload(self._wallet.name, None)

    def handle_unload(self, fn: Callable[[], None]) -> Handler:
        callbacks = self._wallet.unload_callbacks
        callbacks.append(fn)
        return CallbackHandler(lambda: fn in callbacks and callbacks.remove(fn))

    def handle_transaction_changed(self, fn: Callable[[bytes], None]) -> Handler:
        callbacks = self._wallet.tx_changed_callbacks
        callbacks.append(fn)
        return CallbackHandler(lambda: fn in callbacks and callbacks.remove(fn))

    def get_fee_rate(self) -> int:
        return self._wallet.chain.estimate_fee(6)

    def prepare_transaction(self, address_: str, amount: int, subtract_fee: bool) -> PreparedTransaction:
        try:
            spk = address.to_script(address_)
        except address.InvalidAddress as e:
            raise InterfaceError(str(e), RPC_INVALID_ADDRESS_OR_KEY) from None
        tx, fee = self._wallet.create_transaction([(spk, amount, subtract_fee)], self.get_fee_rate())
        return PreparedTransaction(tx.serialize(), tx.txid, amount - fee if subtract_fee else amount, fee)


class WalletLoaderImpl(WalletLoader):
    def __init__(self, context: WalletContext):
        self._context = context

    @property
    def context(self) -> WalletContext:
        return self._context

    def register_rpcs(self) -> None:
        from .rpc import commands
        for command in commands(self._context):
            self._context.rpc_handlers.append(self._context.chain.handle_rpc(command))

    def verify(self) -> bool:
        return True

    def load(self) -> bool:
        ctx = self._context
        for name in ctx.startup_wallet_names():
            create = name in ctx.wallet_args() and not os.path.exists(ctx.wallet_path(name))
            try:
                ctx.open_wallet(name, create=create, load_on_startup=None)
            except InterfaceError as e:
                ctx.chain.init_warning(f"Skipping wallet {name!r}: {e.message}")
        return True

    def start(self) -> None:
        pass

    def flush(self) -> None:
        pass

    def stop(self) -> None:
        ctx = self._context
        for h in ctx.rpc_handlers:
            h.disconnect()
        ctx.rpc_handlers.clear()
        for name in list(ctx.wallets):
            ctx.unload(name, None)

    def set_mock_time(self, time: int) -> None:
        clock.set_mock_time(time)

    def create_wallet(self, name: str, disable_private_keys: bool, blank: bool, load_on_startup: bool | None) -> Wallet:
        return WalletImpl(self._context, self._context.open_wallet(name, True, load_on_startup, blank,
                                                                 disable_private_keys))

    def load_wallet(self, name: str, load_on_startup: bool | None) -> Wallet:
        return WalletImpl(self._context, self._context.open_wallet(name, False, load_on_startup))

    def get_wallet_dir(self) -> str:
        return self._context.wallet_dir()

    def list_wallet_dir(self) -> list[str]:
        return self._context.list_wallet_dir()

    def get_wallets(self) -> list[Wallet]:
        with self._context.lock:
            return [WalletImpl(self._context, w) for w in self._context.wallets.values()]

    def handle_load_wallet(self, fn: Callable[[Wallet], None]) -> Handler:
        callbacks = self._context.load_callbacks

        def on_load(w: CWallet) -> None:
            fn(WalletImpl(self._context, w))
        callbacks.append(on_load)
        return CallbackHandler(lambda: on_load in callbacks and callbacks.remove(on_load))
