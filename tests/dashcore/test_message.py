"""Signed messages: Dash Core's signature for a known key, recovery, and bad input."""

from __future__ import annotations

import pytest

from dashcore import address
from dashcore.crypto import message
from dashcore.crypto.hashes import hash160
from dashcore.crypto.keys import PrivateKey

# Dash Core's own vector (test/functional/rpc_signmessagewithprivkey.py)
WIF = "cU4zhap7nPJAWeMFu4j6jLrfPmqakDAzy8zn8Fhb3oEevdm4e5Lc"
TEXT = "This is just a test message"
SIGNATURE = "ICzMhjIUmmXcPWy2+9nw01zQMawo+s5FIy6F7VMkL+TmIeNq1j3AMEuw075os29kh5KYLbysKkDlDD+EAqERBd4="
ADDRESS = "yeMpGzMj3rhtnz48XsfpB8itPHhHtgxLc3"


def test_dash_cores_signature_and_its_signer():
    secret, compressed = message.secret_from_wif(WIF)
    assert compressed and message.sign(secret, compressed, TEXT) == SIGNATURE
    assert address.from_pubkey_hash(message.signer_key_hash(SIGNATURE, TEXT)) == ADDRESS
    assert message.signer_key_hash(SIGNATURE, TEXT + "!") != hash160(PrivateKey(secret).pubkey)


def test_uncompressed_keys_sign_for_their_uncompressed_address():
    key = PrivateKey()
    signature = message.sign(key.secret, False, "x")
    uncompressed = message.signer_key_hash(signature, "x")
    assert uncompressed is not None and uncompressed != hash160(key.pubkey)


def test_bad_input():
    with pytest.raises(message.MessageError, match="Invalid private key"):
        message.secret_from_wif("invalid_key")
    with pytest.raises(message.MessageError, match="Malformed base64 encoding"):
        message.signer_key_hash("invalid_sig", TEXT)
    assert message.signer_key_hash("AAAA", TEXT) is None  # base64, but no signature
    assert message.signer_key_hash("Hw" + "A" * 85 + "=", TEXT) is None  # 65 bytes: r = s = 0 recovers nothing
