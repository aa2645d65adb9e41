"""Hashes, secp256k1 keys and base58 encoding."""
