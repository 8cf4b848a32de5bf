"""The party inbox: a liaison sees the notifications addressed to their party (the API filters them;
another party's notification is the API's 404), answers them, and downloads them as CSV or GeoJSON.

Answers map onto the API's decisions: confirming receipt is ``acknowledged``, asking for information
is ``queried`` (with the question), denying is ``rejected`` (with the reason). Dissemination to field
units and facilitation with conditions (a changed window) need the HNS notification API (issue 9);
the page says so instead of pretending.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from safepassage.web.api_client import ApiError
from safepassage.web.forms import checked_form, field
from safepassage.web.notification_titles import with_named_titles
from safepassage.web.render import WebUser, page, redirect, signed_in
from safepassage.web.security import security_headers

__all__ = ["router", "ACTIONS", "notifications_csv", "notifications_geojson"]

router = APIRouter(prefix="/ui/inbox", include_in_schema=False)
User = Annotated[WebUser, Depends(signed_in)]
NoteId = Annotated[int, Path(ge=1, le=2**31 - 1)]

# UI action -> (API decision, whether a message is required, label)
ACTIONS: dict[str, tuple[str, bool, str]] = {
    "receipt": ("acknowledged", False, "Confirm receipt"),
    "question": ("queried", True, "Ask for information"),
    "deny": ("rejected", True, "Deny, with the reason"),
}
CSV_COLUMNS = (
    "id",
    "kind",
    "title",
    "valid_from",
    "valid_until",
    "ack_due",
    "your_answer",
    "answered_at",
    "overdue",
    "message",
)


def _own(note: dict[str, Any], party_id: int | None) -> dict[str, Any]:
    mine = [a for a in note.get("addressees", []) if a["party_id"] == party_id]
    return mine[0] if mine else {}


def notifications_csv(notes: list[dict[str, Any]], party_id: int | None) -> str:
    """One row per notification, with this party's latest answer (for a liaison's own systems)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for n in notes:
        own = _own(n, party_id)
        writer.writerow(
            [
                n["id"],
                n["kind"],
                n["title"],
                n["valid_from"],
                n["valid_until"],
                n["ack_due"],
                own.get("latest_decision") or "",
                own.get("answered_at") or "",
                n.get("overdue", False),
                n.get("message", ""),
            ]
        )
    return out.getvalue()


def notifications_geojson(notes: list[dict[str, Any]], party_id: int | None) -> dict[str, Any]:
    """RFC 7946 features: a site as its point, a movement with its route waypoints when the notification
    carries them (``route``: [[lon, lat], …]), else with a null geometry and its times as properties."""
    features = []
    for n in notes:
        site, route = n.get("site"), n.get("route")
        if site and site.get("lon") is not None and site.get("lat") is not None:
            geometry: dict[str, Any] | None = {"type": "Point", "coordinates": [site["lon"], site["lat"]]}
        elif route:
            geometry = {"type": "LineString", "coordinates": route}
        else:
            geometry = None
        own = _own(n, party_id)
        features.append(
            {
                "type": "Feature",
                "id": n["id"],
                "geometry": geometry,
                "properties": {
                    "kind": n["kind"],
                    "title": n["title"],
                    "valid_from": n["valid_from"],
                    "valid_until": n["valid_until"],
                    "ack_due": n["ack_due"],
                    "your_answer": own.get("latest_decision"),
                    "overdue": n.get("overdue", False),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def hns_geojson(notes: list[dict[str, Any]], party_id: int | None) -> list[dict[str, Any]]:
    """HNS movement notifications as features along their notified route."""
    out = []
    for n in notes:
        content, own = n.get("content") or {}, _own(n, party_id)
        window = content.get("window") or {}
        out.append(
            {
                "type": "Feature",
                "id": f"hns/{n['id']}",
                "geometry": content.get("route"),
                "properties": {
                    "kind": "humanitarian_notification",
                    "series": n["series_id"],
                    "version": n["version"],
                    "organisation": content.get("organisation"),
                    "earliest_departure": window.get("earliest_departure"),
                    "latest_arrival": window.get("latest_arrival"),
                    "waypoints": content.get("waypoints", []),
                    "receipt_at": own.get("receipt_at"),
                    "dissemination_at": own.get("dissemination_at"),
                    "response": own.get("response"),
                },
            }
        )
    return out


@router.get("", response_class=HTMLResponse)
async def inbox(request: Request, user: User) -> HTMLResponse:
    notes = with_named_titles(request.app, await user.api.notifications())
    hns = await user.api.hns_notifications()
    return page(
        request,
        "inbox.html",
        {
            "user": user,
            "notes": [(n, _own(n, user.party_id)) for n in notes],
            "actions": ACTIONS,
            "hns": [(n, _own(n, user.party_id)) for n in hns],
        },
    )


@router.get("/notifications.csv")
async def inbox_csv(request: Request, user: User) -> Response:
    body = notifications_csv(with_named_titles(request.app, await user.api.notifications()), user.party_id)
    return security_headers(
        Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="notifications.csv"'},
        )
    )


@router.get("/notifications.geojson")
async def inbox_geojson(request: Request, user: User) -> Response:
    body = notifications_geojson(with_named_titles(request.app, await user.api.notifications()), user.party_id)
    body["features"] += hns_geojson(await user.api.hns_notifications(), user.party_id)
    return security_headers(
        JSONResponse(
            body,
            media_type="application/geo+json",
            headers={"Content-Disposition": 'attachment; filename="notifications.geojson"'},
        )
    )


@router.get("/{note_id}", response_class=HTMLResponse)
async def inbox_item(request: Request, user: User, note_id: NoteId) -> HTMLResponse:
    note = await user.api.notification(note_id)  # 404 for a notification not addressed to this party
    (note,) = with_named_titles(request.app, [note])
    answers = await user.api.answers(note_id)
    return page(
        request,
        "inbox_item.html",
        {"user": user, "note": note, "own": _own(note, user.party_id), "answers": answers, "actions": ACTIONS},
    )


@router.post("/{note_id}/answer")
async def answer(request: Request, user: User, note_id: NoteId) -> RedirectResponse:
    form = await checked_form(request, user)
    action = field(form, "action")
    if action not in ACTIONS:
        raise ApiError(422, f"action: choose one of {', '.join(ACTIONS)}")
    decision, needs_message, label = ACTIONS[action]
    message = field(form, "message")
    if needs_message and not message:
        raise ApiError(
            422, f"message: '{label}' needs a message saying {'what you ask' if action == 'question' else 'why'}"
        )
    await user.api.answer(note_id, decision, message, key=f"web-answer-{note_id}-{field(form, 'nonce')}")
    return redirect(f"/ui/inbox/{note_id}")
