"""The web pages read the API's lists whole: with a page size of 2 (``app.state.web_page_size``) the
notifications page still shows every overdue confirmation, following the API's cursors."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from typing import Any

from safepassage.web.api_client import ApiClient
from tests.service.conftest import PASSWORD, World
from tests.service.test_hns_inputs import _body, _setup


def _web_sign_in(world: World, username: str) -> None:
    client = world.api.client
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    signed = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf.group(1)}, follow_redirects=False)
    assert signed.status_code == 303, signed.text


def test_notifications_page_follows_the_escalation_cursors(world: World, app: object) -> None:
    api = world.api
    scenario_id, movement_id = _setup(world)
    drafts = [api.created("notifier", "/hns-notifications", _body(world, scenario_id, movement_id))["id"] for _ in range(3)]
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    for draft in drafts:
        api.created("notifier", f"/hns-notifications/{draft}/send", {"receipt_due": due.isoformat()})
    time.sleep(1.3)
    overdue = api.get("coord", "/hns-escalations").json()
    assert len(overdue) >= 6  # three notifications, two parties each, receipt missing
    first = api.get("coord", "/hns-escalations", params={"limit": 2})
    assert len(first.json()) == 2 and first.headers.get("Next-Cursor")  # the API pages: the view must follow

    app.state.web_page_size = 2  # type: ignore[attr-defined]
    client = ApiClient(app, api.tokens["coord"])  # type: ignore[arg-type]
    asked: list[Any] = []
    real_client = client._client

    def counting() -> Any:  # count the API requests the client makes: one per page
        http = real_client()
        http.event_hooks["request"].append(lambda request: asyncio.sleep(0, asked.append(request.url.params.get("after"))))
        return http

    client._client = counting  # type: ignore[method-assign]
    assert asyncio.run(client.hns_escalations()) == overdue
    assert len(asked) == -(-len(overdue) // 2) and asked[0] is None and all(asked[1:])  # every page, by cursor
    _web_sign_in(world, "coord")
    html = api.client.get("/ui/notifications").text
    assert f"{len(overdue)} confirmation(s) overdue" in html
    shown = re.findall(r'<a href="/ui/hns/(\d+)">notification \d+ v\d+</a>: ([^<]+?) (receipt|dissemination) ', html)
    parties = {world.party_a: "Party A", world.party_b: "Party B"}
    assert sorted(shown) == sorted((str(e["hns_notification_id"]), parties[e["party_id"]], e["missing"]) for e in overdue)
    # The table of notifications is read whole too (three series of one version each, two pages of 2).
    assert all(f'href="/ui/hns/{d}"' in html for d in drafts)
