"""BIP37 partial merkle trees: every subset of a block's transactions proves itself, tampering proves nothing."""

from __future__ import annotations

import itertools
import random

import pytest

from dashcore.primitives.block import BlockHeader, merkle_root
from dashcore.primitives.merkleblock import MerkleBlock, PartialMerkleTree
from dashcore.primitives.serialize import DeserializationError


def _txids(n: int) -> list[bytes]:
    return [bytes([i % 256, i // 256]) * 16 for i in range(n)]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7, 9, 16, 17, 100])
def test_a_proof_gives_back_the_root_and_exactly_the_matches(count):
    txids = _txids(count)
    root, _ = merkle_root(txids)
    rng = random.Random(count)
    for _ in range(20):
        matches = [rng.random() < 0.3 for _ in txids]
        tree = PartialMerkleTree.build(txids, matches)
        header = BlockHeader(1, bytes(32), root, 0, 0x207FFFFF, 0)
        again = MerkleBlock.from_bytes(MerkleBlock(header, tree).serialize())
        found = again.tree.extract()
        assert found == (root, [t for t, m in zip(txids, matches) if m])


def test_small_trees_every_subset():
    txids = _txids(5)
    root, _ = merkle_root(txids)
    for matches in itertools.product([False, True], repeat=5):
        assert PartialMerkleTree.build(txids, list(matches)).extract() == (
            root, [t for t, m in zip(txids, matches) if m])


def test_tampered_trees_prove_nothing():
    txids = _txids(6)
    tree = PartialMerkleTree.build(txids, [False, True, False, False, True, False])
    root = tree.extract()[0]
    assert PartialMerkleTree(tree.count, tree.hashes[:-1], tree.bits).extract() is None  # a hash missing
    assert PartialMerkleTree(tree.count, tree.hashes + [bytes(32)], tree.bits).extract() is None  # one too many
    assert PartialMerkleTree(0, [], []).extract() is None
    assert PartialMerkleTree(tree.count, tree.hashes, tree.bits + [False] * 8).extract() is None  # bits unused
    changed = PartialMerkleTree(tree.count, [b"\xff" * 32] + tree.hashes[1:], tree.bits).extract()
    assert changed is not None and changed[0] != root
    # two equal sibling branches (CVE-2012-2459) are refused
    dup = PartialMerkleTree.build(txids[:2] + txids[:2], [True, False, True, False])
    assert dup.extract() is None


def test_bad_encodings_are_decode_errors():
    with pytest.raises(DeserializationError):
        MerkleBlock.from_bytes(b"\x00" * 81)
    header = BlockHeader(1, bytes(32), bytes(32), 0, 0, 0)
    good = MerkleBlock(header, PartialMerkleTree.build(_txids(1), [True])).serialize()
    with pytest.raises(DeserializationError):
        MerkleBlock.from_bytes(good + b"\x00")
