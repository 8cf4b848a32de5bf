"""Humanitarian notifications (HNS) in the browser: for a party liaison, confirm receipt, confirm
dissemination to field units, and respond (facilitated, facilitated with conditions such as a changed
window, denied with a reason, more information requested, no assurances); for staff, every version
with its differences, each party's two confirmations and response with their deadlines, the
escalations, and sending a drafted version.

All through the HNS API as the signed-in user: a liaison sees only the versions sent to their party
(another party's is the API's 404).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from safepassage.web.api_client import ApiError
from safepassage.web.forms import checked_form, field
from safepassage.web.render import WebUser, page, redirect, signed_in, timer_in_words

__all__ = ["router", "RESPONSES", "response_body", "deadline_in_words"]

router = APIRouter(prefix="/ui/hns", include_in_schema=False)
User = Annotated[WebUser, Depends(signed_in)]
NoteId = Annotated[int, Path(ge=1, le=2**31 - 1)]

RESPONSES = {
    "facilitated": "Facilitate",
    "facilitated_with_conditions": "Facilitate with conditions (e.g. a changed window)",
    "denied": "Deny, with the reason",
    "more_information_requested": "Ask for more information",
    "no_assurances": "No assurances",
}


def deadline_in_words(due: str | None, done_at: str | None, now: dt.datetime) -> str:
    """``done 2023-… UTC``, ``no deadline``, or the timer (``render.timer_in_words``: ``due in 3 h 5 min``)."""
    if done_at:
        return "done " + dt.datetime.fromisoformat(done_at).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not due:
        return "no deadline"
    return timer_in_words(dt.datetime.fromisoformat(due), now)


def _utc(text: str, name: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(422, f"{name}: give a date and time (UTC), e.g. 2030-01-02T10:00") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat()


def response_body(response: str, reason: str, earliest: str, latest: str, other: str) -> dict[str, Any]:
    """The API body of a response; a changed window only with ``facilitated_with_conditions``."""
    if response not in RESPONSES:
        raise ApiError(422, f"response: choose one of {', '.join(RESPONSES)}")
    body: dict[str, Any] = {"response": response, "reason": reason}
    if response == "facilitated_with_conditions":
        conditions: dict[str, Any] = {"other": other}
        if earliest or latest:
            if not (earliest and latest):
                raise ApiError(422, "conditions.window: give both the earliest departure and the latest arrival")
            conditions["window"] = {
                "earliest_departure": _utc(earliest, "earliest_departure"),
                "latest_arrival": _utc(latest, "latest_arrival"),
            }
        body["conditions"] = conditions
    return body


def _own(note: dict[str, Any], party_id: int | None) -> dict[str, Any]:
    return next((a for a in note.get("addressees", []) if a["party_id"] == party_id), {})


@router.get("/{note_id}", response_class=HTMLResponse)
async def hns_page(request: Request, user: User, note_id: NoteId) -> HTMLResponse:
    note = await user.api.hns_notification(note_id)  # 404 for a version not sent to a liaison's party
    versions = await user.api.hns_versions(note_id)
    responses = await user.api.hns_responses(note_id)
    parties = {p["id"]: p["name"] for p in await user.api.parties()}
    now = dt.datetime.now(dt.UTC)
    timers = {
        a["party_id"]: (
            deadline_in_words(note.get("receipt_due"), a.get("receipt_at"), now),
            deadline_in_words(note.get("dissemination_due"), a.get("dissemination_at"), now),
        )
        for a in note["addressees"]
    }
    return page(
        request,
        "hns.html",
        {
            "user": user,
            "note": note,
            "versions": versions,
            "responses": responses,
            "parties": parties,
            "timers": timers,
            "own": _own(note, user.party_id),
            "responses_offered": RESPONSES,
            "is_liaison": user.role == "party_liaison",
            "can_send": user.role in ("admin", "coordinator", "notifier") and note["state"] == "draft",
        },
    )


@router.post("/{note_id}/confirm")
async def confirm(request: Request, user: User, note_id: NoteId) -> RedirectResponse:
    form = await checked_form(request, user)
    kind = field(form, "kind")
    if kind not in ("receipt", "dissemination"):
        raise ApiError(422, "kind: confirm receipt or dissemination")
    await user.api.hns_confirm(
        note_id, kind, field(form, "note"), key=f"web-hns-{kind}-{note_id}-{field(form, 'nonce')}"
    )
    return redirect(f"/ui/hns/{note_id}")


@router.post("/{note_id}/respond")
async def respond(request: Request, user: User, note_id: NoteId) -> RedirectResponse:
    form = await checked_form(request, user)
    body = response_body(
        field(form, "response"),
        field(form, "reason"),
        field(form, "earliest_departure"),
        field(form, "latest_arrival"),
        field(form, "other"),
    )
    answer = await user.api.hns_respond(note_id, body, key=f"web-hns-respond-{note_id}-{field(form, 'nonce')}")
    return redirect(
        f"/ui/hns/{note_id}" + (f"?new_version={answer['new_version_id']}" if answer.get("new_version_id") else "")
    )


@router.post("/{note_id}/send")
async def send(request: Request, user: User, note_id: NoteId) -> RedirectResponse:
    form = await checked_form(request, user)
    await user.api.hns_send(note_id, key=f"web-hns-send-{note_id}-{field(form, 'nonce')}")
    return redirect(f"/ui/hns/{note_id}")
