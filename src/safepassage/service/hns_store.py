"""Records of humanitarian notifications (HNS): versions, sending, confirmations, responses, leg
clearances and their public views. Routes call these; they raise the HTTP errors of ``api.errors``.

Rules kept here:

- A version is a draft until sent. Sending supersedes the version sent before it and flags a notice
  shorter than the deployment's period (``Settings.notice_hours``; ``emergency_notice_hours``) as late.
- A new version's diff is against the last version every addressee confirmed receiving (else the
  previous version); the diff goes into the audit entry's payload with the version.
- Nothing is answered on a draft, a superseded version or an expired one.
- Receipt and dissemination are confirmed separately, each time-stamped with who confirmed; a missing
  one is overdue past its deadline and escalated by the sweep. Nothing is ever blocked by them.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from safepassage.interop.hns import (
    MovementContent,
    content_diff,
    missing_fields,
    notice_check,
    route_problems,
    waypoint_places,
)
from safepassage.scenario import Scenario, parse_scenario
from safepassage.service.api.errors import conflict, not_found, unprocessable
from safepassage.service.auth import Principal, Role
from safepassage.service.lifecycle import MovementStatus, can_transition
from safepassage.service.models import (
    HnsAddressee,
    HnsNotification,
    LegClearance,
    Movement,
    MovementStatusChange,
    Party,
    PlanRecord,
    ScenarioRecord,
    utcnow,
)
from safepassage.service.schemas import HnsNotificationPublic
from safepassage.service.settings import Settings

__all__ = [
    "CONFIRMATION_ORDER",
    "DISSEMINATION_BEFORE_DEPARTURE",
    "RECEIPT_WITHIN",
    "answerable",
    "check_parties",
    "check_route",
    "get_visible",
    "last_acknowledged",
    "new_version",
    "overdue_confirmations",
    "payload",
    "scenario_of",
    "send",
    "series_versions",
    "visible",
]

RECEIPT_WITHIN = dt.timedelta(hours=1)
DISSEMINATION_BEFORE_DEPARTURE = dt.timedelta(hours=2)


@functools.lru_cache(maxsize=8)
def _parse(yaml_text: str, source: str) -> Scenario:
    return parse_scenario(yaml_text, source=source)


def scenario_of(session: Session, scenario_id: int) -> Scenario:
    record = session.get(ScenarioRecord, scenario_id)
    if record is None:
        raise unprocessable(["body", "scenario_id"], f"no scenario {scenario_id}")
    return _parse(record.yaml_text, f"scenario {record.id}")


def check_parties(session: Session, party_ids: list[int]) -> None:
    """422 naming the first unknown party (``["body", "party_ids", i]``)."""
    found = set(session.execute(select(Party.id).where(Party.id.in_(party_ids))).scalars())
    for index, party_id in enumerate(party_ids):
        if party_id not in found:
            raise unprocessable(["body", "party_ids", index], f"no party {party_id}: give the id of a registered party (GET /parties)")


def check_route(scenario: Scenario, coordinates: list[list[float]] | list[tuple[float, float]], loc: list[str | int]) -> list[str]:
    """The place ids of a route that follows the scenario's roads; else a 422 at ``loc + [index]``."""
    problems = route_problems(scenario, coordinates)
    if problems:
        index, message = problems[0]
        raise unprocessable([*loc, index], message)
    return [p for p in waypoint_places(scenario, coordinates) if p is not None]


def check_not_expired(expires_at: dt.datetime, loc: list[str | int], now: dt.datetime) -> None:
    if expires_at <= now:
        raise unprocessable(loc, f"the notification expired at {expires_at.isoformat()}: give an expires_at after now, or draft a new version")


def movement_scenario_id(session: Session, movement: Movement, given: int | None) -> int:
    if given is not None:
        return given
    plan = session.get(PlanRecord, movement.plan_id) if movement.plan_id else None
    if plan is None:
        raise unprocessable(["body", "scenario_id"], f"movement {movement.id} is not from a plan: give scenario_id, whose roads the route must follow")
    return plan.scenario_id


def last_acknowledged(session: Session, series_id: int, below_version: int) -> HnsNotification | None:
    """The newest earlier version that every addressee confirmed receiving."""
    versions = session.execute(
        select(HnsNotification).where(HnsNotification.series_id == series_id, HnsNotification.version < below_version, HnsNotification.sent_at.is_not(None))
        .order_by(HnsNotification.version.desc())
    ).scalars()
    for version in versions:
        if version.addressees and all(a.receipt_at is not None for a in version.addressees):
            return version
    return None


def series_versions(session: Session, series_id: int) -> list[HnsNotification]:
    return list(session.execute(select(HnsNotification).where(HnsNotification.series_id == series_id).order_by(HnsNotification.version)).scalars())


def new_version(
    session: Session, user: Principal, *, kind: str, content: dict[str, Any], party_ids: list[int], window: tuple[dt.datetime, dt.datetime],
    expires_at: dt.datetime, emergency: bool, movement_id: int | None = None, site_id: int | None = None, scenario_id: int | None = None,
    previous: HnsNotification | None = None, change_reason: str = "",
) -> HnsNotification:
    """A draft: version 1 of a new series, or the version after ``previous`` with its diff."""
    row = HnsNotification(
        kind=kind, movement_id=movement_id, site_id=site_id, scenario_id=scenario_id, content=content, window_start=window[0], window_end=window[1],
        expires_at=expires_at, emergency=emergency, state="draft", change_reason=change_reason, created_by=user.id, created_at=utcnow(),
        version=1 if previous is None else 0,
    )
    row.addressees = [HnsAddressee(party_id=p) for p in party_ids]
    if previous is not None:
        series = previous.series_id or previous.id
        latest = max(v.version for v in series_versions(session, series))
        row.series_id, row.version = series, latest + 1
        base = last_acknowledged(session, series, row.version) or previous
        row.diff, row.diff_base_id = content_diff(base.content, content), base.id
    session.add(row)
    session.flush()
    if row.series_id is None:
        row.series_id = row.id
    for addressee in row.addressees:
        addressee.hns_notification_id = row.id
    return row


def send(session: Session, user: Principal, row: HnsNotification, settings: Settings, receipt_due: dt.datetime | None, dissemination_due: dt.datetime | None) -> None:
    """Send a draft: supersede the version sent before it, check the notice, set the two deadlines."""
    if row.state != "draft":
        raise conflict(f"notification {row.id} is {row.state}: only a draft is sent (draft a new version to change it)")
    now = utcnow()
    check_not_expired(row.expires_at, ["content", "expires_at"], now)
    for earlier in series_versions(session, row.series_id or row.id):
        if earlier.id != row.id and earlier.state == "sent":
            earlier.state = "superseded"
    row.state, row.sent_at, row.sent_by = "sent", now, user.id
    if row.kind == "movement":
        row.notice = notice_check(row.window_start, now, row.emergency, settings.notice_hours, settings.emergency_notice_hours)
    row.receipt_due = receipt_due or max(now, min(now + RECEIPT_WITHIN, row.window_start))
    row.dissemination_due = dissemination_due or max(row.receipt_due, row.window_start - DISSEMINATION_BEFORE_DEPARTURE)
    move_movement(session, row, (MovementStatus.requested,), MovementStatus.notified, user.id, f"humanitarian notification {row.id} sent")
    session.flush()


def move_movement(session: Session, row: HnsNotification, when: tuple[MovementStatus, ...], target: MovementStatus, user_id: int, reason: str) -> None:
    """Move the notified movement to ``target`` if it is in one of the ``when`` states (else leave it:
    a notification never holds a movement back nor pushes it past what was recorded)."""
    movement = session.get(Movement, row.movement_id, with_for_update=True) if row.movement_id is not None else None
    if movement is None or movement.status not in when or not can_transition(movement.status, target):
        return
    movement.history.append(MovementStatusChange(movement_id=movement.id, from_status=movement.status, to_status=target.value, reason=reason, changed_by=user_id))
    movement.status, movement.updated_at = target.value, utcnow()


def visible(user: Principal) -> Select[HnsNotification]:
    """What ``user`` may see: everything for staff; for a liaison, sent versions addressed to their party."""
    query = select(HnsNotification)
    if user.role == Role.party_liaison:
        query = query.where(HnsNotification.state != "draft", exists().where(HnsAddressee.hns_notification_id == HnsNotification.id, HnsAddressee.party_id == user.party_id))
    return query


def get_visible(session: Session, user: Principal, notification_id: int, *, for_update: bool = False) -> HnsNotification:
    query = visible(user).where(HnsNotification.id == notification_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise not_found("notification", notification_id)
    return row


def answerable(session: Session, user: Principal, notification_id: int) -> tuple[HnsNotification, HnsAddressee]:
    """The sent, unexpired version and the liaison's own addressee row (404 if not addressed to them)."""
    row = get_visible(session, user, notification_id)
    addressee = session.get(HnsAddressee, (notification_id, user.party_id), with_for_update=True) if user.party_id else None
    if addressee is None:
        raise not_found("notification", notification_id)
    if row.state == "superseded":
        latest = max(series_versions(session, row.series_id or row.id), key=lambda v: v.version if v.state == "sent" else 0)
        raise conflict(f"notification {row.id} (version {row.version}) was superseded: answer version {latest.version} (id {latest.id})")
    check_not_expired(row.expires_at, ["content", "expires_at"], utcnow())
    return row, addressee


def _legs(session: Session, row: HnsNotification, viewer: Principal | None) -> list[dict[str, Any]]:
    if row.kind != "movement":
        return []
    waypoints = list(row.content.get("waypoints") or [])
    count = max(0, len(row.content["route"]["coordinates"]) - 1)
    query = select(LegClearance).where(LegClearance.hns_notification_id == row.id).order_by(LegClearance.id)
    if viewer is not None and viewer.role == Role.party_liaison:
        query = query.where(LegClearance.party_id == viewer.party_id)
    lights: dict[int, dict[str, str]] = {i: {} for i in range(count)}
    for clearance in session.execute(query).scalars():
        lights.setdefault(clearance.leg_index, {})[str(clearance.party_id)] = clearance.light
    return [{"index": i, "from_place": waypoints[i] if i < len(waypoints) else None, "to_place": waypoints[i + 1] if i + 1 < len(waypoints) else None,
             "lights": lights.get(i, {})} for i in range(count)]


def payload(session: Session, row: HnsNotification, viewer: Principal | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The public JSON of a version; a liaison sees only their own party among the addressees."""
    now = now or utcnow()
    shown = row.addressees if viewer is None or viewer.role != Role.party_liaison else [a for a in row.addressees if a.party_id == viewer.party_id]
    live = row.state == "sent"
    base = session.get(HnsNotification, row.diff_base_id) if row.diff_base_id else None
    return HnsNotificationPublic.model_validate({
        "id": row.id, "series_id": row.series_id or row.id, "version": row.version, "kind": row.kind, "movement_id": row.movement_id, "site_id": row.site_id,
        "state": row.state, "content": row.content, "window_start": row.window_start.isoformat(), "window_end": row.window_end.isoformat(),
        "expires_at": row.expires_at.isoformat(), "expired": row.expires_at <= now, "emergency": row.emergency, "notice": row.notice,
        "missing_fields": missing_fields(row.content) if row.kind == "movement" else [], "change_reason": row.change_reason, "diff": row.diff,
        "diff_base_version": base.version if base is not None else None, "renotification": row.version > 1,
        "receipt_due": _iso(row.receipt_due), "dissemination_due": _iso(row.dissemination_due), "created_at": row.created_at.isoformat(), "sent_at": _iso(row.sent_at),
        "addressees": [{
            "party_id": a.party_id, "receipt_at": _iso(a.receipt_at), "receipt_by": a.receipt_by, "dissemination_at": _iso(a.dissemination_at),
            "dissemination_by": a.dissemination_by, "response": a.response, "responded_at": _iso(a.responded_at),
            "receipt_overdue": live and a.receipt_at is None and row.receipt_due is not None and now > row.receipt_due,
            "dissemination_overdue": live and a.dissemination_at is None and row.dissemination_due is not None and now > row.dissemination_due,
            "receipt_escalated_at": _iso(a.receipt_escalated_at), "dissemination_escalated_at": _iso(a.dissemination_escalated_at),
        } for a in shown],
        "legs": _legs(session, row, viewer),
    }).model_dump(mode="json")


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


CONFIRMATION_ORDER = {"receipt": 0, "dissemination": 1}  # the order of two confirmations due at the same time


def overdue_confirmations(session: Session, now: dt.datetime, unescalated_only: bool = False) -> Iterable[tuple[HnsNotification, HnsAddressee, str, dt.datetime]]:
    """``(version, addressee, "receipt" | "dissemination", due)`` for every confirmation past its deadline
    on a sent, unexpired version, oldest deadline first."""
    rows = session.execute(select(HnsNotification).where(HnsNotification.state == "sent", HnsNotification.expires_at > now).order_by(HnsNotification.id)).scalars()
    out = []
    for row in rows:
        for a in row.addressees:
            if a.receipt_at is None and row.receipt_due is not None and now > row.receipt_due and not (unescalated_only and a.receipt_escalated_at):
                out.append((row, a, "receipt", row.receipt_due))
            if a.dissemination_at is None and row.dissemination_due is not None and now > row.dissemination_due and not (unescalated_only and a.dissemination_escalated_at):
                out.append((row, a, "dissemination", row.dissemination_due))
    return sorted(out, key=lambda item: (item[3], item[0].id, item[1].party_id, CONFIRMATION_ORDER[item[2]]))


def movement_content(session: Session, scenario: Scenario, body_content: MovementContent, loc: list[str | int]) -> tuple[dict[str, Any], tuple[dt.datetime, dt.datetime]]:
    """Validated content as stored: route checked against the roads (waypoints filled in), not expired."""
    content = body_content.model_dump(mode="json")
    content["waypoints"] = check_route(scenario, content["route"]["coordinates"], [*loc, "route", "coordinates"])
    check_not_expired(body_content.expires_at, [*loc, "expires_at"], utcnow())
    return content, (body_content.window.earliest_departure, body_content.window.latest_arrival)


def trucks_by_commodity(scenario: Scenario, cargo: dict[str, float], trucks: int) -> dict[str, int]:
    """Trucks per commodity for a stored movement (its cargo over each commodity's payload, at most ``trucks``)."""
    payloads = {c.id: c.truck_payload for c in scenario.commodities}
    out: dict[str, int] = {}
    left = trucks
    for commodity, quantity in sorted(cargo.items()):
        n = min(left, math.ceil(float(quantity) / payloads.get(commodity, 1.0) - 1e-9)) if quantity > 0 else 0
        if n > 0:
            out[commodity] = n
            left -= n
    return out
