"""The audit record over HTTP: verify the log (chain, Merkle tree, data rows), export it for offline
checking, fetch the latest signed checkpoint, inclusion and consistency proofs, and the public key."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from safepassage.service.api.deps import AuditReader, CurrentUser, ServicesDep, SessionDep
from safepassage.service.api.errors import unprocessable
from safepassage.service.audit import public_key_pem
from safepassage.service.audit_rows import check_rows
from safepassage.service.schemas import AuditVerifyPublic
from safepassage.service.transparency import CheckpointError, consistency_proof, inclusion_proof

router = APIRouter(tags=["audit"])
Size = Annotated[int, Query(ge=1, le=2**62)]


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(item).decode("ascii") for item in items]


@router.get("/audit/verify", response_model=AuditVerifyPublic)
def verify(user: AuditReader, services: ServicesDep, session: SessionDep) -> dict[str, Any]:
    """Check the chain, the Merkle tree against the signed checkpoint, and every data row against its
    logged payload; ``first_bad_seq`` names the first bad entry, ``row_problems`` the edited rows."""
    report = services.audit.verify(session)
    problems = check_rows(session, services.audit.rows(session)[0])
    if problems and report.ok:
        report = report.with_problem(f"{len(problems)} data row(s) differ from the audit log: {problems[0]}")
    out = report.to_dict()
    out["row_problems"] = problems
    return out


@router.get("/audit/export")
def export(
    user: AuditReader, services: ServicesDep, session: SessionDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="Cursor: the last seq of the previous page (0: from the start).")] = 0,
    limit: Annotated[int | None, Query(ge=1, le=100_000, description="Entries per page (default: all).")] = None,
) -> dict[str, Any]:
    """The log with its signed checkpoint, signed whole, verifiable offline with the public key alone
    (``safepassage audit verify --export FILE --public-key KEY.pem [--checkpoint HELD]``). Pages
    (``limit``) follow ``next_after``; only the whole log verifies on its own."""
    return services.audit.export(session, after, limit)


@router.get("/audit/checkpoint", response_class=PlainTextResponse)
def checkpoint(user: CurrentUser, services: ServicesDep, session: SessionDep) -> str:
    """The latest signed checkpoint (C2SP signed note: origin, tree size, root hash). Keep it: a later
    export that does not extend it proves the log was rewritten."""
    return services.audit.checkpoint(session).note


@router.get("/audit/proof/inclusion")
def prove_inclusion(user: CurrentUser, services: ServicesDep, session: SessionDep, seq: Size, size: Size) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry ``seq`` in the tree of the first ``size`` entries."""
    try:
        leaves = services.audit.leaves(session)
        return {"seq": seq, "leaf_index": seq - 1, "tree_size": size, "proof": _b64(inclusion_proof(leaves, seq - 1, size))}
    except CheckpointError as exc:
        raise unprocessable(["query", "seq"], str(exc)) from None


@router.get("/audit/proof/consistency")
def prove_consistency(user: CurrentUser, services: ServicesDep, session: SessionDep, first: Size, second: Size) -> dict[str, Any]:
    """RFC 9162 consistency proof: the tree of ``second`` entries extends the tree of ``first`` entries."""
    try:
        return {"first": first, "second": second, "proof": _b64(consistency_proof(services.audit.leaves(session), first, second))}
    except CheckpointError as exc:
        raise unprocessable(["query", "first"], str(exc)) from None


@router.get("/audit/public-key", response_class=PlainTextResponse)
def public_key(services: ServicesDep) -> str:
    """The deployment's Ed25519 public key (PEM). Publish it where the parties can fetch it independently."""
    return public_key_pem(services.audit.public_key)
