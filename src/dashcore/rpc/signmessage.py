"""Message signing RPCs that need no wallet: signmessagewithprivkey, verifymessage."""

from __future__ import annotations

from .. import address, script
from ..crypto import message
from .util import RPC_INVALID_ADDRESS_OR_KEY, RPC_TYPE_ERROR, Arg, MethodTable, RPCError

table = MethodTable()
method = table.method


@method("signmessagewithprivkey", "util", [Arg("privkey", "str", help="The private key to sign the message with"),
                                           Arg("message", "str", help="The message to create a signature of")],
        "Sign a message with the private key of an address.")
def signmessagewithprivkey(ctx, req, privkey, text):
    try:
        secret, compressed = message.secret_from_wif(privkey)
    except message.MessageError as e:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, str(e)) from None
    return message.sign(secret, compressed, text)


@method("verifymessage", "util", [Arg("address", "str", help="The Dash address to use for the signature"),
                                  Arg("signature", "str", help="The signature provided by the signer in base 64 "
                                      "encoding (see signmessage)"),
                                  Arg("message", "str", help="The message that was signed")],
        "Verify a signed message.")
def verifymessage(ctx, req, addr, signature, text):
    try:
        spk = address.to_script(addr)
    except address.InvalidAddress:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Invalid address") from None
    key_hash = script.p2pkh_hash(spk)
    if key_hash is None:
        raise RPCError(RPC_TYPE_ERROR, "Address does not refer to key")
    try:
        return message.signer_key_hash(signature, text) == key_hash
    except message.MessageError as e:
        raise RPCError(RPC_TYPE_ERROR, str(e)) from None
