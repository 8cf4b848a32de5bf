"""Request and response bodies: a Create / Update / Public family per resource.

Input is checked where it enters: every string is bounded and free of NUL characters, every id fits a
32-bit column, times carry a time zone and lie between 1900 and 2200, and cross-field rules report
the field that breaks them (``valid_until``, ``message``, ``movement_id`` …) so a 422 names it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from safepassage.interop.hns import (  # the NUL and year-range checks are the notification content's own
    Contact,
    LineString,
    MovementContent,
    MovementWindow,
    SiteContent,
    _no_nul,
    _sane_moment,
)
from safepassage.service.auth import Role
from safepassage.service.lifecycle import MovementStatus

MAX_ID = 2**31 - 1


def text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, StringConstraints(max_length=max_length, min_length=min_length), AfterValidator(_no_nul)]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = text(200, 1)
Ref = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")]
LongText = text(10_000)
Moment = Annotated[AwareDatetime, AfterValidator(_sane_moment)]
Quantity = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
Quantities = Annotated[dict[Ref, Quantity], Field(max_length=100)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- directory ---------------------------------------------------------------------------------------

class OrganisationCreate(_In):
    name: Name
    kind: Literal["humanitarian", "un_agency", "ngo", "government", "mediator", "other"] = "humanitarian"


class OrganisationPublic(_Out):
    id: int
    name: str
    kind: str
    created_at: dt.datetime


class PartyCreate(_In):
    name: Name
    description: LongText = ""


class PartyPublic(_Out):
    id: int
    name: str
    description: str
    created_at: dt.datetime


class UserCreate(_In):
    username: Annotated[str, StringConstraints(min_length=2, max_length=100, pattern=r"^[a-z0-9][a-z0-9_.\-]*$")]
    password: Annotated[str, StringConstraints(min_length=8, max_length=200), AfterValidator(_no_nul)]
    full_name: text(200) = ""
    role: Role
    organisation_id: Id | None = None
    party_id: Annotated[Id | None, Field(validate_default=True)] = None

    @field_validator("party_id")
    @classmethod
    def _liaison_has_party(cls, value: int | None, info: ValidationInfo) -> int | None:
        role = info.data.get("role")
        if role == Role.party_liaison and value is None:
            raise ValueError("a party liaison must belong to a party: give party_id")
        if role is not None and role != Role.party_liaison and value is not None:
            raise ValueError("only a party liaison belongs to a party: leave party_id out")
        return value


class UserUpdate(_In):
    full_name: text(200) | None = None
    password: Annotated[str, StringConstraints(min_length=8, max_length=200), AfterValidator(_no_nul)] | None = None
    role: Role | None = None
    party_id: Id | None = None
    organisation_id: Id | None = None
    active: bool | None = None


class UserPublic(_Out):
    id: int
    username: str
    full_name: str
    role: Role
    organisation_id: int | None
    party_id: int | None
    active: bool
    created_at: dt.datetime


class RevokedPublic(BaseModel):
    user_id: int
    revoked_tokens: int


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: dt.datetime


# --- scenarios and plans -----------------------------------------------------------------------------

class ScenarioCreate(_In):
    yaml: Annotated[str, StringConstraints(min_length=1, max_length=2_000_000), AfterValidator(_no_nul)] = Field(description="The scenario YAML text (see `safepassage schema`).")


class ScenarioPublic(_Out):
    id: int
    name: str
    title: str
    proposals: list[str]
    created_at: dt.datetime
    yaml_sha256: str | None = Field(default=None, description="SHA-256 of the stored YAML text: the audit log commits to it.")


class MovementCreate(_In):
    """A convoy (trucks and cargo) or an evacuation movement (people), from a plan or entered by hand."""

    kind: Literal["convoy", "evacuation"]
    reference: text(100) = ""
    origin: Ref
    destination: Ref
    route: Annotated[list[Ref], Field(max_length=200)] = []
    departs: Moment
    arrives: Moment
    trucks: Annotated[int, Field(ge=0, le=100_000)] = 0
    cargo: Quantities = {}
    people: Annotated[int, Field(ge=0, le=100_000_000)] = 0
    origin_zone: Ref | None = None

    @field_validator("arrives")
    @classmethod
    def _arrives_after_departure(cls, value: dt.datetime, info: ValidationInfo) -> dt.datetime:
        departs = info.data.get("departs")
        if departs is not None and value < departs:
            raise ValueError(f"arrives ({value.isoformat()}) before it departs ({departs.isoformat()})")
        return value


class StatusChangePublic(_Out):
    from_status: MovementStatus | None
    to_status: MovementStatus
    reason: str
    changed_by: int
    changed_at: dt.datetime


class MovementPublic(_Out):
    id: int
    plan_id: int | None
    kind: str
    reference: str
    origin: str
    destination: str
    route: list[str]
    departs: dt.datetime
    arrives: dt.datetime
    trucks: int
    cargo: dict[str, float]
    people: int
    origin_zone: str | None
    status: MovementStatus
    created_at: dt.datetime
    updated_at: dt.datetime
    history: list[StatusChangePublic]


class MovementStatusUpdate(_In):
    status: MovementStatus
    reason: text(2_000) = ""


class PlanCreate(_In):
    """Run the planner on a stored scenario, or (with ``movements``) upload a plan made elsewhere."""

    scenario_id: Id
    proposal: Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_nul)]
    horizon_days: Annotated[float, Field(ge=0.25, le=60, allow_inf_nan=False)] | None = None
    slot_minutes: Annotated[int, Field(ge=5, le=1440)] | None = None
    movements: Annotated[list[MovementCreate], Field(max_length=5_000)] | None = None


class PlanPublic(_Out):
    id: int
    scenario_id: int
    proposal: str
    origin: Literal["planned", "replanned", "uploaded"]
    parent_plan_id: int | None
    summary: dict[str, Any]
    state: dict[str, Any] | None
    movement_ids: list[int] = []
    created_at: dt.datetime


class ReplanRequest(_In):
    """Re-plan from what the record says at ``at`` (scenario local time if no offset is given)."""

    at: dt.datetime

    @field_validator("at")
    @classmethod
    def _sane(cls, value: dt.datetime) -> dt.datetime:
        if not 1900 <= value.year <= 2200:
            raise ValueError("must be between the years 1900 and 2200")
        return value


# --- notifications -----------------------------------------------------------------------------------

class Site(_In):
    """A static site the parties are told of (exact position: never shown on public outputs)."""

    site_kind: Literal["warehouse", "shelter", "distribution_point", "health_facility", "office", "crossing", "other"]
    name: Name
    place_id: Ref | None = None
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class NotificationCreate(_In):
    kind: Literal["movement", "site"]
    movement_id: Annotated[Id | None, Field(validate_default=True)] = None
    site: Annotated[Site | None, Field(validate_default=True)] = None
    party_ids: Annotated[list[Id], Field(min_length=1, max_length=50)]
    title: text(300) = ""
    message: LongText = ""
    notice_hours: Annotated[float, Field(ge=0, le=720, allow_inf_nan=False)] = 24.0
    valid_from: Moment
    valid_until: Moment
    ack_due: Moment | None = Field(default=None, description="Acknowledgment deadline (default: valid_from). Past it, an unanswered notification is escalated; the movement is never blocked.")

    @field_validator("movement_id")
    @classmethod
    def _movement_needs_id(cls, value: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind == "movement" and value is None:
            raise ValueError("a movement notification names its movement: give movement_id")
        if kind == "site" and value is not None:
            raise ValueError("a site notification has no movement: leave movement_id out")
        return value

    @field_validator("site")
    @classmethod
    def _site_needs_site(cls, value: Site | None, info: ValidationInfo) -> Site | None:
        kind = info.data.get("kind")
        if kind == "site" and value is None:
            raise ValueError("a site notification describes its site: give site")
        if kind == "movement" and value is not None:
            raise ValueError("a movement notification has no site: leave site out")
        return value

    @field_validator("party_ids")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("list each party once")
        return sorted(value)

    @field_validator("valid_until")
    @classmethod
    def _after_start(cls, value: dt.datetime, info: ValidationInfo) -> dt.datetime:
        start = info.data.get("valid_from")
        if start is not None and value <= start:
            raise ValueError("must be after valid_from")
        return value


class PlanNotificationsCreate(_In):
    """Notify the parties of every movement of a plan that is still ``requested``."""

    party_ids: Annotated[list[Id], Field(min_length=1, max_length=50)]
    notice_hours: Annotated[float, Field(ge=0, le=720, allow_inf_nan=False)] = 24.0
    message: LongText = ""
    ack_due_hours_before_departure: Annotated[float, Field(ge=0, le=720, allow_inf_nan=False)] = 0.0

    @field_validator("party_ids")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("list each party once")
        return sorted(value)


class AddresseePublic(_Out):
    party_id: int
    latest_decision: Literal["acknowledged", "queried", "rejected"] | None
    answered_at: dt.datetime | None


class NotificationPublic(_Out):
    id: int
    kind: Literal["movement", "site"]
    movement_id: int | None
    site: dict[str, Any] | None
    title: str
    message: str
    notice_hours: float
    valid_from: dt.datetime
    valid_until: dt.datetime
    ack_due: dt.datetime
    short_notice: bool = Field(description="Sent later than notice_hours before valid_from.")
    acknowledged: bool = Field(description="Every addressed party has acknowledged.")
    overdue: bool = Field(description="Past ack_due without every party's acknowledgment: escalate.")
    escalated_at: dt.datetime | None
    created_at: dt.datetime
    addressees: list[AddresseePublic]


class AcknowledgmentCreate(_In):
    decision: Literal["acknowledged", "queried", "rejected"]
    message: Annotated[LongText, Field(validate_default=True)] = ""

    @field_validator("message")
    @classmethod
    def _reason_given(cls, value: str, info: ValidationInfo) -> str:
        decision = info.data.get("decision")
        if decision in ("queried", "rejected") and not value.strip():
            raise ValueError(f"a {decision} answer needs a message saying {'what is asked' if decision == 'queried' else 'why'}")
        return value


class AcknowledgmentPublic(_Out):
    id: int
    notification_id: int
    party_id: int
    user_id: int
    decision: str
    message: str
    created_at: dt.datetime


class SweepPublic(BaseModel):
    escalated_notification_ids: list[int]
    unacknowledged_movement_ids: list[int]


# --- events ------------------------------------------------------------------------------------------

EventKind = Literal["departed", "arrived", "incident", "pause_violation", "crossing_closed", "crossing_opened", "release"]

# OCHA Access Monitoring and Reporting Framework: the nine categories of access constraint.
IncidentCategory = Literal[
    "denial_of_needs_or_entitlements",
    "restriction_of_entry_into_country",
    "restriction_of_movement_within_country",
    "interference_with_humanitarian_activities",
    "violence_against_personnel_assets_facilities",
    "restriction_of_access_to_services_by_population",
    "military_operations_and_hostilities",
    "mines_and_unexploded_ordnance",
    "physical_environment_and_infrastructure",
]


class EventCreate(_In):
    """An observation. ``departed`` moves its movement to in_transit, ``arrived`` to arrived (with
    quantities good and damaged kept apart); crossing closed/opened name a place or a road."""

    kind: EventKind
    occurred_at: Moment
    movement_id: Annotated[Id | None, Field(validate_default=True)] = None
    place_id: Ref | None = None
    road_id: Annotated[Ref | None, Field(validate_default=True)] = None
    quantities_good: Quantities = {}
    quantities_damaged: Quantities = {}
    people: Annotated[int | None, Field(ge=0, le=100_000_000, validate_default=True)] = None
    incident_category: Annotated[IncidentCategory | None, Field(validate_default=True)] = None
    release_of: Annotated[Literal["hostages", "detainees"] | None, Field(validate_default=True)] = None
    description: LongText = ""

    @field_validator("movement_id")
    @classmethod
    def _movement_for_moves(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("kind") in ("departed", "arrived") and value is None:
            raise ValueError(f"a {info.data['kind']} event names its movement: give movement_id")
        return value

    @field_validator("road_id")
    @classmethod
    def _place_or_road_for_crossings(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("kind") in ("crossing_closed", "crossing_opened") and value is None and info.data.get("place_id") is None:
            raise ValueError("a crossing closed/opened event names the place (place_id) or the road (road_id)")
        return value

    @field_validator("people")
    @classmethod
    def _people_for_release(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("kind") == "release" and not value:
            raise ValueError("a release event counts the people released: give people (> 0)")
        return value

    @field_validator("incident_category")
    @classmethod
    def _category_for_incident(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("kind") == "incident" and value is None:
            raise ValueError("an incident needs its OCHA access-incident category")
        return value

    @field_validator("release_of")
    @classmethod
    def _release_kind(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("kind") == "release" and value is None:
            raise ValueError("a release event says whom: hostages or detainees")
        return value


class EventPublic(_Out):
    id: int
    kind: str
    occurred_at: dt.datetime
    movement_id: int | None
    place_id: str | None
    road_id: str | None
    quantities_good: dict[str, float]
    quantities_damaged: dict[str, float]
    people: int | None
    incident_category: str | None
    release_of: str | None
    description: str
    recorded_by: int
    created_at: dt.datetime


class PlanJobPublic(BaseModel):
    """A plan solve running as a job: poll ``status_url``; when ``done``, ``result_url`` gives the plan."""

    id: int
    kind: Literal["plan", "replan", "montecarlo"]
    scenario_id: int
    proposal: str
    status: Literal["queued", "running", "done", "failed"]
    error: str
    problems: list[dict[str, Any]] | None
    plan_id: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    status_url: str
    result_url: str


class MonteCarloCreate(_In):
    """Simulate a stored plan ``runs`` times under random disruption (default disruption settings)."""

    runs: Annotated[int, Field(ge=1, le=10_000, description="Simulated runs; the P10-P90 bands need at least 10 to mean much.")]
    seed: Annotated[int, Field(ge=0, le=2**31 - 1, description="Random seed: the same seed gives the same bands.")] = 0


class MonteCarloBandPublic(BaseModel):
    """One KPI over the runs: mean and percentiles (null when no run has a value), the plan's own value."""

    mean: float | None
    p10: float | None
    p50: float | None
    p90: float | None
    planned: float | None
    reached: float | None = None


class MonteCarloRunPublic(BaseModel):
    """A stored Monte Carlo run of a plan: its settings and, per KPI, the bands over the runs."""

    id: int
    plan_id: int
    job_id: int
    runs: int
    seed: int
    policy: str
    disruptions: dict[str, Any]
    seconds: float
    created_at: dt.datetime
    kpis: dict[str, MonteCarloBandPublic]


class AuditVerifyPublic(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None
    problem: str
    checkpoint: dict[str, Any] | None = None
    row_problems: list[str] = []


# --- humanitarian notifications (HNS): versions, confirmations, responses, sites, incidents (issue 9) -

HnsResponseKind = Literal["facilitated", "facilitated_with_conditions", "denied", "more_information_requested", "no_assurances"]
# OCHA's vocabulary for how a humanitarian movement went.
MovementOutcomeKind = Literal["facilitated", "partially_facilitated", "initially_facilitated_then_impeded", "denied", "postponed", "cancelled"]


def _distinct_ids(value: list[int]) -> list[int]:
    if len(set(value)) != len(value):
        raise ValueError("list each party once")
    return sorted(value)


PartyIds = Annotated[list[Id], Field(min_length=1, max_length=50), AfterValidator(_distinct_ids)]


class HnsDraftsCreate(_In):
    """Draft one movement notification per convoy of a plan (not yet sent)."""

    party_ids: PartyIds
    organisation: Name
    contact: Contact
    emergency: bool = False
    expires_after_arrival_hours: Annotated[float, Field(ge=0, le=720, allow_inf_nan=False)] = 12.0


class HnsNotificationCreate(_In):
    """A movement notification written by hand (drafted; ``POST …/send`` sends it). The scenario whose
    roads the route must follow is the movement's plan's, or ``scenario_id``."""

    movement_id: Id
    scenario_id: Id | None = None
    party_ids: PartyIds
    emergency: bool = False
    content: MovementContent


class HnsDraftUpdate(_In):
    content: MovementContent


class HnsSend(_In):
    """Send a draft. Deadlines for the two confirmations default to one hour after sending (receipt,
    never after departure) and two hours before departure (dissemination to field units)."""

    receipt_due: Moment | None = None
    dissemination_due: Moment | None = None


class ConfirmationCreate(_In):
    """Receipt (the liaison has it) and dissemination (passed to the field units) are separate acts."""

    kind: Literal["receipt", "dissemination"]
    note: text(2_000) = ""


class ResponseConditions(_In):
    window: MovementWindow | None = None
    route: LineString | None = None
    other: text(2_000) = ""


class HnsResponseCreate(_In):
    response: HnsResponseKind
    reason: Annotated[LongText, Field(validate_default=True)] = ""
    conditions: Annotated[ResponseConditions | None, Field(validate_default=True)] = None

    @field_validator("reason")
    @classmethod
    def _reason_given(cls, value: str, info: ValidationInfo) -> str:
        response = info.data.get("response")
        if response in ("denied", "more_information_requested") and not value.strip():
            raise ValueError("a denial gives its reason" if response == "denied" else "say what information is needed")
        return value

    @field_validator("conditions")
    @classmethod
    def _conditions_given(cls, value: ResponseConditions | None, info: ValidationInfo) -> ResponseConditions | None:
        response = info.data.get("response")
        if response == "facilitated_with_conditions" and (value is None or (value.window is None and value.route is None and not value.other.strip())):
            raise ValueError("facilitated with conditions: give the conditions (a window, a route, or other)")
        if response != "facilitated_with_conditions" and value is not None:
            raise ValueError(f"only facilitated_with_conditions carries conditions, not {response}")
        return value


class LegClearanceCreate(_In):
    light: Literal["green", "red"]
    note: text(2_000) = ""


class HnsAddresseePublic(BaseModel):
    party_id: int
    receipt_at: dt.datetime | None
    receipt_by: int | None
    dissemination_at: dt.datetime | None
    dissemination_by: int | None
    response: HnsResponseKind | None
    responded_at: dt.datetime | None
    receipt_overdue: bool
    dissemination_overdue: bool
    receipt_escalated_at: dt.datetime | None
    dissemination_escalated_at: dt.datetime | None


class LegPublic(BaseModel):
    index: int
    from_place: str | None
    to_place: str | None
    lights: dict[str, Literal["green", "red"]] = Field(description="party id -> latest light")


class HnsNotificationPublic(BaseModel):
    id: int
    series_id: int
    version: int
    kind: Literal["movement", "site"]
    movement_id: int | None
    site_id: int | None
    state: Literal["draft", "sent", "superseded"]
    content: dict[str, Any]
    window_start: dt.datetime
    window_end: dt.datetime
    expires_at: dt.datetime
    expired: bool
    emergency: bool
    notice: dict[str, Any] | None = Field(description="required_hours, given_hours, late (flagged, never blocked), emergency")
    missing_fields: list[str]
    change_reason: str
    diff: list[dict[str, Any]] | None = Field(description="RFC 6902 operations (with the old value) against diff_base_version")
    diff_base_version: int | None
    renotification: bool
    receipt_due: dt.datetime | None
    dissemination_due: dt.datetime | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    addressees: list[HnsAddresseePublic]
    legs: list[LegPublic]


class HnsResponsePublic(_Out):
    id: int
    hns_notification_id: int
    party_id: int
    user_id: int
    response: str
    reason: str
    conditions: dict[str, Any] | None
    new_version_id: int | None
    created_at: dt.datetime


class HnsEscalationPublic(BaseModel):
    hns_notification_id: int
    series_id: int
    version: int
    party_id: int
    missing: Literal["receipt", "dissemination"]
    due: dt.datetime
    escalated_at: dt.datetime | None


class HnsSweepPublic(BaseModel):
    escalated: list[HnsEscalationPublic]


class CheckpointHold(_In):
    place_id: Ref
    held_from: Moment
    held_until: Moment

    @field_validator("held_until")
    @classmethod
    def _after(cls, value: dt.datetime, info: ValidationInfo) -> dt.datetime:
        start = info.data.get("held_from")
        if start is not None and value < start:
            raise ValueError("held_until is before held_from")
        return value


class MovementOutcomeCreate(_In):
    movement_id: Id
    outcome: MovementOutcomeKind
    checkpoint_holds: Annotated[list[CheckpointHold], Field(max_length=100)] = []
    note: LongText = ""


class MovementOutcomePublic(_Out):
    id: int
    movement_id: int
    outcome: MovementOutcomeKind
    checkpoint_holds: list[dict[str, Any]]
    held_minutes: float
    note: str
    recorded_by: int
    created_at: dt.datetime


class StaticSiteCreate(_In):
    party_ids: PartyIds
    content: SiteContent


class StaticSiteUpdate(_In):
    content: SiteContent
    change_reason: text(2_000) = ""


class StaticSitePublic(BaseModel):
    id: int
    content: dict[str, Any]
    current_notification_id: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class IncidentCreate(_In):
    """An incident at a place and time; linked at once to notified movements and sites near it."""

    occurred_at: Moment
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    incident_category: IncidentCategory
    description: LongText = ""
    movement_id: Id | None = None
    radius_km: Annotated[float, Field(gt=0, le=50, allow_inf_nan=False)] = 2.0
    margin_minutes: Annotated[float, Field(ge=0, le=1440, allow_inf_nan=False)] = 60.0


class IncidentPartyRecord(BaseModel):
    party_id: int
    party: str
    receipt_at: dt.datetime | None
    receipt_by: str | None
    receipt_before_incident: bool
    dissemination_at: dt.datetime | None
    dissemination_by: str | None
    dissemination_before_incident: bool
    response: str | None
    responded_at: dt.datetime | None


class IncidentHistoryResponse(BaseModel):
    party_id: int
    response: str
    reason: str
    at: dt.datetime
    before_incident: bool


class IncidentHistoryVersion(BaseModel):
    hns_notification_id: int
    version: int
    sent_at: dt.datetime | None
    change_reason: str
    responses: list[IncidentHistoryResponse]


class IncidentLinkPublic(BaseModel):
    hns_notification_id: int
    series_id: int
    version: int
    kind: Literal["movement", "site"]
    movement_id: int | None
    site_id: int | None
    distance_km: float
    notified_at: dt.datetime | None
    notified_before_incident: bool
    window_start: dt.datetime
    window_end: dt.datetime
    parties: list[IncidentPartyRecord] = Field(description="The standing version's addressees: confirmations and by whom")
    history: list[IncidentHistoryVersion] = Field(description="Every version sent, with the parties' responses")


class IncidentPublic(BaseModel):
    event_id: int
    occurred_at: dt.datetime
    lon: float
    lat: float
    incident_category: str
    description: str
    movement_id: int | None
    radius_km: float
    margin_minutes: float
    links: list[IncidentLinkPublic]
