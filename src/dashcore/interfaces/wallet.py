"""Wallet and WalletLoader: the wallets as the node and the GUI see them."""

from __future__ import annotations

from abc import abstractmethod, ABC
from dataclasses import dataclass, field
from typing import Callable

from .chain import ChainClient
from .handler import Handler


@dataclass
class WalletBalances:
    """Duffs: ``balance`` is trusted, ``unconfirmed_balance`` untrusted pending."""

    balance: int = 0
    unconfirmed_balance: int = 0
    immature_balance: int = 0


@dataclass
class WalletAddress:
    address: str
    label: str = ""
    is_change: bool = False


@dataclass
class WalletTxOut:
    txid: bytes
    n: int
    value: int
    script_pubkey: bytes
    address: str
    depth: int
    coinbase: bool = False
    spendable: bool = True


@dataclass
class WalletTx:
    """A wallet transaction; ``amount`` is the net effect on the wallet (duffs, signed)."""

    txid: bytes
    tx: bytes
    amount: int
    fee: int
    depth: int
    block_hash: bytes = b""
    block_height: int = -1
    time: int = 0
    is_coinbase: bool = False
    in_mempool: bool = False


@dataclass
class PreparedTransaction:
    """A signed transaction not yet committed: what the GUI's send confirmation shows."""

    tx: bytes
    txid: bytes
    amount: int  # duffs the recipient gets
    fee: int


@dataclass
class WalletInfo:
    name: str
    tx_count: int
    keypool_size: int
    balances: WalletBalances = field(default_factory=WalletBalances)


class Wallet(ABC):
    @abstractmethod
    def get_wallet_name(self) -> str: ...

    @abstractmethod
    def get_new_destination(self, label: str) -> str:
        """A fresh receiving address from the keypool."""

    @abstractmethod
    def get_balances(self) -> WalletBalances: ...

    @abstractmethod
    def get_balance(self) -> int: ...

    @abstractmethod
    def get_addresses(self) -> list[WalletAddress]: ...

    @abstractmethod
    def create_transaction(self, address: str, amount: int, subtract_fee: bool) -> bytes:
        """A signed transaction paying ``amount`` duffs to ``address``, with fee and change."""

    @abstractmethod
    def commit_transaction(self, tx: bytes) -> None:
        """Record ``tx`` in the wallet and broadcast it."""

    @abstractmethod
    def get_wallet_txs(self) -> list[WalletTx]: ...

    @abstractmethod
    def get_wallet_tx(self, txid: bytes) -> WalletTx: ...

    @abstractmethod
    def list_coins(self) -> list[WalletTxOut]: ...

    @abstractmethod
    def get_wallet_info(self) -> WalletInfo: ...

    @abstractmethod
    def remove(self) -> None:
        """Unload this wallet."""

    @abstractmethod
    def handle_unload(self, fn: Callable[[], None]) -> Handler: ...

    @abstractmethod
    def handle_transaction_changed(self, fn: Callable[[bytes], None]) -> Handler: ...

    # -- for the GUI -------------------------------------------------------------------------------

    @abstractmethod
    def get_fee_rate(self) -> int:
        """The fee rate this wallet pays (duffs per 1000 bytes)."""

    @abstractmethod
    def prepare_transaction(self, address: str, amount: int, subtract_fee: bool) -> PreparedTransaction:
        """As ``create_transaction``, with the txid, the amount sent and the fee (for a confirmation)."""


class WalletLoader(ChainClient):
    @abstractmethod
    def create_wallet(self, name: str, disable_private_keys: bool, blank: bool, load_on_startup: bool | None) -> Wallet: ...

    @abstractmethod
    def load_wallet(self, name: str, load_on_startup: bool | None) -> Wallet: ...

    @abstractmethod
    def get_wallet_dir(self) -> str: ...

    @abstractmethod
    def list_wallet_dir(self) -> list[str]: ...

    @abstractmethod
    def get_wallets(self) -> list[Wallet]: ...

    @abstractmethod
    def handle_load_wallet(self, fn: Callable[[Wallet], None]) -> Handler: ...
