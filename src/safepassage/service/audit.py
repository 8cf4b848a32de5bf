"""The tamper-evident record: an append-only, hash-chained, signed audit log.

Format of one entry (``safepassage-audit/1``)::

    payload_hash = sha256(canonical(payload))            # payload: the object as written (its public JSON)
    entry_hash   = sha256(canonical({seq, at, actor, action, object_type, object_id, payload_hash, prev_hash}))
    signature    = Ed25519(private key, ascii(entry_hash))   # base64

``canonical(x)`` is JSON with sorted keys, no spaces, UTF-8. ``seq`` counts from 1 with no gaps; the
first entry's ``prev_hash`` is 64 zeros; ``at`` is UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. Every entry
is the head when written, so every entry carries the signature of the head at that moment. The
``audit_head`` row names the newest entry, so deleting the newest entries is detected too.

Verification walks the chain in ``seq`` order and reports the first entry that was modified
(its hash no longer matches), deleted (a gap in ``seq``, or the head names a missing entry),
reordered (a ``prev_hash`` that is not its predecessor's hash, or a hash computed for another
position), or re-hashed without the key (a bad signature).
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

__all__ = [
    "AuditChainError", "AuditLog", "VerifyReport", "GENESIS_HASH", "EXPORT_FORMAT", "canonical_json", "payload_hash",
    "entry_hash", "load_or_create_signing_key", "load_public_key", "public_key_pem", "verify_entries", "verify_export",
]

GENESIS_HASH = "0" * 64
EXPORT_FORMAT = "safepassage-audit-export/1"
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def verify_export(document: Mapping[str, Any], public_key: Ed25519PublicKey) -> VerifyReport:
    """Verify an export (see ``AuditLog.export``) offline, with the deployment's public key alone."""
    if document.get("format") != EXPORT_FORMAT:
        raise AuditChainError(f"not a Safe Passage audit export (format {document.get('format')!r}, expected {EXPORT_FORMAT!r})")
    head = document.get("head") or {}
    report = verify_entries(document.get("entries", []), head, public_key)
    if report.ok and head.get("seq"):
        try:
            public_key.verify(base64.b64decode(head["signature"]), str(head["entry_hash"]).encode("ascii"))
        except (InvalidSignature, ValueError, KeyError):
            return VerifyReport(False, report.entries, report.head_seq, report.head_hash, int(head["seq"]), "the head signature does not verify with this public key")
    return report


HEAD_KEY = "safepassage.audit_head"


def lock_head(session: Session) -> dict[str, Any]:
    """Lock the chain head row until the transaction ends (SQLite: the write transaction already
    holds the database lock) and return its ``seq`` and ``entry_hash``."""
    head = session.execute(select(AuditHead.seq, AuditHead.entry_hash).where(AuditHead.id == 1).with_for_update()).one()
    return {"seq": head.seq, "entry_hash": head.entry_hash}


def store_head(session: Session, head: dict[str, Any]) -> None:
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=head["seq"], entry_hash=head["entry_hash"]))


class AuditLog:
    """Appends to and verifies the chain of one deployment (holds its signing key)."""

    def __init__(self, signing_key: Ed25519PrivateKey, deployment: str = "safepassage") -> None:
        self._key = signing_key
        self.public_key = signing_key.public_key()
        self.deployment = deployment

    def append(self, session: Session, *, actor: str, action: str, object_type: str, object_id: str | int, payload: Any) -> AuditEntry:
        """Append one entry inside the caller's transaction; it commits (or not) with the write it records.

        Appends are serialised on the head row: locked here, or once per batch by ``WriteBatcher``
        (which keeps the head in ``session.info[HEAD_KEY]`` and stores it at the end of the batch).
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
        head["seq"], head["entry_hash"] = entry.seq, digest
        if batched is None:
            store_head(session, head)
        return entry

    @staticmethod
    def rows(session: Session) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        entries = [{name: getattr(row, name) for name in ENTRY_FIELDS} for row in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()]
        head = session.get(AuditHead, 1)
        return entries, (None if head is None else {"seq": head.seq, "entry_hash": head.entry_hash})

    def verify(self, session: Session) -> VerifyReport:
        """Check the whole chain in the database."""
        entries, head = self.rows(session)
        if head is None:
            return VerifyReport(False, 0, 0, GENESIS_HASH, 0, "the audit head row is missing: deleted")
        return verify_entries(entries, head, self.public_key)

    def export(self, session: Session) -> dict[str, Any]:
        """A document any party can verify offline with the public key (``verify_export``)."""
        entries, head = self.rows(session)
        head = head or {"seq": 0, "entry_hash": GENESIS_HASH}
        signature = base64.b64encode(self._key.sign(head["entry_hash"].encode("ascii"))).decode("ascii")
        return {
            "format": EXPORT_FORMAT,
            "deployment": self.deployment,
            "exported_at": utc_stamp(),
            "algorithms": {"hash": "sha256", "signature": "ed25519", "canonical_json": "sorted keys, separators (',', ':'), UTF-8"},
            "hashed_fields": list(HASHED_FIELDS),
            "public_key_pem": public_key_pem(self.public_key),
            "head": {**head, "signature": signature},
            "entries": entries,
        }
