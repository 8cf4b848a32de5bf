"""The audit record over HTTP: verify the chain, export it for offline checking, fetch the public key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from safepassage.service.api.deps import AuditReader, ServicesDep, SessionDep
from safepassage.service.audit import public_key_pem
from safepassage.service.schemas import AuditVerifyPublic

router = APIRouter(tags=["audit"])


@router.get("/audit/verify", response_model=AuditVerifyPublic)
def verify(user: AuditReader, services: ServicesDep, session: SessionDep) -> dict[str, Any]:
    """Check the whole chain; ``first_bad_seq`` names the first entry modified, deleted or reordered."""
    return services.audit.verify(session).to_dict()


@router.get("/audit/export")
def export(user: AuditReader, services: ServicesDep, session: SessionDep) -> dict[str, Any]:
    """The chain with a signed head, verifiable offline with the public key alone
    (``safepassage audit verify --export FILE --public-key KEY.pem``)."""
    return services.audit.export(session)


@router.get("/audit/public-key", response_class=PlainTextResponse)
def public_key(services: ServicesDep) -> str:
    """The deployment's Ed25519 public key (PEM). Publish it where the parties can fetch it independently."""
    return public_key_pem(services.audit.public_key)
