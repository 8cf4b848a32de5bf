"""Tables of the coordination service (SQLAlchemy 2 declarative). The schema itself is created and
changed only by the Alembic migrations in ``migrations/``; keep the two in step.

Times are stored as UTC and always returned timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Base", "Organisation", "Party", "User", "ApiToken", "ScenarioRecord", "PlanRecord", "Movement",
    "MovementStatusChange", "Notification", "NotificationParty", "Acknowledgment", "Event",
    "IdempotencyRecord", "AuditEntry", "AuditHead", "PlanJob", "utcnow",
    "StaticSite", "HnsNotification", "HnsAddressee", "HnsResponse", "LegClearance", "MovementOutcome", "IncidentLocation", "IncidentLink",
    "PlanResultRecord",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime kept as naive UTC (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), default="humanitarian")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Party(Base):
    """A party to the conflict, told of movements and sites through its liaisons."""

    __tablename__ = "party"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token ``<id>.<secret>``; only an argon2 hash of the secret is kept."""

    __tablename__ = "api_token"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ScenarioRecord(Base):
    __tablename__ = "scenario"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(400), default="")
    yaml_text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Service hardening (migration 0002): the parsed summary, so listing never re-parses YAML.
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PlanRecord(Base):
    """A plan: run by the planner (``planned``), re-planned from recorded state, or uploaded."""

    __tablename__ = "plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenario.id"), index=True)
    proposal: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(20))  # planned | replanned | uploaded
    parent_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Movement(Base):
    """A convoy or an evacuation movement, from a plan or entered by hand, with its lifecycle status."""

    __tablename__ = "movement"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # convoy | evacuation
    reference: Mapped[str] = mapped_column(String(100), default="")
    origin: Mapped[str] = mapped_column(String(100))
    destination: Mapped[str] = mapped_column(String(100))
    route: Mapped[list[Any]] = mapped_column(JSON, default=list)
    departs: Mapped[dt.datetime]
    arrives: Mapped[dt.datetime]
    trucks: Mapped[int] = mapped_column(Integer, default=0)
    cargo: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    people: Mapped[int] = mapped_column(Integer, default=0)
    origin_zone: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="requested", index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    history: Mapped[list[MovementStatusChange]] = relationship(order_by="MovementStatusChange.id", lazy="selectin")


class MovementStatusChange(Base):
    __tablename__ = "movement_status_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(ForeignKey("movement.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """A notification to one or more parties: of a movement, or of a static site."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # movement | site
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("movement.id"), index=True)
    site: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    title: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text, default="")
    notice_hours: Mapped[float] = mapped_column(Float)
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime]
    ack_due: Mapped[dt.datetime] = mapped_column(index=True)
    escalated_at: Mapped[dt.datetime | None]
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    addressees: Mapped[list[NotificationParty]] = relationship(order_by="NotificationParty.party_id", lazy="selectin", cascade="all, delete-orphan")


class NotificationParty(Base):
    """One addressee of a notification and the latest answer from that party."""

    __tablename__ = "notification_party"
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), primary_key=True)
    latest_decision: Mapped[str | None] = mapped_column(String(20))
    answered_at: Mapped[dt.datetime | None]
    __table_args__ = (Index("ix_notification_party_party", "party_id", "notification_id"),)


class Acknowledgment(Base):
    """A party liaison's answer: acknowledged, queried (with a message) or rejected (with a reason)."""

    __tablename__ = "acknowledgment"
    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    decision: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Event(Base):
    """Something observed: departed, arrived, incident, pause violation, crossing closed/opened, release."""

    __tablename__ = "event"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    occurred_at: Mapped[dt.datetime]
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("movement.id"), index=True)
    place_id: Mapped[str | None] = mapped_column(String(100))
    road_id: Mapped[str | None] = mapped_column(String(100))
    quantities_good: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    quantities_damaged: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    people: Mapped[int | None] = mapped_column(Integer)
    incident_category: Mapped[str | None] = mapped_column(String(60))
    release_of: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """The stored answer to a write, keyed by (user, Idempotency-Key), replayed on retry."""

    __tablename__ = "idempotency_record"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer, default=0)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One link of the hash chain (see ``safepassage.service.audit`` for the exact format)."""

    __tablename__ = "audit_entry"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))  # UTC, ISO 8601 with microseconds and Z: hashed verbatim
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(60))
    payload_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class AuditHead(Base):
    """The single row naming the newest entry; writers lock it to append in order."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    entry_hash: Mapped[str] = mapped_column(String(64))
    # Service hardening (migration 0002): the Merkle tree's right edge and the latest signed checkpoint.
    tree_frontier: Mapped[list[Any]] = mapped_column(JSON, default=list)
    checkpoint: Mapped[str] = mapped_column(Text, default="")



# --- humanitarian notifications (HNS): versions, confirmations, responses, static sites, incidents ---
# (issue 9; migration 0003_notifications)

class StaticSite(Base):
    """A site on the parties' deconfliction list (warehouse, shelter, office …). Never public."""

    __tablename__ = "static_site"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    site_kind: Mapped[str] = mapped_column(String(40))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    valid_from: Mapped[dt.datetime]
    valid_until: Mapped[dt.datetime]
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HnsNotification(Base):
    """One version of a humanitarian notification of a movement or a static site.

    Versions of one notification share ``series_id`` (the id of version 1). ``state``: draft, sent,
    superseded (a later version was sent). ``diff`` is against ``diff_base_id``, the last version every
    addressee confirmed receiving (else the previous version)."""

    __tablename__ = "hns_notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(10))  # movement | site
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("movement.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("static_site.id"), index=True)
    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("scenario.id"))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    window_start: Mapped[dt.datetime]
    window_end: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    change_reason: Mapped[str] = mapped_column(Text, default="")
    diff: Mapped[list[Any] | None] = mapped_column(JSON)
    diff_base_id: Mapped[int | None] = mapped_column(Integer)
    receipt_due: Mapped[dt.datetime | None]
    dissemination_due: Mapped[dt.datetime | None]
    notice: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    sent_at: Mapped[dt.datetime | None]
    addressees: Mapped[list[HnsAddressee]] = relationship(order_by="HnsAddressee.party_id", lazy="selectin", cascade="all, delete-orphan")


class HnsAddressee(Base):
    """A party told of one version: its two confirmations (receipt; dissemination to field units) and
    its latest response, each time-stamped, with when a missing confirmation was escalated."""

    __tablename__ = "hns_addressee"
    hns_notification_id: Mapped[int] = mapped_column(ForeignKey("hns_notification.id"), primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), primary_key=True)
    receipt_at: Mapped[dt.datetime | None]
    receipt_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    dissemination_at: Mapped[dt.datetime | None]
    dissemination_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    dissemination_note: Mapped[str] = mapped_column(Text, default="")
    response: Mapped[str | None] = mapped_column(String(40))
    responded_at: Mapped[dt.datetime | None]
    receipt_escalated_at: Mapped[dt.datetime | None]
    dissemination_escalated_at: Mapped[dt.datetime | None]
    __table_args__ = (Index("ix_hns_addressee_party", "party_id", "hns_notification_id"),)


class HnsResponse(Base):
    """A party's answer: facilitated, facilitated_with_conditions, denied, more_information_requested,
    no_assurances; with its reason and conditions (a changed window or route makes a new version)."""

    __tablename__ = "hns_response"
    id: Mapped[int] = mapped_column(primary_key=True)
    hns_notification_id: Mapped[int] = mapped_column(ForeignKey("hns_notification.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    response: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new_version_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LegClearance(Base):
    """A party's green (or red) light for one leg of a notified route (waypoint i to i + 1)."""

    __tablename__ = "hns_leg_clearance"
    id: Mapped[int] = mapped_column(primary_key=True)
    hns_notification_id: Mapped[int] = mapped_column(ForeignKey("hns_notification.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    leg_index: Mapped[int] = mapped_column(Integer)
    light: Mapped[str] = mapped_column(String(10))  # green | red
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MovementOutcome(Base):
    """How a movement went, in OCHA's words, with the time held at each checkpoint."""

    __tablename__ = "movement_outcome"
    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(ForeignKey("movement.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    checkpoint_holds: Mapped[list[Any]] = mapped_column(JSON, default=list)
    held_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IncidentLocation(Base):
    """Where an incident event happened (exact: staff only, never public)."""

    __tablename__ = "incident_location"
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), primary_key=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    radius_km: Mapped[float] = mapped_column(Float)
    margin_minutes: Mapped[float] = mapped_column(Float)


class IncidentLink(Base):
    """An incident tied to a notified movement or site near it in place and time."""

    __tablename__ = "incident_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    hns_notification_id: Mapped[int] = mapped_column(ForeignKey("hns_notification.id"), index=True)
    distance_km: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- service hardening (migration 0002) -------------------------------------------------------------

class PlanJob(Base):
    """A plan solve run as a job on the worker cluster: queued, running, done (``plan_id``) or failed (``error``)."""

    __tablename__ = "plan_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="plan")  # plan | replan
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenario.id"))
    proposal: Mapped[str] = mapped_column(String(200))
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[list[Any] | None] = mapped_column(JSON)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


# --- Monte Carlo runs of a plan (migration 0004) -------------------------------------------------------


class MonteCarloRun(Base):
    """``runs`` simulated executions of a plan's proposal under random disruption (``safepassage.simulate``),
    made by a ``montecarlo`` plan job; its per-KPI bands are ``MonteCarloBand`` rows."""

    __tablename__ = "monte_carlo_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("plan_job.id"))
    runs: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    policy: Mapped[str] = mapped_column(String(20))
    disruptions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seconds: Mapped[float] = mapped_column(Float)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    bands: Mapped[list[MonteCarloBand]] = relationship(order_by="MonteCarloBand.id", lazy="selectin")


class MonteCarloBand(Base):
    """One KPI over the runs of a ``MonteCarloRun``: mean, P10, P50, P90, and the plan's own value.
    ``reached``: the share of runs in which the KPI has a value (hours to 50% safe may never come)."""

    __tablename__ = "monte_carlo_band"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("monte_carlo_run.id"), index=True)
    kpi: Mapped[str] = mapped_column(String(300))
    mean: Mapped[float | None] = mapped_column(Float)
    p10: Mapped[float | None] = mapped_column(Float)
    p50: Mapped[float | None] = mapped_column(Float)
    p90: Mapped[float | None] = mapped_column(Float)
    planned: Mapped[float | None] = mapped_column(Float)
    reached: Mapped[float | None] = mapped_column(Float)


# --- the stored result of a plan (migration 0005) --------------------------------------------------------


class PlanResultRecord(Base):
    """A plan's ``PlanResult`` as the planner's edge JSON (``service.plan_results``), stored when its plan
    job ends, so the public page and Monte Carlo runs read the plan instead of planning it again."""

    __tablename__ = "plan_result"
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
