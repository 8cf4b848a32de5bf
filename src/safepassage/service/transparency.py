"""The audit record as a transparency log: a Merkle tree over the entries, signed checkpoints, and
inclusion and consistency proofs, as Certificate Transparency does (RFC 9162, section 2.1).

Hashing (RFC 9162 2.1.1), with domain separation between leaves and interior nodes::

    leaf_hash(d)     = SHA-256(0x00 || d)          d: the entry's canonical JSON (its hashed fields)
    node_hash(l, r)  = SHA-256(0x01 || l || r)
    MTH([])          = SHA-256("")
    MTH(D[n])        = node_hash(MTH(D[0:k]), MTH(D[k:n]))   k: the largest power of two below n

A checkpoint (C2SP tlog-checkpoint) is a signed note (C2SP signed-note) whose text is three lines::

    <origin>
    <tree size, decimal>
    <root hash, base64>

followed by a blank line and one signature line per key: an em dash, a space, the key name, a space,
and base64(key id || Ed25519 signature of the text). The key id is the first four bytes of
SHA-256(key name || 0x0A || 0x01 || the 32-byte public key).

A party that keeps a checkpoint can later prove any rewrite: a later tree that does not contain the
same first ``size`` leaves has another root at that size, whoever signed it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from safepassage.errors import SafePassageError

__all__ = [
    "EMPTY_ROOT",
    "ORIGIN_PATTERN",
    "Checkpoint",
    "CheckpointError",
    "consistency_proof",
    "frontier_append",
    "frontier_root",
    "inclusion_proof",
    "key_id",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "parse_checkpoint",
    "sign_checkpoint",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()
ORIGIN_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
_ED25519 = b"\x01"


class CheckpointError(SafePassageError):
    """A checkpoint or proof is malformed, signed by another key, or does not match the tree."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes (already ``leaf_hash``-ed), iteratively: O(n) hashes."""
    if not leaves:
        return EMPTY_ROOT
    # The RFC tree of n leaves is the perfect subtrees of n's binary digits, biggest first, folded from the right.
    frontier: list[bytes] = []
    for index, leaf in enumerate(leaves):
        frontier = frontier_append(frontier, index, leaf)
    return frontier_root(frontier)


def frontier_append(frontier: list[bytes], size: int, leaf: bytes) -> list[bytes]:
    """The right edge of a tree of ``size`` leaves (one root per perfect subtree, biggest first) after
    appending ``leaf``: O(log n), so the root after every append costs no walk over the log."""
    out = [*frontier, leaf]
    n = size
    while n & 1:  # each trailing one bit of the old size is a perfect subtree of the new leaf's height
        right = out.pop()
        left = out.pop()
        out.append(node_hash(left, right))
        n >>= 1
    return out


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        root = node_hash(subtree, root)
    return root


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    return merkle_root(leaves[lo:hi])


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 2.1.3.1 (leaves already hashed)."""
    if not 0 <= index < size <= len(leaves):
        raise CheckpointError(f"no leaf {index} in a tree of {size} (the log holds {len(leaves)})")

    def path(m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*path(m, lo, lo + k), _mth(leaves, lo + k, hi)]
        return [*path(m - k, lo + k, hi), _mth(leaves, lo, lo + k)]

    return path(index, 0, size)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2: does ``proof`` put leaf hash ``leaf`` at ``index`` of the tree with ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_proof(leaves: Sequence[bytes], first: int, second: int) -> list[bytes]:
    """PROOF(first, D[0:second]) of RFC 9162 2.1.4.1: the tree of ``second`` leaves extends the tree of ``first``."""
    if not 0 < first <= second <= len(leaves):
        raise CheckpointError(f"no consistency proof from size {first} to {second} (the log holds {len(leaves)})")

    def subproof(m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if whole else [_mth(leaves, lo, hi)]
        k = _split(n)
        if m <= k:
            return [*subproof(m, lo, lo + k, whole), _mth(leaves, lo + k, hi)]
        return [*subproof(m - k, lo + k, hi, False), _mth(leaves, lo, lo + k)]

    return subproof(first, 0, second, True)


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2: is the tree (``second``, ``second_root``) an append-only extension of (``first``, ``first_root``)?"""
    if first == second:
        return not proof and first_root == second_root
    if not 0 < first < second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode("utf-8") + b"\n" + _ED25519 + raw).digest()[:4]


@dataclass(frozen=True)
class Checkpoint:
    """A verified checkpoint: the log (``origin``) had ``size`` entries with Merkle root ``root``."""

    origin: str
    size: int
    root: bytes
    note: str

    @property
    def root_b64(self) -> str:
        return base64.b64encode(self.root).decode("ascii")

    def to_dict(self) -> dict[str, object]:
        return {"origin": self.origin, "size": self.size, "root_hash": self.root_b64}


def sign_checkpoint(origin: str, size: int, root: bytes, key: Ed25519PrivateKey) -> str:
    """The signed note of a checkpoint (text, blank line, one signature line), ending in a newline."""
    if not ORIGIN_PATTERN.match(origin):
        raise CheckpointError(f"checkpoint origin {origin!r} must be letters, digits and . _ / - (no spaces)")
    text = f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"
    signature = key.sign(text.encode("utf-8"))
    stamp = base64.b64encode(key_id(origin, key.public_key()) + signature).decode("ascii")
    return f"{text}\n\u2014 {origin} {stamp}\n"


def parse_checkpoint(note: str, public_key: Ed25519PublicKey, origin: str | None = None) -> Checkpoint:
    """Verify ``note`` with ``public_key`` and return what it commits to; ``CheckpointError`` says why not."""
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise CheckpointError("a checkpoint must not contain control characters other than newline")
    text, separator, signatures = note.partition("\n\n")
    if not separator or not signatures.endswith("\n"):
        raise CheckpointError("not a signed note: the text must be followed by a blank line and signature lines")
    text += "\n"
    lines = text.split("\n")[:-1]
    if len(lines) < 3:
        raise CheckpointError("a checkpoint's text has three lines: origin, tree size, root hash")
    name, size_text, root_text = lines[:3]
    if origin is not None and name != origin:
        raise CheckpointError(f"the checkpoint is of log {name!r}, not {origin!r}")
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise CheckpointError(f"the tree size {size_text!r} is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except ValueError:
        raise CheckpointError("the root hash is not base64") from None
    if len(root) != 32:
        raise CheckpointError("the root hash is not 32 bytes")
    wanted = key_id(name, public_key)
    for line in signatures.split("\n")[:-1]:
        dash, _, rest = line.partition(" ")
        signer, _, stamp = rest.partition(" ")
        if dash != "\u2014" or signer != name:
            continue
        try:
            blob = base64.b64decode(stamp, validate=True)
        except ValueError:
            continue
        if blob[:4] != wanted:
            continue
        try:
            public_key.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise CheckpointError("the checkpoint signature does not verify with the trusted key: it was altered") from None
        return Checkpoint(name, int(size_text), root, note)
    raise CheckpointError(f"the checkpoint carries no signature by the trusted key of {name!r}")
