"""What every wallet RPC shares: the method table, finding the request's wallet, argument helpers."""

from __future__ import annotations

import urllib.parse

from ... import address
from ...interfaces import InterfaceError, RpcCommand, RpcReply, RpcRequest
from ...rpc.util import (RPC_INVALID_ADDRESS_OR_KEY, RPC_TYPE_ERROR, RPC_WALLET_NOT_FOUND,
                         RPC_WALLET_NOT_SPECIFIED, MethodTable, RPCError, amount_arg, dumps, loads)
from ..context import WalletContext
from ..ismine import ISMINE_SPENDABLE, ISMINE_WATCH_ONLY
from ..wallet import CWallet

table = MethodTable()
method = table.method

RPC_WALLET_INVALID_LABEL_NAME = -11
RPC_WALLET_UNLOCK_NEEDED = -13


def commands(ctx: WalletContext) -> list[RpcCommand]:
    out = []
    for m in table.methods:
        def actor(request: RpcRequest, m=m) -> RpcReply:
            try:
                return RpcReply(dumps(m.fn(ctx, request, *m.parse(loads(request.params_json)))))
            except RPCError as e:
                return RpcReply("null", e.code, e.message)
            except InterfaceError as e:
                return RpcReply("null", e.code, e.message)
        out.append(RpcCommand(m.category, m.name, m.arg_names, m.help_text(), actor))
    return out


def wallet_name_from_uri(uri: str) -> str | None:
    prefix = "/wallet/"
    if uri.startswith(prefix):
        return urllib.parse.unquote(uri[len(prefix):])
    return None


def get_wallet(ctx: WalletContext, req: RpcRequest, sync: bool = True) -> CWallet:
    name = wallet_name_from_uri(req.uri)
    with ctx.lock:
        if name is not None:
            wallet = ctx.wallets.get(name)
            if wallet is None:
                raise RPCError(RPC_WALLET_NOT_FOUND, "Requested wallet does not exist or is not loaded")
        elif len(ctx.wallets) == 1:
            wallet = next(iter(ctx.wallets.values()))
        elif not ctx.wallets:
            raise RPCError(RPC_WALLET_NOT_FOUND, "No wallet is loaded. Load a wallet using loadwallet or create a new "
                           "one with createwallet. (Note: A default wallet is no longer automatically created)")
        else:
            raise RPCError(RPC_WALLET_NOT_SPECIFIED, "Wallet file not specified (must request wallet RPC through "
                           "/wallet/<filename> uri-path).")
    if sync:
        wallet.block_until_synced()
    return wallet


def send_amount(value) -> int:
    duffs = amount_arg(value)
    if duffs <= 0:
        raise RPCError(RPC_TYPE_ERROR, "Invalid amount for send")
    return duffs


def script_of(addr: str, message: str | None = None) -> bytes:
    try:
        return address.to_script(addr)
    except address.InvalidAddress:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, message or "Invalid Dash address") from None


def label_arg(value) -> str:
    if value == "*":
        raise RPCError(RPC_WALLET_INVALID_LABEL_NAME, "Invalid label name")
    return value


def is_mine_filter(w: CWallet, include_watchonly: bool | None) -> int:
    """Bitcoin's ParseIncludeWatchonly: watch-only is included by default only in wallets
    without private keys."""
    if include_watchonly is None:
        include_watchonly = not w.private_keys_enabled
    return ISMINE_SPENDABLE | (ISMINE_WATCH_ONLY if include_watchonly else 0)


def check_unlocked(w: CWallet) -> None:
    if w.is_locked():
        raise RPCError(RPC_WALLET_UNLOCK_NEEDED, "Error: Please enter the wallet passphrase with walletpassphrase first.")



def last_processed_block(w: CWallet) -> dict:
    """Dash's lastprocessedblock: the block the wallet's answer was made at."""
    return {"hash": w.last_block_hash[::-1].hex(), "height": w.last_block_height}
