"""The legacy wallet's HD chain (Dash's CHDChain): keys derived from one seed at m/44'/1'/account'/change/index."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

import coincurve

from ..crypto.hashes import hash160, sha256d
from ..descriptor import HARDENED, ExtKey

PURPOSE = 44
COIN_TYPE = 1  # Dash's ExtCoinType on test networks
ACCOUNT = 0


def master_key(seed: bytes) -> ExtKey:
    """BIP32's master key of ``seed``."""
    i = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    secret = i[:32]
    return ExtKey(0, bytes(4), 0, i[32:], coincurve.PrivateKey(secret).public_key.format(True), secret)


def path_text(path: list[int]) -> str:
    """Dash's WriteHDKeypath: m/44'/1'/0'/0/5."""
    return "m" + "".join("/" + (f"{i & ~HARDENED}'" if i & HARDENED else str(i)) for i in path)


@dataclass
class HDChain:
    seed: bytes
    counters: list[int] = field(default_factory=lambda: [0, 0])  # next external, internal index
    _chains: dict = field(default_factory=dict, repr=False)

    @property
    def chain_id(self) -> bytes:
        """Dash's CHDChain id: the seed's double SHA-256."""
        return sha256d(self.seed)

    @property
    def master_fingerprint(self) -> bytes:
        return hash160(master_key(self.seed).pubkey)[:4]

    def _chain(self, internal: bool) -> ExtKey:
        if internal not in self._chains:
            key = master_key(self.seed)
            for i in (PURPOSE | HARDENED, COIN_TYPE | HARDENED, ACCOUNT | HARDENED, int(internal)):
                key = key.derive(i)
            self._chains[internal] = key
        return self._chains[internal]

    def derive(self, internal: bool, index: int) -> tuple[bytes, bytes, list[int]]:
        """(secret, compressed pubkey, path) of key ``index`` of the external or internal chain."""
        child = self._chain(internal).derive(index)
        return child.secret, child.pubkey, [PURPOSE | HARDENED, COIN_TYPE | HARDENED, ACCOUNT | HARDENED,
                                            int(internal), index]
