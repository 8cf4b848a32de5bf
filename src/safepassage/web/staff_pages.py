"""Pages for coordinators, notifiers and monitors: compare proposals, a plan on the map and the
timelines, notifications with their answers and escalations, events, and the audit record.

Every read and write goes through ``ApiClient`` as the signed-in user, so the API's role checks
decide (a forbidden page is the API's 403, an unknown or hidden object its 404).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from safepassage.scenario import builtin_scenarios, resolve_scenario_path
from safepassage.service.lifecycle import MovementStatus
from safepassage.service.schemas import IncidentCategory
from safepassage.web.api_client import ApiError
from safepassage.web.forms import checked_form, field
from safepassage.web.notification_titles import with_named_titles
from safepassage.web.plan_view import binding_limits_in_words, plan_frame, plan_page_data
from safepassage.web.render import WebUser, page, redirect, signed_in, timer_in_words
from safepassage.web.scenario_source import stored_scenario
from safepassage.web.security import compressed_json, security_headers

__all__ = ["router", "latest_plans_by_proposal", "key_fingerprint"]

router = APIRouter(prefix="/ui", include_in_schema=False)
User = Annotated[WebUser, Depends(signed_in)]
PlanId = Annotated[int, Path(ge=1, le=2**31 - 1)]
INCIDENT_CATEGORIES: tuple[str, ...] = IncidentCategory.__args__  # type: ignore[attr-defined]
EVENT_KINDS = ("arrived", "departed", "incident", "pause_violation", "release", "crossing_closed", "crossing_opened")


def _json(data: Any) -> JSONResponse:
    return security_headers(JSONResponse(data))  # type: ignore[return-value]


def latest_plans_by_proposal(
    plans: list[dict[str, Any]], scenario_id: int, proposals: list[str]
) -> list[dict[str, Any] | None]:
    """For each proposal in order, the newest plan the engine made for it (``None`` if never planned)."""
    newest: dict[str, dict[str, Any]] = {}
    for p in plans:
        if (
            p["scenario_id"] == scenario_id
            and p["origin"] == "planned"
            and (p["proposal"] not in newest or p["id"] > newest[p["proposal"]]["id"])
        ):
            newest[p["proposal"]] = p
    return [newest.get(name) for name in proposals]


def _best(rows: list[dict[str, Any] | None]) -> int | None:
    """Id of the plan with the highest objective (priority-weighted need met plus people safe)."""
    scored = [(r["summary"].get("objective") or 0.0, r["id"]) for r in rows if r and r.get("summary")]
    return max(scored)[1] if scored else None


async def _scenario_choice(user: WebUser, scenario: int | None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    scenarios = await user.api.scenarios()
    chosen = (
        next((s for s in scenarios if s["id"] == scenario), None)
        if scenario
        else (scenarios[-1] if scenarios else None)
    )
    return scenarios, chosen


BAND_KPIS = ("trucks_arrived", "people_reached_safety")


async def _newest_runs(user: WebUser, rows: list[dict[str, Any] | None]) -> dict[int, dict[str, Any]]:
    """Per plan id, its newest stored Monte Carlo run (plans never simulated are left out)."""
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        if r is not None and r.get("origin") == "planned":
            runs = await user.api.monte_carlo_runs(int(r["id"]))
            if runs:
                out[int(r["id"])] = runs[0]
    return out


@router.get("/compare", response_class=HTMLResponse)
async def compare(request: Request, user: User, scenario: int | None = None, simulating: int = 0) -> HTMLResponse:
    scenarios, chosen = await _scenario_choice(user, scenario)
    rows: list[dict[str, Any] | None] = []
    if chosen:
        rows = latest_plans_by_proposal(await user.api.plans(), chosen["id"], chosen["proposals"])
    named_by = stored_scenario(request.app, int(chosen["id"])) if chosen else None
    limits = {r["id"]: binding_limits_in_words(r["summary"].get("bottlenecks") or [], named_by)[:2] for r in rows if r}
    return page(
        request,
        "compare.html",
        {
            "user": user,
            "scenarios": scenarios,
            "chosen": chosen,
            "rows": list(zip(chosen["proposals"], rows)) if chosen else [],
            "best": _best(rows),
            "limits": limits,
            "runs": await _newest_runs(user, rows),
            "simulating": simulating,
            "builtin": builtin_scenarios(),
            "commodities": sorted({c for r in rows if r for c in (r["summary"].get("tonnes_arrived") or {})}),
        },
    )


@router.get("/compare/data.json")
async def compare_data(user: User, scenario: int) -> JSONResponse:
    """Per proposal, the figures the charts draw and, when the plan has a stored Monte Carlo run, the
    newest run's P10, P50 and P90 of each charted KPI (``bands``, with ``runs``)."""
    scenarios, chosen = await _scenario_choice(user, scenario)
    if chosen is None:
        return _json({"proposals": []})
    rows = latest_plans_by_proposal(await user.api.plans(), chosen["id"], chosen["proposals"])
    newest = await _newest_runs(user, rows)
    out = []
    for name, r in zip(chosen["proposals"], rows):
        if r is None:
            continue
        s = r["summary"]
        run = newest.get(int(r["id"]))
        out.append(
            {
                "proposal": name,
                "plan_id": r["id"],
                "trucks_arrived": s.get("trucks_arrived", 0),
                "people_reached_safety": s.get("people_reached_safety", 0),
                "tonnes_arrived": s.get("tonnes_arrived", {}),
                "runs": run["runs"] if run else None,
                "bands": {
                    kpi: {stat: run["kpis"][kpi][stat] for stat in ("p10", "p50", "p90")}
                    for kpi in BAND_KPIS
                    if kpi in run["kpis"]
                }
                if run
                else None,
            }
        )
    return _json({"scenario": chosen["name"], "proposals": out})


@router.post("/compare/simulate")
async def simulate(request: Request, user: User) -> RedirectResponse:
    """Start a Monte Carlo run (a job each) of the newest plan of one proposal, or of every planned proposal."""
    form = await checked_form(request, user)
    scenario_id = int(field(form, "scenario_id") or 0)
    _, chosen = await _scenario_choice(user, scenario_id)
    if chosen is None:
        raise ApiError(404, f"no scenario {scenario_id}")
    try:
        runs = int(field(form, "runs"))
    except ValueError:
        raise ApiError(422, "runs: give a whole number of simulated runs, e.g. 50") from None
    which = field(form, "proposal")
    rows = latest_plans_by_proposal(await user.api.plans(), chosen["id"], chosen["proposals"])
    targets = [r for name, r in zip(chosen["proposals"], rows) if r is not None and which in ("", name)]
    if not targets:
        raise ApiError(422, f"proposal: {which or 'no proposal'} has no plan yet; plan it first")
    for r in targets:
        await user.api.start_monte_carlo(int(r["id"]), runs, key=f"web-mc-{r['id']}-{runs}-{field(form, 'nonce')}")
    return redirect(f"/ui/compare?scenario={chosen['id']}&simulating={len(targets)}")


@router.post("/scenarios")
async def load_scenario(request: Request, user: User) -> RedirectResponse:
    """Store a packaged scenario (by name) so it can be planned."""
    form = await checked_form(request, user)
    name = field(form, "name")
    if name not in builtin_scenarios():
        raise ApiError(422, f"name: no packaged scenario {name!r}; choose one of {', '.join(builtin_scenarios())}")
    record = await user.api.create_scenario(
        resolve_scenario_path(name).read_text(encoding="utf-8"), key=f"web-scenario-{name}-{field(form, 'nonce')}"
    )
    return redirect(f"/ui/compare?scenario={record['id']}")


@router.post("/compare/plan")
async def plan_all(request: Request, user: User) -> RedirectResponse:
    """Plan every proposal of the scenario that has no plan yet (each takes seconds)."""
    form = await checked_form(request, user)
    scenario_id = int(field(form, "scenario_id") or 0)
    _, chosen = await _scenario_choice(user, scenario_id)
    if chosen is None:
        raise ApiError(404, f"no scenario {scenario_id}")
    rows = latest_plans_by_proposal(await user.api.plans(), chosen["id"], chosen["proposals"])
    for name, row in zip(chosen["proposals"], rows):
        if row is None:
            await user.api.create_plan(chosen["id"], name, key=f"web-plan-{chosen['id']}-{name}-{field(form, 'nonce')}")
    return redirect(f"/ui/compare?scenario={chosen['id']}")


SNAPSHOT_TTL_S = 60.0
SNAPSHOT_MAX = 256


def _snapshots(request: Request) -> OrderedDict[tuple[str, int], tuple[float, dict[str, Any]]]:
    store: OrderedDict[tuple[str, int], tuple[float, dict[str, Any]]] = request.app.state.__dict__.setdefault(
        "web_plan_snapshots", OrderedDict()
    )
    return store


def _session_key(user: WebUser, plan_id: int) -> tuple[str, int]:
    return hashlib.sha256(user.token.encode("utf-8")).hexdigest()[:32], plan_id


def _plan_data(
    request: Request, plan: dict[str, Any], movements: list[dict[str, Any]], arrived: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the plan page draws, from what this user just read through the API (``arrived``: the
    ``arrived`` events they may see)."""
    scenario = stored_scenario(request.app, int(plan["scenario_id"]))
    if scenario is None:
        raise ApiError(404, f"no scenario {plan['scenario_id']}")
    ids = {m["id"] for m in movements}
    events = [e for e in arrived if e.get("movement_id") in ids]
    frames: dict[int, dict[str, Any]] = request.app.state.__dict__.setdefault("web_plan_frames", {})
    frame = frames.get(int(plan["id"]))
    if frame is None:  # a stored plan and its scenario never change: the frame is computed once per plan
        frame = frames[int(plan["id"])] = plan_frame(scenario, plan)
    return plan_page_data(scenario, plan, movements, events, frame)


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
async def plan_page(request: Request, user: User, plan_id: PlanId) -> HTMLResponse:
    """The plan page. What its scripts draw is computed here from the same reads and kept for this
    session for a minute, so the page's own ``data.json`` request (preloaded by the browser while the
    scripts load) is answered at once, from the same snapshot as the table."""
    plan = await user.api.plan(plan_id)
    movements = await user.api.plan_movements(plan_id)
    arrived = await user.api.events(kind="arrived")
    data = _plan_data(request, plan, movements, arrived)
    events = {e["movement_id"]: e for e in arrived if e.get("movement_id")}
    store = _snapshots(request)
    store[_session_key(user, plan_id)] = (time.monotonic(), data)
    while len(store) > SNAPSHOT_MAX:
        store.popitem(last=False)
    parties = await user.api.parties()
    summary = plan.get("summary") or {}
    named_by = stored_scenario(request.app, int(plan["scenario_id"]))
    return page(
        request,
        "plan.html",
        {
            "user": user,
            "plan": plan,
            "summary": summary,
            "movements": movements,
            "arrivals": events,
            "parties": parties,
            "limits": binding_limits_in_words(summary.get("bottlenecks") or [], named_by),
            "requested": sum(m["status"] == "requested" for m in movements),
            "can_notify": user.role in ("admin", "coordinator", "notifier"),
        },
    )


@router.get("/plans/{plan_id}/data.json")
async def plan_data(request: Request, user: User, plan_id: PlanId) -> Response:
    """What the plan page draws (see ``plan_view``): the snapshot its page just took for this session
    (used once, within a minute), or read afresh through the API."""
    taken = _snapshots(request).pop(_session_key(user, plan_id), None)
    if taken is not None and time.monotonic() - taken[0] <= SNAPSHOT_TTL_S:
        return compressed_json(request, taken[1])
    plan = await user.api.plan(plan_id)  # the API decides whether this user may read it
    movements = await user.api.plan_movements(plan_id)
    return compressed_json(request, _plan_data(request, plan, movements, await user.api.events(kind="arrived")))


@router.post("/plans/{plan_id}/notify")
async def notify_plan(request: Request, user: User, plan_id: PlanId) -> RedirectResponse:
    """One notification per movement of the plan still ``requested``, to the chosen parties."""
    form = await checked_form(request, user)
    party_ids = sorted({int(v) for v in form.getlist("party_id") if isinstance(v, str) and v.isdigit()})
    if not party_ids:
        raise ApiError(422, "party_id: choose at least one party to notify")
    try:
        notice = float(field(form, "notice_hours", "24") or 24)
    except ValueError:
        raise ApiError(422, "notice_hours: give a number of hours, e.g. 24") from None
    await user.api.notify_plan(
        plan_id, party_ids, notice, field(form, "message"), key=f"web-notify-{plan_id}-{field(form, 'nonce')}"
    )
    return redirect(f"/ui/notifications?plan={plan_id}")


def _overdue_by(ack_due: str, now: dt.datetime) -> str:
    return timer_in_words(dt.datetime.fromisoformat(ack_due), now)


@router.get("/notifications", response_class=HTMLResponse)
async def notifications(
    request: Request, user: User, plan: int | None = None, overdue: bool | None = None
) -> HTMLResponse:
    items = with_named_titles(request.app, await user.api.notifications(overdue=overdue))
    if plan is not None:
        ids = {m["id"] for m in await user.api.plan_movements(plan)}
        items = [n for n in items if n.get("movement_id") in ids]
    parties = {p["id"]: p["name"] for p in await user.api.parties()}
    escalations = with_named_titles(request.app, await user.api.escalations()) if user.is_staff else []
    hns = await user.api.hns_notifications()
    hns_late = await user.api.hns_escalations() if user.is_staff else []
    now = dt.datetime.now(dt.UTC)
    return page(
        request,
        "notifications.html",
        {
            "hns": hns,
            "hns_late": [(e, _overdue_by(e["due"], now)) for e in hns_late],
            "user": user,
            "items": items,
            "parties": parties,
            "plan": plan,
            "overdue": overdue,
            "escalations": [(e, _overdue_by(e["ack_due"], now)) for e in escalations],
            "timers": {n["id"]: _overdue_by(n["ack_due"], now) for n in items},
        },
    )


@router.get("/notifications/{notification_id}", response_class=HTMLResponse)
async def notification_page(request: Request, user: User, notification_id: PlanId) -> HTMLResponse:
    (note,) = with_named_titles(request.app, [await user.api.notification(notification_id)])
    answers = await user.api.answers(notification_id)
    parties = {p["id"]: p["name"] for p in await user.api.parties()}
    movement = await user.api.movement(note["movement_id"]) if note.get("movement_id") and user.is_staff else None
    return page(
        request,
        "notification.html",
        {
            "user": user,
            "note": note,
            "answers": answers,
            "parties": parties,
            "movement": movement,
            "timer": _overdue_by(note["ack_due"], dt.datetime.now(dt.UTC)),
        },
    )


@router.post("/escalations/sweep")
async def sweep(request: Request, user: User) -> RedirectResponse:
    form = await checked_form(request, user)
    await user.api.sweep(key=f"web-sweep-{field(form, 'nonce')}")
    return redirect("/ui/notifications?overdue=true")


@router.get("/events", response_class=HTMLResponse)
async def events_page(
    request: Request, user: User, kind: str | None = None, movement: int | None = None
) -> HTMLResponse:
    events = await user.api.events(kind=kind if kind in EVENT_KINDS else None, movement_id=movement)
    notified: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        if e["kind"] in ("incident", "pause_violation") and e.get("movement_id") and e["movement_id"] not in notified:
            notified[e["movement_id"]] = await user.api.notifications(movement_id=e["movement_id"])
    parties = {p["id"]: p["name"] for p in await user.api.parties()}
    return page(
        request,
        "events.html",
        {
            "user": user,
            "events": list(reversed(events)),
            "kinds": EVENT_KINDS,
            "categories": INCIDENT_CATEGORIES,
            "kind": kind,
            "movement": movement,
            "notified": notified,
            "parties": parties,
            "can_record": user.role in ("admin", "coordinator", "monitor"),
            "now": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M"),
            "statuses": [s.value for s in MovementStatus],
        },
    )


def _quantities(text: str, name: str) -> dict[str, float]:
    """``food=390, water=12.5`` as a mapping (422 naming the field on a bad item)."""
    out: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        commodity, _, amount = item.partition("=")
        try:
            out[commodity.strip()] = float(amount)
        except ValueError:
            raise ApiError(
                422,
                f"{name}: write commodity=quantity pairs separated by commas, e.g. food=390, water=12"
                f" (bad item {item!r})",
            ) from None
    return out


@router.post("/events")
async def record_event(request: Request, user: User) -> RedirectResponse:
    form = await checked_form(request, user)
    kind = field(form, "kind")
    occurred = field(form, "occurred_at")
    try:
        moment = dt.datetime.fromisoformat(occurred)
    except ValueError:
        raise ApiError(422, "occurred_at: give the date and time (UTC), e.g. 2023-11-24T10:30") from None
    body: dict[str, Any] = {
        "kind": kind,
        "occurred_at": (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat(),
        "description": field(form, "description"),
    }
    for name in ("movement_id", "people"):
        if field(form, name):
            if not field(form, name).isdigit():
                raise ApiError(422, f"{name}: give a whole number")
            body[name] = int(field(form, name))
    for name in ("place_id", "road_id", "incident_category", "release_of"):
        if field(form, name):
            body[name] = field(form, name)
    for name in ("quantities_good", "quantities_damaged"):
        if field(form, name):
            body[name] = _quantities(field(form, name), name)
    await user.api.record_event(body, key=f"web-event-{field(form, 'nonce')}")
    return redirect("/ui/events")


@router.post("/movements/status")
async def change_status(request: Request, user: User) -> RedirectResponse:
    """Move a movement along its lifecycle (the API answers 409 naming the allowed next statuses)."""
    form = await checked_form(request, user)
    ident = field(form, "movement_id")
    if not ident.isdigit():
        raise ApiError(422, "movement_id: give the movement's number")
    await user.api.change_status(
        int(ident), field(form, "status"), field(form, "reason"), key=f"web-status-{ident}-{field(form, 'nonce')}"
    )
    return redirect(f"/ui/events?movement={ident}")


def key_fingerprint(public_key_pem: str) -> str:
    """SHA-256 of the key's DER (SubjectPublicKeyInfo), as colon-separated hex pairs."""
    body = "".join(line for line in public_key_pem.strip().splitlines() if "-----" not in line)
    digest = hashlib.sha256(base64.b64decode(body)).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request, user: User) -> HTMLResponse:
    report = await user.api.audit_verify()
    export = await user.api.audit_export()
    return page(
        request,
        "audit.html",
        {
            "user": user,
            "report": report,
            "head": export["head"],
            "checkpoint": export.get("checkpoint", ""),
            "deployment": export.get("deployment"),
            "fingerprint": key_fingerprint(export["public_key_pem"]),
            "public_key_pem": export["public_key_pem"],
            "recent": list(reversed(export["entries"][-20:])),
        },
    )


@router.get("/audit/export.json")
async def audit_export(user: User) -> JSONResponse:
    return _json(await user.api.audit_export())
