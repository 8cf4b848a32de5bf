"""The Merkle tree, proofs and checkpoints of the audit log, against RFC 9162 and C2SP signed-note."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from safepassage.service.transparency import (
    EMPTY_ROOT,
    CheckpointError,
    consistency_proof,
    frontier_append,
    frontier_root,
    inclusion_proof,
    key_id,
    leaf_hash,
    merkle_root,
    node_hash,
    parse_checkpoint,
    sign_checkpoint,
    verify_consistency,
    verify_inclusion,
)


def naive_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 2.1.1 writes it, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


LEAVES = [leaf_hash(f"entry {i}".encode()) for i in range(40)]


def test_domain_separation_of_leaves_and_nodes() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    # A leaf whose data is two node hashes is not the node above them.
    left, right = LEAVES[0], LEAVES[1]
    assert leaf_hash(left + right) != node_hash(left, right)
    assert merkle_root([]) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 41))
def test_the_incremental_edge_gives_the_rfc_root(size: int) -> None:
    frontier: list[bytes] = []
    for index, leaf in enumerate(LEAVES[:size]):
        frontier = frontier_append(frontier, index, leaf)
    assert len(frontier) == size.bit_count()
    assert frontier_root(frontier) == merkle_root(LEAVES[:size]) == naive_root(LEAVES[:size])


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 31, 40])
def test_inclusion_proofs_verify_and_catch_a_changed_leaf(size: int) -> None:
    root = merkle_root(LEAVES[:size])
    for index in range(size):
        proof = inclusion_proof(LEAVES, index, size)
        assert verify_inclusion(LEAVES[index], index, size, proof, root)
        assert not verify_inclusion(leaf_hash(b"forged"), index, size, proof, root)
        if size > 1:
            assert not verify_inclusion(LEAVES[index], (index + 1) % size, size, proof, root)


@pytest.mark.parametrize(("first", "second"), [(1, 1), (1, 2), (2, 3), (3, 7), (4, 8), (5, 40), (8, 9), (16, 33), (39, 40)])
def test_consistency_proofs_verify_and_catch_a_rewrite(first: int, second: int) -> None:
    proof = consistency_proof(LEAVES, first, second)
    old, new = merkle_root(LEAVES[:first]), merkle_root(LEAVES[:second])
    assert verify_consistency(first, second, old, new, proof)
    rewritten = [leaf_hash(b"rewritten"), *LEAVES[1:]]
    if first < second:
        assert not verify_consistency(first, second, merkle_root(rewritten[:first]), new, proof)
        assert not verify_consistency(first, second, old, merkle_root(rewritten[:second]), proof)


def test_checkpoint_is_a_c2sp_signed_note() -> None:
    key = Ed25519PrivateKey.generate()
    root = merkle_root(LEAVES[:5])
    note = sign_checkpoint("example.org/audit", 5, root, key)
    text, signatures = note.split("\n\n")
    assert text == f"example.org/audit\n5\n{base64.b64encode(root).decode()}"
    dash, name, stamp = signatures.rstrip("\n").split(" ")
    assert dash == "\u2014" and name == "example.org/audit"
    blob = base64.b64decode(stamp)
    raw = key.public_key().public_bytes_raw()
    assert blob[:4] == key_id(name, key.public_key()) == hashlib.sha256(b"example.org/audit\n\x01" + raw).digest()[:4]
    checkpoint = parse_checkpoint(note, key.public_key(), "example.org/audit")
    assert (checkpoint.size, checkpoint.root) == (5, root)


def test_a_checkpoint_is_refused_when_altered_or_signed_by_another_key() -> None:
    key = Ed25519PrivateKey.generate()
    note = sign_checkpoint("example.org/audit", 5, merkle_root(LEAVES[:5]), key)
    with pytest.raises(CheckpointError, match="does not verify with the trusted key"):
        parse_checkpoint(note.replace("\n5\n", "\n4\n"), key.public_key())
    with pytest.raises(CheckpointError, match="no signature by the trusted key"):
        parse_checkpoint(note, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(CheckpointError, match="not 'other/audit'"):
        parse_checkpoint(note, key.public_key(), "other/audit")
    with pytest.raises(CheckpointError, match="not a signed note"):
        parse_checkpoint("example.org/audit\n5\n", key.public_key())
    with pytest.raises(CheckpointError, match="must be letters"):
        sign_checkpoint("two words", 1, EMPTY_ROOT, key)
