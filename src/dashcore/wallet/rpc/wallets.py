"""Wallet management RPCs: create, load, unload and list wallets."""

from __future__ import annotations

from ...rpc.util import RPC_INVALID_PARAMETER, RPC_WALLET_ERROR, Arg, RPCError
from .common import method, wallet_name_from_uri


@method("createwallet", "wallet",
        [Arg("wallet_name", "str"), Arg("disable_private_keys", "bool", False, False), Arg("blank", "bool", False, False),
         Arg("passphrase", "str", False, ""), Arg("avoid_reuse", "bool", False, False),
         Arg("descriptors", "bool", False, False), Arg("load_on_startup", "bool", False),
         Arg("external_signer", "bool", False, False)],
        "Creates and loads a new wallet.")
def createwallet(ctx, req, name, disable_private_keys, blank, passphrase, avoid_reuse, descriptors, load_on_startup,
                 external_signer):
    if descriptors:
        raise RPCError(RPC_WALLET_ERROR, "Compiled without sqlite support (required for descriptor wallets)")
    if external_signer:
        raise RPCError(RPC_WALLET_ERROR, "Compiled without external signing support (required for external signing)")
    if passphrase:
        raise RPCError(RPC_WALLET_ERROR, "Wallet encryption is not supported yet")
    ctx.open_wallet(name, create=True, load_on_startup=load_on_startup, blank=blank,
                    disable_private_keys=disable_private_keys)
    return {"name": name, "warning": ""}


@method("loadwallet", "wallet", [Arg("filename", "str"), Arg("load_on_startup", "bool", False)],
        "Loads a wallet from a wallet file or directory.")
def loadwallet(ctx, req, filename, load_on_startup):
    ctx.open_wallet(filename, create=False, load_on_startup=load_on_startup)
    return {"name": filename, "warning": ""}


@method("unloadwallet", "wallet", [Arg("wallet_name", "str", False), Arg("load_on_startup", "bool", False)],
        "Unloads the wallet referenced by the request endpoint otherwise unloads the wallet specified in the argument.")
def unloadwallet(ctx, req, wallet_name, load_on_startup):
    from_uri = wallet_name_from_uri(req.uri)
    if from_uri is not None:
        if wallet_name is not None and wallet_name != from_uri:
            raise RPCError(RPC_INVALID_PARAMETER, "RPC endpoint wallet and wallet_name parameter specify different wallets")
        wallet_name = from_uri
    if wallet_name is None:
        raise RPCError(RPC_INVALID_PARAMETER, "Either the RPC endpoint wallet or the wallet name parameter must be provided")
    ctx.unload(wallet_name, load_on_startup)
    return {"warning": ""}


@method("listwallets", "wallet", description="Returns a list of currently loaded wallets.")
def listwallets(ctx, req):
    with ctx.lock:
        return list(ctx.wallets)


@method("listwalletdir", "wallet", description="Returns a list of wallets in the wallet directory.")
def listwalletdir(ctx, req):
    return {"wallets": [{"name": n} for n in ctx.list_wallet_dir()]}


