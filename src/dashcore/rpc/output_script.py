"""Output script utility RPCs that need no wallet: createmultisig, getdescriptorinfo, deriveaddresses."""

from __future__ import annotations

from .. import address, descriptor
from ..crypto.hashes import hash160
from .util import RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, Arg, MethodTable, RPCError

table = MethodTable()
method = table.method

MAX_P2SH_SCRIPT = 520


def multisig_redeem_script(nrequired: int, pubkeys: list[bytes]) -> bytes:
    """The redeem script of an n-of-m multisig, checked as Dash's CreateMultisigRedeemscript checks it."""
    if nrequired < 1:
        raise RPCError(RPC_INVALID_PARAMETER, "a multisignature address must require at least one key to redeem")
    if len(pubkeys) < nrequired:
        raise RPCError(RPC_INVALID_PARAMETER, f"not enough keys supplied (got {len(pubkeys)} keys, "
                       f"but need at least {nrequired} to redeem)")
    if len(pubkeys) > 16:
        raise RPCError(RPC_INVALID_PARAMETER, "Number of keys involved in the multisignature address creation > 16\n"
                       "Reduce the number")
    redeem = descriptor.multisig_script(nrequired, pubkeys)
    if len(redeem) > MAX_P2SH_SCRIPT:
        raise RPCError(RPC_INVALID_PARAMETER, f"redeemScript exceeds size limit: {len(redeem)} > {MAX_P2SH_SCRIPT}")
    return redeem


def parse_pubkey(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if not raw or len(raw) not in (33, 65) or raw[0] not in ((2, 3) if len(raw) == 33 else (4, 6, 7)):
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, f"Invalid public key: {text}")
    try:
        import coincurve
        coincurve.PublicKey(raw)
    except ValueError:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, f"Invalid public key: {text}") from None
    return raw


@method("createmultisig", "util",
        [Arg("nrequired", "int", help="The number of required signatures out of the n keys."),
         Arg("keys", "arr", help="The hex-encoded public keys.")],
        "Creates a multi-signature address with n signature of m keys required.\n"
        "It returns a json object with the address and redeemScript.")
def createmultisig(ctx, req, nrequired, keys):
    pubkeys = []
    for k in keys:
        if not isinstance(k, str):
            raise RPCError(-3, "JSON value is not a string as expected")
        pubkeys.append(parse_pubkey(k))
    redeem = multisig_redeem_script(nrequired, pubkeys)
    desc = f"sh(multi({nrequired}," + ",".join(p.hex() for p in pubkeys) + "))"
    return {"address": address.from_script_hash(hash160(redeem)), "redeemScript": redeem.hex(),
            "descriptor": desc + "#" + descriptor.checksum(desc)}


def _parse_descriptor(text: str, require_checksum: bool) -> descriptor.Descriptor:
    try:
        return descriptor.parse(text, require_checksum)
    except descriptor.DescriptorError as e:
        raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, str(e)) from None


@method("getdescriptorinfo", "util", [Arg("descriptor", "str", help="The descriptor.")],
        "Analyses a descriptor.")
def getdescriptorinfo(ctx, req, text):
    desc = _parse_descriptor(text, False)
    body = text.partition("#")[0]
    return {"descriptor": desc.to_string(), "checksum": descriptor.checksum(body), "isrange": desc.is_range,
            "issolvable": desc.is_solvable, "hasprivatekeys": desc.has_private}


def parse_range(value) -> tuple[int, int]:
    """A range argument (``end`` or ``[begin, end]``) as Dash's ParseDescriptorRange checks it."""
    if isinstance(value, int) and not isinstance(value, bool):
        begin, end = 0, value
    elif isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                            for v in value):
        begin, end = value
    else:
        raise RPCError(RPC_INVALID_PARAMETER, "Range must be specified as end or as [begin,end]")
    if begin < 0 or end < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Range should be greater or equal than 0")
    if begin > end:
        raise RPCError(RPC_INVALID_PARAMETER, "Range specified as [begin,end] must not have begin after end")
    if end >= 0x80000000:
        raise RPCError(RPC_INVALID_PARAMETER, "End of range is too high")
    if end - begin >= 1_000_000:
        raise RPCError(RPC_INVALID_PARAMETER, "Range is too large")
    return begin, end


@method("deriveaddresses", "util", [Arg("descriptor", "str", help="The descriptor."),
                                    Arg("range", "any", False, help="If a ranged descriptor is used, this specifies "
                                        "the end or the range (in [begin,end] notation) to derive.")],
        "Derives one or more addresses corresponding to an output descriptor.")
def deriveaddresses(ctx, req, text, range_):
    desc = _parse_descriptor(text, True)
    if range_ is not None and not desc.is_range:
        raise RPCError(RPC_INVALID_PARAMETER, "Range should not be specified for an un-ranged descriptor")
    if range_ is None and desc.is_range:
        raise RPCError(RPC_INVALID_PARAMETER, "Range must be specified for a ranged descriptor")
    begin, end = parse_range(range_) if range_ is not None else (0, 0)
    out = []
    for pos in range(begin, end + 1):
        try:
            scripts = desc.scripts(pos)
        except descriptor.DescriptorError as e:
            raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, str(e)) from None
        for spk in scripts:
            addr = descriptor.script_address(spk)
            if addr is None:
                raise RPCError(RPC_INVALID_ADDRESS_OR_KEY, "Descriptor does not have a corresponding address")
            out.append(addr)
    return out
