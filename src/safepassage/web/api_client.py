"""The web UI's only way to read and write coordination data: the service's own JSON API, called
in-process (no network hop) with the signed-in user's bearer token.

Every page therefore gets exactly the API's role and party checks, idempotency and audit entries; the
UI never decides on its own who may see or do what. Each method is a thin adapter over one endpoint,
so a change of the API is a change here only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

__all__ = ["ApiClient", "ApiError"]


@dataclass
class ApiError(Exception):
    """The API refused or failed a call: its status code and a readable message (from ``detail``)."""

    status_code: int
    message: str

    def __str__(self) -> str:
        return f"{self.status_code}: {self.message}"


def _message(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        return response.text[:500]
    if isinstance(detail, list):  # FastAPI validation errors: say which field and why
        return "; ".join(
            f"{'.'.join(str(p) for p in item.get('loc', [])[1:]) or 'request'}: {item.get('msg', '')}"
            for item in detail
        )
    return str(detail)


MAX_PAGE = 1000  # the API's largest page


class ApiClient:
    """Calls the API of ``app`` as the holder of ``token`` (or anonymously).

    Lists are read whole: the client follows the API's ``Next-Cursor`` until the last page, ``page_size``
    items a request (at most the API's 1000; ``app.state.web_page_size`` sets it, e.g. small in tests),
    so no item is dropped."""

    def __init__(self, app: FastAPI, token: str | None = None) -> None:
        self._app = app
        self.token = token
        self.page_size = max(1, min(MAX_PAGE, int(getattr(app.state, "web_page_size", MAX_PAGE))))

    def _client(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self._app), base_url="http://api.internal", headers=headers, timeout=300
        )

    async def _get(self, path: str, **params: Any) -> Any:
        async with self._client() as client:
            response = await client.get(path, params={k: v for k, v in params.items() if v is not None})
        if response.status_code >= 400:
            raise ApiError(response.status_code, _message(response))
        return (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else response.text
        )

    async def _get_all(self, path: str, **params: Any) -> list[Any]:
        """Every item of a cursor-paged list: follows ``Next-Cursor`` to the last page."""
        items: list[Any] = []
        query = {k: v for k, v in params.items() if v is not None}
        async with self._client() as client:
            while True:
                response = await client.get(path, params={**query, "limit": self.page_size})
                if response.status_code >= 400:
                    raise ApiError(response.status_code, _message(response))
                items.extend(response.json())
                cursor = response.headers.get("Next-Cursor")
                if cursor is None:
                    return items
                query["after"] = cursor

    async def _post(self, path: str, body: dict[str, Any] | None = None, key: str | None = None) -> Any:
        # The form's own key makes a double submit (or a browser retry) replay the first answer.
        async with self._client() as client:
            response = await client.post(path, json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})
        if response.status_code >= 400:
            raise ApiError(response.status_code, _message(response))
        return response.json()

    # --- who -------------------------------------------------------------------------------------
    async def sign_in(self, username: str, password: str) -> str:
        async with self._client() as client:
            response = await client.post("/auth/token", data={"username": username, "password": password})
        if response.status_code >= 400:
            raise ApiError(response.status_code, _message(response))
        return str(response.json()["access_token"])

    async def me(self) -> dict[str, Any]:
        return dict(await self._get("/auth/me"))

    async def parties(self) -> list[dict[str, Any]]:
        return list(await self._get("/parties"))

    # --- scenarios and plans ------------------------------------------------------------------------
    async def scenarios(self) -> list[dict[str, Any]]:
        return list(await self._get("/scenarios"))

    async def create_scenario(self, yaml_text: str, key: str | None = None) -> dict[str, Any]:
        return dict(await self._post("/scenarios", {"yaml": yaml_text}, key))

    async def plans(self) -> list[dict[str, Any]]:
        return await self._get_all("/plans")

    async def plan(self, plan_id: int) -> dict[str, Any]:
        return dict(await self._get(f"/plans/{plan_id}"))

    async def create_plan(self, scenario_id: int, proposal: str, key: str | None = None) -> dict[str, Any]:
        return dict(await self._post("/plans", {"scenario_id": scenario_id, "proposal": proposal}, key))

    async def plan_movements(self, plan_id: int) -> list[dict[str, Any]]:
        return list(await self._get(f"/plans/{plan_id}/movements"))

    async def monte_carlo_runs(self, plan_id: int) -> list[dict[str, Any]]:
        """The plan's stored Monte Carlo runs, newest first (each with its per-KPI bands)."""
        return list(await self._get(f"/plans/{plan_id}/monte-carlo"))

    async def start_monte_carlo(self, plan_id: int, runs: int, seed: int = 0, key: str | None = None) -> dict[str, Any]:
        return dict(await self._post(f"/plans/{plan_id}/monte-carlo", {"runs": runs, "seed": seed}, key))

    # --- notifications ------------------------------------------------------------------------------
    async def notify_plan(
        self, plan_id: int, party_ids: list[int], notice_hours: float, message: str, key: str | None = None
    ) -> list[dict[str, Any]]:
        body = {"party_ids": party_ids, "notice_hours": notice_hours, "message": message}
        return list(await self._post(f"/plans/{plan_id}/notifications", body, key))

    async def notifications(self, movement_id: int | None = None, overdue: bool | None = None) -> list[dict[str, Any]]:
        return await self._get_all("/notifications", movement_id=movement_id, overdue=overdue)

    async def notification(self, notification_id: int) -> dict[str, Any]:
        return dict(await self._get(f"/notifications/{notification_id}"))

    async def answers(self, notification_id: int) -> list[dict[str, Any]]:
        return list(await self._get(f"/notifications/{notification_id}/acknowledgments"))

    async def answer(self, notification_id: int, decision: str, message: str, key: str | None = None) -> dict[str, Any]:
        return dict(
            await self._post(
                f"/notifications/{notification_id}/acknowledgments", {"decision": decision, "message": message}, key
            )
        )

    async def escalations(self) -> list[dict[str, Any]]:
        return await self._get_all("/escalations")

    async def sweep(self, key: str | None = None) -> dict[str, Any]:
        return dict(await self._post("/escalations/sweep", None, key))

    # --- humanitarian notifications (HNS): versions, confirmations, responses ----------------------
    async def hns_notifications(self, movement_id: int | None = None, state: str | None = None) -> list[dict[str, Any]]:
        return await self._get_all("/hns-notifications", movement_id=movement_id, state=state)

    async def hns_notification(self, notification_id: int) -> dict[str, Any]:
        return dict(await self._get(f"/hns-notifications/{notification_id}"))

    async def hns_versions(self, notification_id: int) -> list[dict[str, Any]]:
        return list(await self._get(f"/hns-notifications/{notification_id}/versions"))

    async def hns_responses(self, notification_id: int) -> list[dict[str, Any]]:
        return list(await self._get(f"/hns-notifications/{notification_id}/responses"))

    async def hns_confirm(self, notification_id: int, kind: str, note: str, key: str | None = None) -> dict[str, Any]:
        return dict(
            await self._post(f"/hns-notifications/{notification_id}/confirmations", {"kind": kind, "note": note}, key)
        )

    async def hns_respond(self, notification_id: int, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        return dict(await self._post(f"/hns-notifications/{notification_id}/responses", body, key))

    async def hns_send(self, notification_id: int, key: str | None = None) -> dict[str, Any]:
        return dict(await self._post(f"/hns-notifications/{notification_id}/send", None, key))

    async def hns_escalations(self) -> list[dict[str, Any]]:
        return await self._get_all("/hns-escalations")

    # --- movements and events -----------------------------------------------------------------------
    async def movement(self, movement_id: int) -> dict[str, Any]:
        return dict(await self._get(f"/movements/{movement_id}"))

    async def change_status(self, movement_id: int, status: str, reason: str, key: str | None = None) -> dict[str, Any]:
        return dict(await self._post(f"/movements/{movement_id}/status", {"status": status, "reason": reason}, key))

    async def events(self, kind: str | None = None, movement_id: int | None = None) -> list[dict[str, Any]]:
        return await self._get_all("/events", kind=kind, movement_id=movement_id)

    async def record_event(self, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        return dict(await self._post("/events", body, key))

    # --- audit --------------------------------------------------------------------------------------
    async def audit_verify(self) -> dict[str, Any]:
        return dict(await self._get("/audit/verify"))

    async def audit_export(self) -> dict[str, Any]:
        return dict(await self._get("/audit/export"))
