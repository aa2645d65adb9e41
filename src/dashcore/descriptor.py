"""Output script descriptors (BIP380-style) as Dash has them: parsing, checksums, BIP32 keys, expansion.

Dash has no segwit, so the functions are ``pk pkh sh multi sortedmulti combo addr raw``;
``combo(KEY)`` stands for P2PK, P2PKH and P2SH-wrapped P2PKH of the key. Errors are
``DescriptorError`` with the texts Dash's RPCs report.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import coincurve

from . import address, script
from .crypto import base58, keys
from .crypto.hashes import hash160

INPUT_CHARSET = ("0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ")
CHECKSUM_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0xF5DEE51989, 0xA9FDCA3312, 0x1BAB10E32D, 0x3706B1677A, 0x644D626FFD)

XPUB_VERSION = bytes.fromhex("043587cf")  # tpub
XPRV_VERSION = bytes.fromhex("04358394")  # tprv
HARDENED = 0x80000000
_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MAX_MULTISIG_KEYS = 16  # the most a P2SH redeem script of 520 bytes holds with compressed keys


class DescriptorError(ValueError):
    """A descriptor that does not parse or cannot be expanded; the message is Dash's error text."""


# -- checksum ---------------------------------------------------------------------------------------


def _polymod(symbols) -> int:
    chk = 1
    for value in symbols:
        top = chk >> 35
        chk = (chk & 0x7FFFFFFFF) << 5 ^ value
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GENERATOR[i]
    return chk


def checksum(desc: str) -> str:
    """The 8-character checksum of a descriptor text (without ``#``)."""
    symbols, groups = [], []
    for c in desc:
        v = INPUT_CHARSET.find(c)
        if v < 0:
            raise DescriptorError(f"Invalid character '{c}' in descriptor")
        symbols.append(v & 31)
        groups.append(v >> 5)
        if len(groups) == 3:
            symbols.append(groups[0] * 9 + groups[1] * 3 + groups[2])
            groups = []
    if len(groups) == 1:
        symbols.append(groups[0])
    elif len(groups) == 2:
        symbols.append(groups[0] * 3 + groups[1])
    c = _polymod(symbols + [0] * 8) ^ 1
    return "".join(CHECKSUM_CHARSET[(c >> (5 * (7 - i))) & 31] for i in range(8))


def _split_checksum(text: str, require: bool) -> str:
    if "#" not in text:
        if require:
            raise DescriptorError("Missing checksum")
        return text
    body, _, given = text.rpartition("#")
    if "#" in body:
        raise DescriptorError("Multiple '#' symbols")
    if len(given) != 8:
        raise DescriptorError(f"Expected 8 character checksum, not {len(given)} characters")
    expected = checksum(body)
    if given != expected:
        raise DescriptorError(f"Provided checksum '{given}' does not match computed checksum '{expected}'")
    return body


# -- keys ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtKey:
    """A BIP32 extended key; ``secret`` is None for a public one."""

    depth: int
    fingerprint: bytes
    child: int
    chain_code: bytes
    pubkey: bytes
    secret: bytes | None

    @classmethod
    def decode(cls, text: str) -> "ExtKey | None":
        try:
            raw = base58.decode_check(text)
        except ValueError:
            return None
        if len(raw) != 78:
            return None
        version, depth, fp, child, cc, key = raw[:4], raw[4], raw[5:9], raw[9:13], raw[13:45], raw[45:]
        child_n = int.from_bytes(child, "big")
        try:
            if version == XPRV_VERSION and key[0] == 0:
                secret = key[1:]
                return cls(depth, fp, child_n, cc, coincurve.PrivateKey(secret).public_key.format(True), secret)
            if version == XPUB_VERSION and key[0] in (2, 3):
                coincurve.PublicKey(key)
                return cls(depth, fp, child_n, cc, key, None)
        except ValueError:
            return None
        return None

    def encode(self, public: bool = False) -> str:
        if self.secret is None or public:
            version, key = XPUB_VERSION, self.pubkey
        else:
            version, key = XPRV_VERSION, b"\0" + self.secret
        return base58.encode_check(version + bytes([self.depth]) + self.fingerprint
                                   + self.child.to_bytes(4, "big") + self.chain_code + key)

    def derive(self, index: int) -> "ExtKey":
        if index & HARDENED:
            if self.secret is None:
                raise DescriptorError("Cannot derive script without private keys")
            data = b"\0" + self.secret + index.to_bytes(4, "big")
        else:
            data = self.pubkey + index.to_bytes(4, "big")
        i = hmac.new(self.chain_code, data, hashlib.sha512).digest()
        tweak, cc = i[:32], i[32:]
        fp = hash160(self.pubkey)[:4]
        if self.secret is not None:
            k = (int.from_bytes(tweak, "big") + int.from_bytes(self.secret, "big")) % _ORDER
            secret = k.to_bytes(32, "big")
            return ExtKey(self.depth + 1, fp, index, cc, coincurve.PrivateKey(secret).public_key.format(True), secret)
        pub = coincurve.PublicKey(self.pubkey).add(tweak).format(True)
        return ExtKey(self.depth + 1, fp, index, cc, pub, None)


def _path_text(path: list[int], apostrophe: bool = True) -> str:
    return "".join("/" + (f"{i & ~HARDENED}'" if i & HARDENED else str(i)) for i in path)


@dataclass
class KeyExpr:
    """One KEY expression: an optional origin, and a hex pubkey, a WIF key or an extended key with a path."""

    origin: str  # "[d34db33f/44'/0'/0']" or ""
    pubkey: bytes | None = None  # a constant public key
    secret: bytes | None = None  # its private key (WIF), if given
    compressed: bool = True
    ext: ExtKey | None = None
    path: tuple[int, ...] = ()
    range_kind: str = ""  # "", "*" or "*'"

    @property
    def is_range(self) -> bool:
        return bool(self.range_kind)

    @property
    def has_private(self) -> bool:
        return self.secret is not None or (self.ext is not None and self.ext.secret is not None)

    def text(self, private: bool = False) -> str:
        if self.ext is not None:
            body = self.ext.encode(public=not private) + _path_text(list(self.path))
            if self.range_kind:
                body += "/" + self.range_kind
        elif private and self.secret is not None:
            body = base58.encode_check(bytes([keys.WIF_PREFIX]) + self.secret + (b"\x01" if self.compressed else b""))
        else:
            assert self.pubkey is not None
            body = self.pubkey.hex()
        return self.origin + body

    def at(self, pos: int) -> tuple[bytes, bytes | None]:
        """(public key, secret or None) at range position ``pos``."""
        if self.ext is None:
            assert self.pubkey is not None
            return self.pubkey, self.secret
        k = self.ext
        path = list(self.path)
        if self.range_kind == "*":
            path.append(pos)
        elif self.range_kind == "*'":
            path.append(pos | HARDENED)
        for i in path:
            k = k.derive(i)
        return k.pubkey, k.secret


def _parse_key(text: str, ctx: str) -> KeyExpr:
    origin = ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise DescriptorError(f"Key origin start '[ character expected but not found, got '{text[0]}' instead")
        origin, text = text[:end + 1], text[end + 1:]
        fp = origin[1:-1].split("/")[0]
        if len(fp) != 8:
            raise DescriptorError(f"Fingerprint is not 4 bytes ({len(fp)} characters instead of 8 characters)")
        try:
            bytes.fromhex(fp)
        except ValueError:
            raise DescriptorError(f"Fingerprint '{fp}' is not hex") from None
        origin = origin.replace("h", "'")
    parts = text.split("/")
    head = parts[0]
    if len(parts) == 1:
        try:
            raw = bytes.fromhex(head)
        except ValueError:
            raw = b""
        if raw:
            try:
                coincurve.PublicKey(raw)
            except ValueError:
                raise DescriptorError(f"Pubkey '{head}' is invalid") from None
            if ctx == "sh" and len(raw) == 65:
                pass
            return KeyExpr(origin, pubkey=raw, compressed=len(raw) == 33)
        try:
            wif = base58.decode_check(head)
        except ValueError:
            wif = b""
        if wif and wif[0] == keys.WIF_PREFIX and len(wif) in (33, 34):
            secret = wif[1:33]
            compressed = len(wif) == 34
            pub = coincurve.PrivateKey(secret).public_key.format(compressed)
            return KeyExpr(origin, pubkey=pub, secret=secret, compressed=compressed)
    ext = ExtKey.decode(head)
    if ext is None:
        raise DescriptorError(f"key '{head}' is not valid")
    path: list[int] = []
    range_kind = ""
    for i, p in enumerate(parts[1:]):
        last = i == len(parts) - 2
        if last and p in ("*", "*'", "*h"):
            range_kind = "*'" if p != "*" else "*"
            continue
        hardened = p.endswith(("'", "h"))
        num = p[:-1] if hardened else p
        if not num.isdigit() or int(num) >= HARDENED:
            raise DescriptorError(f"Key path value '{p}' is not a valid uint32")
        path.append(int(num) | (HARDENED if hardened else 0))
    return KeyExpr(origin, ext=ext, path=tuple(path), range_kind=range_kind)


# -- descriptors ----------------------------------------------------------------------------------


@dataclass
class Descriptor:
    func: str
    keys: list[KeyExpr]
    sub: "Descriptor | None" = None
    threshold: int = 0
    data: bytes = b""  # raw(): the script; addr(): the script of the address
    addr_text: str = ""

    @property
    def is_range(self) -> bool:
        return any(k.is_range for k in self.keys) or (self.sub is not None and self.sub.is_range)

    @property
    def is_solvable(self) -> bool:
        if self.func in ("raw", "addr"):
            return False
        return self.sub.is_solvable if self.sub is not None else True

    @property
    def has_private(self) -> bool:
        return any(k.has_private for k in self.keys) or (self.sub is not None and self.sub.has_private)

    def text(self, private: bool = False) -> str:
        if self.func == "raw":
            return f"raw({self.data.hex()})"
        if self.func == "addr":
            return f"addr({self.addr_text})"
        if self.func == "sh":
            assert self.sub is not None
            return f"sh({self.sub.text(private)})"
        if self.func in ("multi", "sortedmulti"):
            return f"{self.func}({self.threshold}," + ",".join(k.text(private) for k in self.keys) + ")"
        return f"{self.func}({self.keys[0].text(private)})"

    def to_string(self, private: bool = False) -> str:
        body = self.text(private)
        return body + "#" + checksum(body)

    def scripts(self, pos: int = 0) -> list[bytes]:
        """The output scripts this descriptor stands for at range position ``pos``."""
        if self.func in ("raw", "addr"):
            return [self.data]
        if self.func == "sh":
            assert self.sub is not None
            return [script.p2sh(hash160(s)) for s in self.sub.scripts(pos)]
        pubs = [k.at(pos)[0] for k in self.keys]
        if self.func == "pk":
            return [script.push_data(pubs[0]) + bytes([script.OP_CHECKSIG])]
        if self.func == "pkh":
            return [script.p2pkh(hash160(pubs[0]))]
        if self.func == "combo":
            pkh = script.p2pkh(hash160(pubs[0]))
            return [script.push_data(pubs[0]) + bytes([script.OP_CHECKSIG]), pkh, script.p2sh(hash160(pkh))]
        if self.func == "sortedmulti":
            pubs = sorted(pubs)
        return [multisig_script(self.threshold, pubs)]

    def private_keys(self, pos: int = 0) -> list[bytes]:
        out = [s for s in (k.at(pos)[1] for k in self.keys) if s is not None]
        return out + (self.sub.private_keys(pos) if self.sub is not None else [])


def multisig_script(threshold: int, pubkeys: list[bytes]) -> bytes:
    return (script.push_int(threshold) + b"".join(script.push_data(p) for p in pubkeys)
            + script.push_int(len(pubkeys)) + bytes([0xAE]))


def _args(text: str) -> list[str]:
    """Top-level comma-separated arguments (commas inside brackets and parentheses stay)."""
    out, depth, cur = [], 0, ""
    for c in text:
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        if c == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += c
    out.append(cur)
    return out


def _parse(text: str, ctx: str) -> Descriptor:
    name, paren, rest = text.partition("(")
    if not paren or not rest.endswith(")"):
        raise DescriptorError(f"'{text}' is not a valid descriptor function")
    inner = rest[:-1]
    if name in ("pk", "pkh", "combo"):
        if name == "combo" and ctx != "top":
            raise DescriptorError("Can only have combo() at top level")
        return Descriptor(name, [_parse_key(inner, ctx)])
    if name in ("multi", "sortedmulti"):
        parts = _args(inner)
        if not parts[0].isdigit():
            raise DescriptorError(f"Multi threshold '{parts[0]}' is not valid")
        threshold = int(parts[0])
        ks = [_parse_key(p, ctx) for p in parts[1:]]
        if not ks or len(ks) > 20:
            raise DescriptorError(f"Cannot have {len(ks)} keys in multisig; must have between 1 and 20 keys, inclusive")
        if threshold < 1 or threshold > len(ks):
            raise DescriptorError(f"Multisig threshold cannot be {threshold}, must be at least 1 and at most {len(ks)}")
        if ctx == "top" and len(ks) > 3:
            raise DescriptorError(f"Cannot have {len(ks)} pubkeys in bare multisig; only at most 3 pubkeys")
        if ctx == "sh" and len(ks) > MAX_MULTISIG_KEYS:
            raise DescriptorError(f"P2SH script is too large, {len(ks) * 34 + 3} bytes is larger than 520 bytes")
        return Descriptor(name, ks, threshold=threshold)
    if name == "sh":
        if ctx != "top":
            raise DescriptorError("Can only have sh() at top level")
        return Descriptor("sh", [], sub=_parse(inner, "sh"))
    if name == "addr":
        if ctx != "top":
            raise DescriptorError("Can only have addr() at top level")
        try:
            spk = address.to_script(inner)
        except address.InvalidAddress:
            raise DescriptorError("Address is not valid") from None
        return Descriptor("addr", [], data=spk, addr_text=inner)
    if name == "raw":
        if ctx != "top":
            raise DescriptorError("Can only have raw() at top level")
        try:
            data = bytes.fromhex(inner)
        except ValueError:
            raise DescriptorError("Raw script is not hex") from None
        return Descriptor("raw", [], data=data)
    raise DescriptorError(f"'{text}' is not a valid descriptor function")


def parse(text: str, require_checksum: bool = False) -> Descriptor:
    """A descriptor from its text; DescriptorError with Dash's message if it is not one."""
    body = _split_checksum(text, require_checksum)
    return _parse(body, "top")


def infer(spk: bytes) -> str:
    """The descriptor Dash's InferDescriptor gives an output script when it knows no keys or scripts
    (pk and multi show their keys; anything with an address is addr(); the rest raw()), with its checksum."""
    kind, sol = script.solve(spk)
    if kind == "pubkey":
        body = f"pk({sol[0].hex()})"
    elif kind == "multisig":
        body = f"multi({sol[0][0]}," + ",".join(k.hex() for k in sol[1:-1]) + ")"
    elif address.from_script(spk) is not None:
        body = f"addr({address.from_script(spk)})"
    else:
        body = f"raw({spk.hex()})"
    return body + "#" + checksum(body)


def script_address(spk: bytes) -> str | None:
    """The address of an output script as Dash's ExtractDestination finds one (P2PK counts as its P2PKH)."""
    found = address.from_script(spk)
    if found is not None:
        return found
    if script.script_type(spk) == "pubkey":
        return address.from_pubkey_hash(hash160(spk[1:-1]))
    return None
