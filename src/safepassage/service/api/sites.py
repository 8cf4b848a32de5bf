"""Static sites and each party's deconfliction list. A site is notified to its parties when it is
added, and every change is notified again as a new version with its diff, like a movement.

Sites are exact positions of sensitive places: they are read only through these authenticated routes
(a party liaison sees only the sites notified to their party) and never appear in public outputs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from safepassage.service.api.deps import (
    NotificationReader,
    NotificationWriter,
    ServicesDep,
    SessionDep,
    WriteOutcome,
    WriterDep,
)
from safepassage.service.api.errors import not_found
from safepassage.service.auth import Principal, Role
from safepassage.service.hns_store import check_not_expired, check_parties, new_version, payload, send
from safepassage.service.models import HnsAddressee, HnsNotification, StaticSite, utcnow
from safepassage.service.pagination import DEFAULT_LIMIT, PAGINATION_HEADERS, After, Limit, next_page
from safepassage.service.schemas import (
    MAX_ID,
    HnsNotificationPublic,
    SiteContent,
    StaticSiteCreate,
    StaticSitePublic,
    StaticSiteUpdate,
)

router = APIRouter(tags=["static sites"])
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _current(session: Session, site_id: int, viewer: Principal | None = None) -> HnsNotification | None:
    """The newest version of the site's notification the viewer may see (sent to their party, for a liaison)."""
    query = select(HnsNotification).where(HnsNotification.site_id == site_id).order_by(HnsNotification.version.desc()).limit(1)
    if viewer is not None and viewer.role == Role.party_liaison:
        query = query.where(HnsNotification.state != "draft", exists().where(HnsAddressee.hns_notification_id == HnsNotification.id, HnsAddressee.party_id == viewer.party_id))
    return session.execute(query).scalar_one_or_none()


def _site_public(site: StaticSite, current: HnsNotification) -> dict[str, Any]:
    return StaticSitePublic(id=site.id, content=current.content, current_notification_id=current.id, version=current.version,
                            created_at=site.created_at, updated_at=site.updated_at).model_dump(mode="json")


def _apply(site: StaticSite, content: SiteContent) -> None:
    site.organisation, site.name, site.site_kind = content.organisation, content.name, content.site_kind
    site.lon, site.lat, site.valid_from, site.valid_until = content.lon, content.lat, content.valid_from, content.valid_until
    site.updated_at = utcnow()


@router.post("/sites", response_model=HnsNotificationPublic, status_code=201)
def add_site(body: StaticSiteCreate, user: NotificationWriter, write: WriterDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    """Put a site on the deconfliction list of the given parties and notify them of it at once."""

    def perform(session: Session) -> WriteOutcome:
        check_parties(session, body.party_ids)
        check_not_expired(body.content.valid_until, ["body", "content", "valid_until"], utcnow())
        site = StaticSite(created_by=user.id, created_at=utcnow())
        _apply(site, body.content)
        session.add(site)
        session.flush()
        row = new_version(session, user, kind="site", content=body.content.model_dump(mode="json"), party_ids=body.party_ids,
                          window=(body.content.valid_from, body.content.valid_until), expires_at=body.content.valid_until, emergency=False, site_id=site.id)
        send(session, user, row, services.settings, None, None)
        return WriteOutcome("hns_notification", row.id, payload(session, row))

    return write.run(user, "site.add", body, perform)


@router.patch("/sites/{site_id}", response_model=HnsNotificationPublic)
def change_site(site_id: PathId, body: StaticSiteUpdate, user: NotificationWriter, write: WriterDep, services: ServicesDep):  # type: ignore[no-untyped-def]
    """Change a site: the change is notified to the same parties as a new version, with its diff."""

    def perform(session: Session) -> WriteOutcome:
        site = session.get(StaticSite, site_id, with_for_update=True)
        current = _current(session, site_id) if site is not None else None
        if site is None or current is None:
            raise not_found("site", site_id)
        check_not_expired(body.content.valid_until, ["body", "content", "valid_until"], utcnow())
        _apply(site, body.content)
        row = new_version(session, user, kind="site", content=body.content.model_dump(mode="json"), party_ids=[a.party_id for a in current.addressees],
                          window=(body.content.valid_from, body.content.valid_until), expires_at=body.content.valid_until, emergency=False, site_id=site.id,
                          previous=current, change_reason=body.change_reason)
        send(session, user, row, services.settings, None, None)
        return WriteOutcome("hns_notification", row.id, payload(session, row), status.HTTP_200_OK)

    return write.run(user, "site.change", {"site_id": site_id, **body.model_dump(mode="json")}, perform)


@router.get("/sites", response_model=list[StaticSitePublic], responses={200: {"headers": PAGINATION_HEADERS}})
def list_sites(user: NotificationReader, session: SessionDep, request: Request, response: Response,
               limit: Limit = DEFAULT_LIMIT, after: After = 0) -> list[dict[str, Any]]:
    """Sites, each as last notified, a page at a time (keyset on the site id); a party liaison gets only
    the sites notified to their party."""
    shown: list[tuple[StaticSite, HnsNotification]] = []
    for site in session.execute(select(StaticSite).where(StaticSite.id > after).order_by(StaticSite.id)).scalars():
        current = _current(session, site.id, user)
        if current is not None:
            shown.append((site, current))
            if len(shown) > limit:
                break
    return [_site_public(site, current) for site, current in next_page(shown, limit, lambda r: r[0].id, request, response)]


@router.get("/sites/{site_id}", response_model=StaticSitePublic)
def get_site(site_id: PathId, user: NotificationReader, session: SessionDep) -> dict[str, Any]:
    site = session.get(StaticSite, site_id)
    current = _current(session, site_id, user) if site is not None else None
    if site is None or current is None:
        raise not_found("site", site_id)
    return _site_public(site, current)


@router.get("/parties/{party_id}/deconfliction-list", response_model=list[HnsNotificationPublic])
def deconfliction_list(party_id: PathId, user: NotificationReader, session: SessionDep) -> list[dict[str, Any]]:
    """The sites notified to a party, as last notified (the sent version), with its confirmations."""
    if user.role == Role.party_liaison and user.party_id != party_id:
        raise not_found("party", party_id)
    query = (select(HnsNotification).where(HnsNotification.kind == "site", HnsNotification.state == "sent",
                                           exists().where(HnsAddressee.hns_notification_id == HnsNotification.id, HnsAddressee.party_id == party_id))
             .order_by(HnsNotification.site_id))
    now = utcnow()
    return [payload(session, n, user, now) for n in session.execute(query).scalars()]


__all__ = ["router"]
