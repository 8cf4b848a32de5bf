"""The tamper-evident record: an append-only, hash-chained, signed audit log kept as a transparency log.

Format of one entry (``safepassage-audit/1``)::

    payload_hash = sha256(canonical(payload))            # payload: the object as written (its public JSON)
    entry_hash   = sha256(canonical({seq, at, actor, action, object_type, object_id, payload_hash, prev_hash}))
    signature    = Ed25519(private key, ascii(entry_hash))   # base64

``canonical(x)`` is JSON with sorted keys, no spaces, UTF-8. ``seq`` counts from 1 with no gaps; the
first entry's ``prev_hash`` is 64 zeros; ``at`` is UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

The entries are also the leaves of a Merkle tree (``transparency``: RFC 9162 hashing, leaf data = the
entry's canonical JSON). After every committed batch of writes the service signs a checkpoint (C2SP
signed note: origin, tree size, root) and keeps it in the ``audit_head`` row with the tree's right edge.
Every response carries the latest checkpoint (header ``Safepassage-Checkpoint``, base64 of the note).
A party that keeps one can prove any later truncation or rewrite, even one re-signed with a stolen key:
the later log's first ``size`` entries no longer hash to the root it holds.

Verification walks the chain in ``seq`` order and reports the first entry that was modified
(its hash no longer matches), deleted (a gap in ``seq``, or the head names a missing entry),
reordered (a ``prev_hash`` that is not its predecessor's hash), or re-hashed without the key (a bad
signature); then checks the Merkle root against the signed checkpoint, and against a checkpoint a
party holds. ``audit_rows`` checks the data rows against their logged payloads.

An export (``safepassage-audit-export/2``) is signed whole: entries, checkpoint, ``exported_at`` and
``deployment``, so no prefix or edited copy of it verifies.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from safepassage.errors import SafePassageError
from safepassage.service.models import AuditEntry, AuditHead
from safepassage.service.transparency import (
    Checkpoint,
    CheckpointError,
    frontier_append,
    frontier_root,
    leaf_hash,
    merkle_root,
    parse_checkpoint,
    sign_checkpoint,
)

__all__ = [
    "CHECKPOINT_HEADER",
    "EXPORT_FORMAT",
    "GENESIS_HASH",
    "AuditChainError",
    "AuditLog",
    "VerifyReport",
    "canonical_json",
    "entry_hash",
    "entry_leaf",
    "load_or_create_signing_key",
    "load_public_key",
    "payload_hash",
    "public_key_pem",
    "verify_database",
    "verify_entries",
    "verify_export",
]

GENESIS_HASH = "0" * 64
EXPORT_FORMAT = "safepassage-audit-export/2"
CHECKPOINT_HEADER = "Safepassage-Checkpoint"
HASHED_FIELDS = ("seq", "at", "actor", "action", "object_type", "object_id", "payload_hash", "prev_hash")
ENTRY_FIELDS = (*HASHED_FIELDS, "entry_hash", "signature")


class AuditChainError(SafePassageError):
    """The audit chain does not verify: an entry was modified, deleted or reordered."""


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def payload_hash(payload: Any) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def entry_hash(entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json({name: entry[name] for name in HASHED_FIELDS})).hexdigest()


def entry_leaf(entry: Mapping[str, Any]) -> bytes:
    """The entry's Merkle leaf hash: ``leaf_hash`` of the same canonical JSON ``entry_hash`` hashes."""
    return leaf_hash(canonical_json({name: entry[name] for name in HASHED_FIELDS}))


def utc_stamp(moment: dt.datetime | None = None) -> str:
    moment = (moment or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The deployment's Ed25519 key from a PEM file, created (mode 0600) on first use."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise AuditChainError(f"{path}: not an Ed25519 private key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode("ascii") if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise AuditChainError("the public key is not an Ed25519 key")
    return key


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of a verification: ``ok``, how many entries were checked, and the first bad one."""

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str = ""
    checkpoint: dict[str, Any] | None = None
    row_problems: tuple[str, ...] = ()

    def with_problem(self, problem: str, seq: int | None = None) -> VerifyReport:
        return VerifyReport(False, self.entries, self.head_seq, self.head_hash, seq, problem, self.checkpoint, self.row_problems)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["row_problems"] = list(self.row_problems)
        return out


def verify_entries(entries: Iterable[Mapping[str, Any]], head: Mapping[str, Any] | None, public_key: Ed25519PublicKey) -> VerifyReport:
    """Check a chain given in ``seq`` order against the head (``{seq, entry_hash}``) and the key."""
    expected_seq, previous, count = 1, GENESIS_HASH, 0

    def bad(seq: int, problem: str) -> VerifyReport:
        return VerifyReport(False, count, int(head["seq"]) if head else count, head["entry_hash"] if head else previous, seq, problem)

    for entry in entries:
        seq = int(entry["seq"])
        if seq != expected_seq:
            if seq > expected_seq:
                missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
                return bad(expected_seq, f"entry {missing} missing: deleted")
            return bad(seq, f"entry {seq} out of order after entry {expected_seq - 1}: reordered")
        if entry_hash(entry) != entry["entry_hash"]:
            return bad(seq, f"entry {seq} does not match its hash: modified, or moved from another position")
        if entry["prev_hash"] != previous:
            return bad(seq, f"entry {seq} does not follow entry {seq - 1} (prev_hash differs): reordered, or an entry before it was replaced")
        try:
            public_key.verify(base64.b64decode(entry["signature"]), entry["entry_hash"].encode("ascii"))
        except (InvalidSignature, ValueError):
            return bad(seq, f"entry {seq} has no valid signature of the deployment key: rewritten without the key")
        previous, expected_seq, count = entry["entry_hash"], expected_seq + 1, count + 1
    if head is not None:
        head_seq = int(head["seq"])
        if head_seq > count:
            return bad(count + 1, f"the head names entry {head_seq} but the chain ends at {count}: entries {count + 1}–{head_seq} deleted")
        if head_seq < count:
            return bad(head_seq + 1, f"entries after {head_seq} are not covered by the head: appended outside the service")
        if head["entry_hash"] != previous:
            return bad(head_seq, f"the head's hash does not match entry {head_seq}: modified")
    return VerifyReport(True, count, count, previous)


def check_tree(report: VerifyReport, leaves: list[bytes], note: str, public_key: Ed25519PublicKey, origin: str | None, held: str | None) -> VerifyReport:
    """Check a chain that verified (``report``) as a Merkle tree: the signed checkpoint ``note`` must
    commit to exactly these leaves, and a checkpoint a party ``held`` must be a prefix of them."""
    if not report.ok:
        return report
    try:
        checkpoint = parse_checkpoint(note, public_key, origin)
    except CheckpointError as exc:
        return report.with_problem(f"the latest checkpoint does not verify: {exc}", report.head_seq)
    report = VerifyReport(True, report.entries, report.head_seq, report.head_hash, None, "", checkpoint.to_dict())
    if checkpoint.size != len(leaves):
        return report.with_problem(f"the signed checkpoint is for {checkpoint.size} entries but the log holds {len(leaves)}: "
                                   + ("entries were deleted" if checkpoint.size > len(leaves) else "entries were added outside the service"),
                                   min(checkpoint.size, len(leaves)) + 1)
    if merkle_root(leaves) != checkpoint.root:
        return report.with_problem("the Merkle root of the entries differs from the signed checkpoint's root: an entry was rewritten", None)
    if held is None:
        return report
    try:
        kept = parse_checkpoint(held, public_key, origin)
    except CheckpointError as exc:
        raise AuditChainError(f"the checkpoint you hold does not verify with the trusted key ({exc}): it is not from this log") from None
    if kept.size > len(leaves):
        return report.with_problem(f"truncated: you hold a checkpoint of {kept.size} entries, the log now has {len(leaves)}", len(leaves) + 1)
    if merkle_root(leaves[:kept.size]) != kept.root:
        return report.with_problem(f"rewritten: the first {kept.size} entries no longer hash to the root of the checkpoint you hold "
                                   "(history was changed after you received it, whoever signed the later log)", None)
    return report


def export_signature_input(document: Mapping[str, Any]) -> bytes:
    """What an export's ``signature`` signs: the canonical JSON of the whole document without it."""
    return canonical_json({k: v for k, v in document.items() if k != "signature"})


def verify_export(document: Mapping[str, Any], public_key: Ed25519PublicKey, held: str | None = None) -> VerifyReport:
    """Verify an export (see ``AuditLog.export``) offline, with the deployment's public key alone, and
    against a checkpoint the verifier kept (``held``: its signed note), if any."""
    if document.get("format") != EXPORT_FORMAT:
        raise AuditChainError(f"not a Safe Passage audit export (format {document.get('format')!r}, expected {EXPORT_FORMAT!r})")
    entries = list(document.get("entries", []))
    head = document.get("head") or {}
    try:
        public_key.verify(base64.b64decode(str(document.get("signature", ""))), export_signature_input(document))
    except (InvalidSignature, ValueError):
        return VerifyReport(False, len(entries), int(head.get("seq", 0) or 0), str(head.get("entry_hash", "")), None,
                            "the export signature does not verify with this public key: the export (its entries, checkpoint, "
                            "exported_at or deployment) was altered, cut, or signed by another key")
    if int(document.get("first_seq", 1)) != 1:
        raise AuditChainError("this export is one page of the log (first_seq > 1): verify a whole export (no ?after=)")
    report = verify_entries(entries, head, public_key)
    leaves = [entry_leaf(e) for e in entries]
    return check_tree(report, leaves, str(document.get("checkpoint", "")), public_key, None, held)


def verify_database(session: Session, public_key: Ed25519PublicKey, held: str | None = None) -> VerifyReport:
    """``AuditLog.verify`` with the public key alone (a witness or a party checking a copy of the database)."""
    entries, head = AuditLog.rows(session)
    if head is None:
        return VerifyReport(False, 0, 0, GENESIS_HASH, 0, "the audit head row is missing: deleted")
    report = verify_entries(entries, head, public_key)
    return check_tree(report, [entry_leaf(e) for e in entries], head["checkpoint"], public_key, None, held)


HEAD_KEY = "safepassage.audit_head"


def lock_head(session: Session) -> dict[str, Any]:
    """Lock the chain head row until the transaction ends (SQLite: the write transaction already
    holds the database lock) and return its ``seq``, ``entry_hash`` and Merkle ``frontier``."""
    head = session.execute(select(AuditHead.seq, AuditHead.entry_hash, AuditHead.tree_frontier).where(AuditHead.id == 1).with_for_update()).one()
    return {"seq": head.seq, "entry_hash": head.entry_hash, "frontier": [bytes.fromhex(h) for h in head.tree_frontier or []]}


class AuditLog:
    """Appends to and verifies the log of one deployment (holds its signing key)."""

    def __init__(self, signing_key: Ed25519PrivateKey, deployment: str = "safepassage") -> None:
        self._key = signing_key
        self.public_key = signing_key.public_key()
        self.deployment = deployment
        self.origin = f"{deployment}/audit"
        self.latest_checkpoint = ""  # the newest committed checkpoint this instance knows (signed note)

    def append(self, session: Session, *, actor: str, action: str, object_type: str, object_id: str | int, payload: Any) -> AuditEntry:
        """Append one entry inside the caller's transaction; it commits (or not) with the write it records.

        Appends are serialised on the head row: locked here, or once per batch by ``WriteBatcher``
        (which keeps the head in ``session.info[HEAD_KEY]`` and stores it at the end of the batch).
        A caller appending outside a batch calls ``publish(note)`` with the returned checkpoint after commit
        (see ``session.info["safepassage.checkpoint"]``).
        """
        batched = session.info.get(HEAD_KEY)
        head = batched if batched is not None else lock_head(session)
        fields = {
            "seq": head["seq"] + 1,
            "at": utc_stamp(),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "payload_hash": payload_hash(payload),
            "prev_hash": head["entry_hash"],
        }
        digest = entry_hash(fields)
        signature = base64.b64encode(self._key.sign(digest.encode("ascii"))).decode("ascii")
        entry = AuditEntry(**fields, entry_hash=digest, signature=signature)
        session.add(entry)
        head["frontier"] = frontier_append(head["frontier"], head["seq"], entry_leaf(fields))
        head["seq"], head["entry_hash"] = entry.seq, digest
        if batched is None:
            session.info["safepassage.checkpoint"] = self.store_head(session, head)
        return entry

    def store_head(self, session: Session, head: dict[str, Any]) -> str:
        """Write the head and a new signed checkpoint for it; returns the checkpoint (publish it after commit)."""
        note = sign_checkpoint(self.origin, head["seq"], frontier_root(head["frontier"]), self._key)
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(
            seq=head["seq"], entry_hash=head["entry_hash"], tree_frontier=[h.hex() for h in head["frontier"]], checkpoint=note))
        return note

    def publish(self, note: str | None) -> None:
        """Remember ``note`` as the latest checkpoint once its transaction has committed."""
        if note:
            self.latest_checkpoint = note

    def refresh(self, session: Session) -> str:
        """Load the newest checkpoint from the database; sign one first if the head has none for its size
        (a log migrated from format 1, or a tree never checkpointed)."""
        head = session.get(AuditHead, 1)
        if head is None:
            return ""
        if not head.checkpoint or self._checkpoint_size(head.checkpoint) != head.seq:
            with session.begin_nested():
                locked = lock_head(session)
                if len(locked["frontier"]) != int(locked["seq"]).bit_count():
                    leaves = [entry_leaf(e) for e in self.rows(session)[0]]
                    frontier: list[bytes] = []
                    for index, leaf in enumerate(leaves):
                        frontier = frontier_append(frontier, index, leaf)
                    locked["frontier"] = frontier
                note = self.store_head(session, locked)
            session.commit()
            self.publish(note)
            return note
        self.publish(head.checkpoint)
        return head.checkpoint

    @staticmethod
    def _checkpoint_size(note: str) -> int:
        lines = note.split("\n")
        return int(lines[1]) if len(lines) > 2 and lines[1].isdigit() else -1

    def checkpoint(self, session: Session) -> Checkpoint:
        head = session.get(AuditHead, 1)
        return parse_checkpoint(head.checkpoint if head else "", self.public_key, self.origin)

    @staticmethod
    def rows(session: Session, after: int = 0, limit: int | None = None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        query = select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq)
        if limit is not None:
            query = query.limit(limit)
        entries = [{name: getattr(row, name) for name in ENTRY_FIELDS} for row in session.execute(query).scalars()]
        head = session.get(AuditHead, 1)
        return entries, (None if head is None else {"seq": head.seq, "entry_hash": head.entry_hash, "checkpoint": head.checkpoint})

    def leaves(self, session: Session) -> list[bytes]:
        return [entry_leaf(e) for e in self.rows(session)[0]]

    def verify(self, session: Session, held: str | None = None) -> VerifyReport:
        """Check the whole chain in the database, its Merkle tree against the signed checkpoint, and
        against a checkpoint a party ``held`` (a signed note), if given."""
        return verify_database(session, self.public_key, held)

    def export(self, session: Session, after: int = 0, limit: int | None = None) -> dict[str, Any]:
        """A document any party can verify offline with the public key (``verify_export``), signed whole.

        ``after``/``limit`` give one page of the log (cursor: the last ``seq`` of the previous page); only
        a whole export (``after=0``, no limit) verifies on its own."""
        entries, head = self.rows(session, after, limit)
        head = head or {"seq": 0, "entry_hash": GENESIS_HASH, "checkpoint": ""}
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "deployment": self.deployment,
            "origin": self.origin,
            "exported_at": utc_stamp(),
            "algorithms": {"hash": "sha256", "signature": "ed25519", "canonical_json": "sorted keys, separators (',', ':'), UTF-8",
                           "merkle_tree": "RFC 9162 2.1 (leaf 0x00, node 0x01; leaf data = canonical JSON of hashed_fields)",
                           "checkpoint": "C2SP tlog-checkpoint in a C2SP signed-note (Ed25519)"},
            "hashed_fields": list(HASHED_FIELDS),
            "public_key_pem": public_key_pem(self.public_key),
            "head": {"seq": head["seq"], "entry_hash": head["entry_hash"]},
            "checkpoint": head["checkpoint"],
            "first_seq": after + 1,
            "next_after": entries[-1]["seq"] if limit is not None and len(entries) == limit and entries[-1]["seq"] < head["seq"] else None,
            "entries": entries,
        }
        document["signature"] = base64.b64encode(self._key.sign(export_signature_input(document))).decode("ascii")
        return document
