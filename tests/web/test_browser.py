"""The web UI in a real browser: the coordinator's, the liaison's, the monitor's and the public's
journeys, with the security and accessibility checks on every page (see conftest.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import expect

from safepassage.interop.cap import validate_alert
from safepassage.interop.windows import window_occurrences
from safepassage.scenario import load_scenario
from safepassage.service.audit import (
    GENESIS_HASH,
    entry_hash,
    entry_leaf,
    export_signature_input,
    load_public_key,
    public_key_pem,
    verify_export,
)
from safepassage.service.transparency import merkle_root, parse_checkpoint, sign_checkpoint
from safepassage.web.notification_titles import named_title
from safepassage.web.staff_pages import key_fingerprint
from tests.web.conftest import best_plan
from tests.web.seed import World


def test_compare_page_draws_the_stored_monte_carlo_bands(browse: Any, world: World, api: Any) -> None:
    smallest = min(world.plans.values(), key=lambda p: len(p["movement_ids"]))  # the quickest to simulate
    me = browse("coordinator")
    me.open(f"/ui/compare?scenario={world.scenario_id}")
    me.page.click("details.tools summary:text('Simulate')")
    me.page.select_option("#mc-proposal", smallest["proposal"])
    me.page.fill("#mc-runs", "4")
    me.page.click("form[action='/ui/compare/simulate'] button[type=submit]")
    me.page.wait_for_url(re.compile(r"simulating=1"))
    assert "Started 1 simulation job" in me.page.inner_text("main")
    deadline = time.monotonic() + 900
    while not (runs := api("coordinator").get(f"/plans/{smallest['id']}/monte-carlo")):
        assert time.monotonic() < deadline, "the Monte Carlo job did not finish in 15 minutes"
        time.sleep(1)
    stored = runs[0]
    assert stored["runs"] == 4

    me.open(f"/ui/compare?scenario={world.scenario_id}")
    row = me.page.locator("table.kpi tbody tr", has=me.page.locator(f"th:text-is('{smallest['proposal']}')"))
    shown = row.locator(".band")
    assert shown.count() >= 2  # trucks arrived, people safe (and tonnes per commodity)
    for i in range(shown.count()):
        band = shown.nth(i)
        kpi = band.get_attribute("data-kpi")
        p10, p50, p90 = (float(band.get_attribute(f"data-{s}") or "nan") for s in ("p10", "p50", "p90"))
        want = stored["kpis"][kpi]
        assert (p10, p50, p90) == (want["p10"], want["p50"], want["p90"]), kpi
        assert p10 <= p50 <= p90, kpi
        assert f"P10–P90 {want['p10']:,.0f}–{want['p90']:,.0f}" in band.inner_text()
    # Proposals never simulated show no band, and the page says which plans the bands come from.
    assert me.page.locator("table.kpi .band").count() == shown.count()
    assert f"{smallest['proposal']} 4 runs (seed 0)" in me.page.inner_text("#uncertainty")
    # The charts draw the same bands: one red P10-P90 bar per chart, from the same stored figures.
    me.page.wait_for_selector("#compare-charts svg")
    assert me.page.locator("#compare-charts g.band line").count() == 2
    data = me.context.request.get(f"{world.url}/ui/compare/data.json?scenario={world.scenario_id}").json()
    drawn = next(p for p in data["proposals"] if p["plan_id"] == smallest["id"])
    assert drawn["runs"] == 4
    for kpi, band in drawn["bands"].items():
        assert band == {s: stored["kpis"][kpi][s] for s in ("p10", "p50", "p90")}
    assert all(p["bands"] is None for p in data["proposals"] if p["plan_id"] != smallest["id"])
    assert me.axe() == []
    me.screenshots("compare-bands")


def test_plan_page_first_view_and_assets_are_cached_and_compressed(browse: Any, world: World) -> None:
    """The first view (map and slider) needs only Leaflet and the page's script; the timeline and chart
    libraries come after the load event; every asset has a content-versioned URL cached for a year and is
    sent gzipped; the page's data comes compressed."""
    best = best_plan(world)
    me = browse("coordinator")
    me.context.add_init_script(  # what the page had loaded at its load event (the driver's script, not the page's)
        "window.addEventListener('load', () => {"
        " window.__atLoad = performance.getEntriesByType('resource').map(e => e.name); });"
    )
    me.open(f"/ui/plans/{best['id']}")
    me.page.wait_for_selector("#plan-map[data-map-ready='true']")
    me.page.wait_for_selector("#plan-map[data-ready='true']")
    before_load = " ".join(me.page.evaluate("() => window.__atLoad"))
    assert "leaflet.js?v=" in before_load and "plan.js?v=" in before_load
    for late in ("vis-timeline-graph2d.min.js", "d3.min.js", "plot.umd.min.js"):
        assert late not in before_load, f"{late} loaded before the page's load event"
    assert me.page.locator("#gantt .vis-item").count() > 0 and me.page.locator("#safe-chart svg").count() == 1
    # The Gantt pages its lanes, 40 at a time, in the table's order; the buttons move through them.
    total = len(best["movement_ids"])
    assert total > 40  # the paging below means something
    assert me.page.inner_text("#lanes-at") == f"Lanes 1–40 of {total}"
    assert me.page.locator("#gantt .vis-label").count() == 40 and me.page.is_disabled("#lanes-prev")
    me.page.click("#lanes-next")
    assert me.page.inner_text("#lanes-at") == f"Lanes 41–{min(80, total)} of {total}"
    me.page.click("#movements-table summary")  # the table of a plan of more than 40 movements starts closed
    expect(me.page.locator("#movements-table")).to_have_attribute("open", "")
    table_refs = me.page.locator("#movements tbody tr td:first-child").all_inner_texts()[40:80]
    # vis-timeline fills the new lanes' labels on its next animation frame, and opening the table can make
    # it redraw again (the page grows a scroll bar): wait for the labels rather than read them mid-redraw.
    expect(me.page.locator("#gantt .vis-label")).to_have_text([t.split(" #")[0] for t in table_refs])
    scripts = me.page.evaluate(
        "() => performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/static/'))"
    )
    assert len(scripts) >= 6
    for url in scripts:
        answer = me.context.request.get(url, headers={"Accept-Encoding": "gzip"})
        assert answer.status == 200
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable", url
        if url.split("?")[0].endswith((".js", ".css")):
            assert answer.headers.get("content-encoding") == "gzip", url
    stale = me.context.request.get(scripts[0].split("?")[0] + "?v=0000", headers={"Accept-Encoding": "gzip"})
    assert stale.headers["cache-control"] == "public, max-age=3600"  # not the current version: an hour only
    raw = httpx.get(f"{world.url}/static/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip" and len(raw.content) > int(raw.headers["content-length"])
    assert "content-security-policy" in raw.headers
    data = me.context.request.get(f"{world.url}/ui/plans/{best['id']}/data.json", headers={"Accept-Encoding": "gzip"})
    assert data.headers.get("content-encoding") == "gzip" and len(data.json()["movements"]) == len(best["movement_ids"])


def _notify_if_needed(api: Any, plan_id: int, party_id: int) -> list[dict[str, Any]]:
    """The notifications of a plan's movements (sent to ``party_id`` through the API if none are yet)."""
    movements = api("coordinator").get(f"/plans/{plan_id}/movements")
    if any(m["status"] == "requested" for m in movements):
        api("coordinator").post(f"/plans/{plan_id}/notifications", {"party_ids": [party_id], "notice_hours": 24})
    ids = {m["id"] for m in movements}
    return [n for n in api("coordinator").get("/notifications", limit=1000) if n["movement_id"] in ids]


def test_coordinator_compares_opens_the_best_plan_and_sends_its_notifications(
    browse: Any, world: World, api: Any
) -> None:
    best = best_plan(world)
    me = browse("coordinator")
    me.open(f"/ui/compare?scenario={world.scenario_id}")
    rows = me.page.locator("table.kpi tbody tr")
    assert rows.count() == len(world.plans)
    for name, plan in world.plans.items():  # the table says what each plan's summary says
        row = me.page.locator("table.kpi tbody tr", has=me.page.locator(f"th:text-is('{name}')"))
        assert f"{plan['summary']['trucks_arrived']:,}" in row.inner_text()
        assert f"{plan['summary']['people_reached_safety']:,}" in row.inner_text()
    starred = me.page.locator("tr.best th").inner_text()
    assert starred.startswith(best["proposal"])
    me.page.wait_for_selector("#compare-charts svg")
    assert me.page.locator("#compare-charts svg").count() == 2
    assert me.axe() == []
    me.screenshots("compare")

    me.page.click(f"tr.best a[href='/ui/plans/{best['id']}']")
    me.page.wait_for_selector("#plan-map[data-ready='true']")
    assert me.page.locator("#plan-map path.leaflet-interactive").count() >= 5  # zones and flows are drawn
    movements = api("coordinator").get(f"/plans/{best['id']}/movements")
    assert me.page.locator("#movements tbody tr").count() == len(movements)
    assert me.page.locator("#gantt .vis-item").count() > 0
    assert me.page.locator("#windows-timeline .vis-item").count() > 0
    before = me.page.inner_text("#time-now")
    me.page.locator("#time-slider").fill("300")
    assert me.page.inner_text("#time-now") != before
    assert me.axe() == []
    me.screenshots("plan")

    # Party A only: party B's liaison must not see these.
    me.page.check(f"input[name=party_id][value='{world.party_ids['Party A']}']")
    me.page.click("#notify-h ~ form button[type=submit]")
    me.page.wait_for_url(re.compile(r"/ui/notifications\?plan="))
    sent = _notify_if_needed(api, best["id"], world.party_ids["Party A"])
    assert len(sent) == len(movements)  # one per movement
    assert all([a["party_id"] for a in n["addressees"]] == [world.party_ids["Party A"]] for n in sent)
    assert f"{len(movements)} notification(s)" in me.page.inner_text("main")
    assert me.axe() == []
    me.screenshots("notifications")
    me.open(f"/ui/notifications/{sent[0]['id']}")
    # The API's title names the movement's places by id; the page names them as the scenario does.
    movement = api("coordinator").get(f"/movements/{sent[0]['movement_id']}")
    ends = [movement["origin"], movement["destination"]]
    heading = me.page.inner_text("h1")
    assert named_title(sent[0]["title"], ends, load_scenario("gaza-2023-11")) in heading
    assert not any(re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", heading) for i in ends), heading
    assert me.axe() == []
    me.screenshots("notification")


def test_party_liaison_sees_only_their_party_and_answers(browse: Any, world: World, api: Any) -> None:
    best = best_plan(world)
    mine = _notify_if_needed(api, best["id"], world.party_ids["Party A"])
    other_plan = world.plans["no-pause"]
    theirs = _notify_if_needed(api, other_plan["id"], world.party_ids["Party B"])
    assert mine and theirs

    me = browse("liaison-a")
    assert me.page.url.endswith("/ui/inbox")
    links = me.page.locator("ul.inbox a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    shown = {int(h.rsplit("/", 1)[1]) for h in links}
    assert shown == {n["id"] for n in api("liaison-a").get("/notifications", limit=1000)}
    assert {n["id"] for n in mine} <= shown and not shown & {n["id"] for n in theirs}
    gaza = load_scenario("gaza-2023-11")
    for note in mine[:3]:  # titles name places, not scenario ids
        movement = api("coordinator").get(f"/movements/{note['movement_id']}")
        title = me.page.locator(f"ul.inbox a[href='/ui/inbox/{note['id']}']").inner_text()
        assert title == named_title(note["title"], [movement["origin"], movement["destination"]], gaza)
        assert gaza.place(movement["destination"]).name in title
    assert me.axe() == []
    me.screenshots("inbox")

    # Party B's notification by URL, and a staff page: the API's 404 and 403, not a hidden button.
    assert me.open(f"/ui/inbox/{theirs[0]['id']}").status == 404
    assert me.open(f"/ui/notifications/{theirs[0]['id']}").status == 404
    assert me.open("/ui/compare").status == 403

    target = mine[0]
    me.open(f"/ui/inbox/{target['id']}")
    me.page.check("input[name=action][value=receipt]")
    me.page.click("main form button[type=submit]")
    me.page.wait_for_url(f"**/ui/inbox/{target['id']}")
    expect(me.page.locator("#own-answer")).to_contain_text("acknowledged")
    answers = api("coordinator").get(f"/notifications/{target['id']}/acknowledgments")
    assert [a["decision"] for a in answers] == ["acknowledged"]
    assert me.axe() == []
    me.screenshots("inbox-item")

    # Asking for a changed window (the API has no conditional facilitation yet): recorded with the question.
    second = mine[1]
    me.open(f"/ui/inbox/{second['id']}")
    me.page.check("input[name=action][value=question]")
    me.page.fill("#message", "Can the convoy move 2 hours later, 12:00-16:00?")
    me.page.click("main form button[type=submit]")
    me.page.wait_for_url(f"**/ui/inbox/{second['id']}")
    expect(me.page.locator("#own-answer")).to_contain_text("queried")
    # A denial without a reason is refused with the reason why.
    me.page.check("input[name=action][value=deny]")
    me.page.click("main form button[type=submit]")
    expect(me.page.locator("main")).to_contain_text("needs a message")

    # Humanitarian notification (HNS): receipt, dissemination, then facilitated with a changed window.
    hns, other = world.hns["Party A"], world.hns["Party B"]
    assert me.open(f"/ui/hns/{other['id']}").status == 404
    me.open("/ui/inbox")
    me.page.click(f"#hns-inbox a[href='/ui/hns/{hns['id']}']")
    me.page.click("#confirm-receipt")
    me.page.fill("#dis-note", "southern command posts")
    me.page.click("#confirm-dissemination")
    expect(me.page.locator(f"#hns-addressees tr[data-party='{world.party_ids['Party A']}']")).to_contain_text(
        re.compile(r"done .*done ", re.S)
    )
    row = me.page.locator(f"#hns-addressees tr[data-party='{world.party_ids['Party A']}']").inner_text()
    assert row.count("done ") == 2, row
    later_start = dt.datetime.fromisoformat(hns["window_start"]) + dt.timedelta(hours=2)
    later_end = dt.datetime.fromisoformat(hns["window_end"]) + dt.timedelta(hours=2)
    me.page.check("input[name=response][value=facilitated_with_conditions]")
    me.page.fill("#earliest", later_start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M"))
    me.page.fill("#latest", later_end.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M"))
    me.page.fill("#other", "escort from the gate")
    assert me.axe() == []
    me.screenshots("hns-liaison")
    me.page.click("#send-response")
    expect(me.page.locator("main")).to_contain_text("new version")
    responses = api("coordinator").get(f"/hns-notifications/{hns['id']}/responses")
    assert [r["response"] for r in responses] == ["facilitated_with_conditions"]
    new_version = api("coordinator").get(f"/hns-notifications/{responses[0]['new_version_id']}")
    assert new_version["version"] == 2 and dt.datetime.fromisoformat(new_version["window_start"]) == later_start
    addressee = api("coordinator").get(f"/hns-notifications/{hns['id']}")["addressees"][0]
    assert (
        addressee["receipt_at"]
        and addressee["dissemination_at"]
        and addressee["response"] == "facilitated_with_conditions"
    )

    csv_text = me.context.request.get(world.url + "/ui/inbox/notifications.csv").text()
    ids = {int(line.split(",", 1)[0]) for line in csv_text.splitlines()[1:]}
    assert ids == shown
    geo = me.context.request.get(world.url + "/ui/inbox/notifications.geojson").json()
    assert {f["id"] for f in geo["features"] if isinstance(f["id"], int)} == shown
    routes = [f for f in geo["features"] if f["id"] == f"hns/{hns['id']}"]
    assert routes and routes[0]["geometry"]["type"] == "LineString"
    assert not [f for f in geo["features"] if f["id"] == f"hns/{other['id']}"]


def test_monitor_records_an_arrival_and_the_plan_page_shows_it(browse: Any, world: World, api: Any) -> None:
    best = best_plan(world)
    notes = _notify_if_needed(api, best["id"], world.party_ids["Party A"])
    movements = {m["id"]: m for m in api("coordinator").get(f"/plans/{best['id']}/movements")}
    note = next(
        n
        for n in notes
        if movements[n["movement_id"]]["kind"] == "convoy" and movements[n["movement_id"]]["status"] == "notified"
    )
    movement = movements[note["movement_id"]]
    api("liaison-a").post(f"/notifications/{note['id']}/acknowledgments", {"decision": "acknowledged"})

    me = browse("monitor")
    assert me.page.url.endswith("/ui/events")
    # facilitated (a status change), then departed and arrived (events)
    me.page.click("summary:text('Change a movement')")
    me.page.fill("#st-movement", str(movement["id"]))
    me.page.select_option("#st-status", "facilitated")
    me.page.click("form[action='/ui/movements/status'] button")
    me.page.wait_for_url(re.compile(r"/ui/events\?movement="))
    commodity = next(iter(movement["cargo"]))
    # What arrives is at most what the convoy carried (the service refuses more): most good, a little damaged.
    carried = float(movement["cargo"][commodity])
    good, damaged = round(carried * 0.9), round(carried * 0.9 * 0.01) or 1
    for kind, at in (("departed", "2023-11-24T08:05"), ("arrived", "2023-11-24T11:20")):
        me.open("/ui/events")
        me.page.select_option("#ev-kind", kind)
        me.page.fill("#ev-at", at)
        me.page.fill("#ev-movement", str(movement["id"]))
        if kind == "arrived":
            me.page.fill("#ev-good", f"{commodity}={good}")
            me.page.fill("#ev-damaged", f"{commodity}={damaged}")
        me.page.click("form[action='/ui/events'] button[type=submit]")
        me.page.wait_for_url("**/ui/events")
    assert api("coordinator").get(f"/movements/{movement['id']}")["status"] == "arrived"
    assert me.page.locator("#events tbody tr").first.inner_text().startswith("2023-11-24 11:20")
    assert me.axe() == []
    me.screenshots("events")

    me.open(f"/ui/plans/{best['id']}")
    row = me.page.locator(f"#movements tr[data-movement='{movement['id']}']")
    # Open the table as a keyboard user does (no pointer position to go stale while the charts are drawn), then wait
    # until it is open: a closed <details> hides its rows' text from innerText.
    table = me.page.locator("#movements-table")
    if table.get_attribute("open") is None:  # closed for a plan of more than 40 movements
        me.page.focus("#movements-table summary")
        me.page.keyboard.press("Enter")
    expect(table).to_have_attribute("open", "")
    expect(row.locator(".status")).to_contain_text("arrived")
    assert f"{good:g} {commodity} good" in row.inner_text() and f"{damaged:g} {commodity} damaged" in row.inner_text()
    me.page.wait_for_selector("#plan-map[data-ready='true']")
    # The Gantt draws only the lanes in view; what it draws for this movement comes from the page's data.
    data = me.context.request.get(f"{world.url}/ui/plans/{best['id']}/data.json").json()
    lane = next(m for m in data["movements"] if m["id"] == movement["id"])
    assert (
        lane["status"] == "arrived"
        and lane["arrived_at"].startswith("2023-11-24T11:20")
        and lane["arrived_good"] == {commodity: float(good)}
    )


def test_public_page_in_arabic_and_english_without_javascript_or_sensitive_sites(browse: Any, world: World) -> None:
    scenario = load_scenario("gaza-2023-11")
    newest = max(world.plans.values(), key=lambda p: p["id"])  # the public page shows the newest plan's pause
    occurrences = window_occurrences(scenario, scenario.proposal(newest["proposal"]))
    sensitive = [p for p in scenario.places if p.sensitive]
    assert sensitive  # the check below means something
    reader = browse(None, javascript=False)  # the public page must work without JavaScript
    checker = browse(None)  # axe-core needs JavaScript to run; the page itself has none
    feed = reader.context.request.get(world.url + "/public/alerts.xml").text()
    links = re.findall(r'href="([^"]+/public/alerts/[^"]+\.xml)"', feed)
    assert links
    for link in links:
        validate_alert(reader.context.request.get(link).body())  # each alert is valid CAP 1.2
    ics = reader.context.request.get(world.url + "/public/windows.ics")
    assert ics.headers["content-type"].startswith("text/calendar") and ics.text().count("BEGIN:VEVENT") == len(links)
    for path, lang in (
        ("/public", "en"),
        ("/public/ar", "ar"),
        ("/public?print=1", "en"),
        ("/public/ar?print=1", "ar"),
    ):
        response = reader.open(path)
        assert response.status == 200
        html = reader.page.content()
        assert reader.page.locator("html").get_attribute("lang") == lang
        assert reader.page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        assert reader.page.locator(".svgmap").get_attribute("dir") == "ltr"
        assert reader.page.locator("li.window").count() == len(links)  # one per CAP alert, as the feed
        assert occurrences[0].start.strftime("%Y-%m-%d") in reader.page.locator("li.window").first.inner_text()
        assert ("هدنة إنسانية" if lang == "ar" else "Humanitarian pause") in html
        # The scenario's and the proposal's titles in the page's language (the Gaza scenario gives both).
        proposal = scenario.proposal(newest["proposal"])
        assert reader.page.locator(".headline .scenario-title").inner_text() == (
            scenario.title_ar if lang == "ar" else scenario.title
        )
        assert reader.page.locator(".headline .proposal-title").inner_text() == (
            proposal.name_ar if lang == "ar" else proposal.name
        )
        # The Gaza scenario declares no screening point that holds or sends people back: no such warning.
        assert reader.page.locator(".screening").count() == 0
        assert ("احمل وثائق هويتك" if lang == "ar" else "Carry identity documents") not in html
        assert ("لا يضمن السلامة" if lang == "ar" else "no guarantee of safety") in html
        for place in sensitive:
            assert place.name not in html and place.id not in html
            lon, lat = place.geometry.coordinates
            assert f"{lon}" not in html and f"{lat}" not in html
        assert "<script" not in html
        checker.open(path)
        assert checker.axe() == []
        checker.screenshots("public-" + lang + ("-print" if "print" in path else ""), full_page=True)


def _verify_here(me: Any) -> str:
    me.page.click("#verify-here")
    me.page.wait_for_selector("#verify-result.ok, #verify-result.bad")
    return str(me.page.inner_text("#verify-result"))


def test_audit_chain_verifies_in_the_browser(browse: Any, world: World) -> None:
    me = browse("coordinator")
    me.open("/ui/audit")
    fingerprint = me.page.inner_text("#fingerprint")
    export = me.context.request.get(world.url + "/ui/audit/export.json").json()
    assert export["entries"], "the seeded world has an audit record"
    public_key = load_public_key(export["public_key_pem"])
    assert verify_export(export, public_key).ok  # what the server's verifier says of the same document
    assert fingerprint == key_fingerprint(export["public_key_pem"])
    checkpoint = parse_checkpoint(export["checkpoint"], public_key)
    result = _verify_here(me)
    assert result.startswith("Verified in this browser"), result
    assert fingerprint in result
    assert f"Merkle tree of the {checkpoint.size} entries has root {checkpoint.root_b64}" in result
    assert me.axe() == []
    me.screenshots("audit")


def _forge(
    export: dict[str, Any],
    key: Ed25519PrivateKey,
    *,
    edit: int | None = None,
    sign_entries: bool = True,
    checkpoint_size: int | None = None,
    checkpoint_root: bytes | None = None,
) -> dict[str, Any]:
    """The export rebuilt and re-signed throughout with ``key`` (a self-consistent copy if no other
    argument is given): entry ``edit`` gets another actor (its hash redone, its signature only if
    ``sign_entries``), and the checkpoint may name another size or root."""
    entries = [dict(e) for e in export["entries"]]
    previous = GENESIS_HASH
    for e in entries:
        e["prev_hash"] = previous
        if e["seq"] == edit:
            e["actor"] = "someone-else"
            if not sign_entries:
                e["entry_hash"] = entry_hash(e)
                previous = e["entry_hash"]
                continue
        e["entry_hash"] = entry_hash(e)
        e["signature"] = base64.b64encode(key.sign(e["entry_hash"].encode("ascii"))).decode("ascii")
        previous = e["entry_hash"]
    leaves = [entry_leaf(e) for e in entries]
    doc = {k: v for k, v in export.items() if k != "signature"}
    doc["entries"] = entries
    doc["head"] = {"seq": len(entries), "entry_hash": previous}
    doc["public_key_pem"] = public_key_pem(key)
    doc["checkpoint"] = sign_checkpoint(
        export["origin"],
        len(entries) if checkpoint_size is None else checkpoint_size,
        merkle_root(leaves) if checkpoint_root is None else checkpoint_root,
        key,
    )
    doc["signature"] = base64.b64encode(key.sign(export_signature_input(doc))).decode("ascii")
    return doc


def test_audit_page_refuses_a_tampered_export(browse: Any, world: World) -> None:
    """Each check the browser makes catches the tampering it is there for: the page is served forged
    exports (Playwright answers its fetch) and must say NOT verified, and why."""
    me = browse("coordinator")
    me.open("/ui/audit")
    export = me.context.request.get(world.url + "/ui/audit/export.json").json()
    n = len(export["entries"])
    assert n >= 3
    serve: dict[str, Any] = {}
    me.page.route(
        "**/ui/audit/export.json",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(serve["doc"], ensure_ascii=False)
        ),
    )

    genuine_key = load_public_key(export["public_key_pem"])
    other = Ed25519PrivateKey.generate()
    trusted = {"key": genuine_key}

    def check(doc: dict[str, Any], expected: str) -> None:
        # The server's verifier, given the key the page shows, must come to the same verdict.
        assert verify_export(doc, trusted["key"]).ok is (expected == "Verified"), expected
        serve["doc"] = doc
        result = _verify_here(me)
        assert expected in result, (expected, result)
        assert result.startswith("Verified in this browser" if expected == "Verified" else "NOT verified"), result

    check(export, "Verified")  # the genuine export, served the same way
    edited = json.loads(json.dumps(export))
    edited["entries"][1]["actor"] = "someone-else"
    check(edited, "the export signature does not verify")
    check(dict(export, signature=base64.b64encode(b"\0" * 64).decode("ascii")), "the export signature does not verify")
    check(_forge(export, other), "signed by another key")

    # With a page that shows the forging key's fingerprint, each inner check must still catch its case.
    me.page.evaluate(
        "fp => { document.getElementById('fingerprint').textContent = fp; }", key_fingerprint(public_key_pem(other))
    )
    trusted["key"] = other.public_key()
    check(_forge(export, other), "Verified")  # the forgery itself is self-consistent
    modified = _forge(export, other)
    modified["entries"][1]["actor"] = "someone-else"
    modified["signature"] = base64.b64encode(other.sign(export_signature_input(modified))).decode("ascii")
    check(modified, "entry 2 does not match its hash")
    check(_forge(export, other, edit=2, sign_entries=False), "entry 2 has no valid signature")
    gap = _forge(export, other)
    del gap["entries"][1]
    gap["signature"] = base64.b64encode(other.sign(export_signature_input(gap))).decode("ascii")
    check(gap, "entry 2 missing: deleted")
    check(_forge(export, other, checkpoint_size=n - 1), "the signed checkpoint is for")
    check(_forge(export, other, checkpoint_root=b"\1" * 32), "the Merkle root of the entries differs")
    altered = _forge(export, other)
    altered["checkpoint"] = altered["checkpoint"].replace(f"\n{n}\n", f"\n{n + 1}\n", 1)
    altered["signature"] = base64.b64encode(other.sign(export_signature_input(altered))).decode("ascii")
    check(altered, "the checkpoint signature does not verify")
    me.page.unroute("**/ui/audit/export.json")


def test_sign_in_page_cookies_csrf_and_headers(browse: Any, world: World) -> None:
    me = browse(None)
    response = me.open("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert me.axe() == []
    me.screenshots("login")
    me.sign_in("coordinator")
    cookie = next(c for c in me.context.cookies() if c["name"] == "sp_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # A write without the form's token, or from another origin, is refused.
    assert me.context.request.post(world.url + "/ui/escalations/sweep", form={"nonce": "x"}).status == 403
    token = me.page.locator("input[name=csrf]").first.get_attribute("value")
    assert (
        me.context.request.post(
            world.url + "/ui/escalations/sweep",
            form={"csrf": token, "nonce": "y"},
            headers={"Origin": "https://evil.example"},
        ).status
        == 403
    )
    assert (
        me.context.request.post(
            world.url + "/ui/escalations/sweep", form={"csrf": token, "nonce": "z"}, headers={"Origin": world.url}
        ).status
        == 200
    )
    me.open("/")
    assert me.page.url.endswith("/ui/compare")
    me.page.click("button:text('Sign out')")
    assert me.open("/ui/compare").url.endswith("/login?next=/ui/compare")


def test_staff_see_hns_versions_with_their_differences(browse: Any, world: World, api: Any) -> None:
    hns = world.hns["Party B"]
    api("liaison-b").post(f"/hns-notifications/{hns['id']}/confirmations", {"kind": "receipt"})
    start = dt.datetime.fromisoformat(hns["window_start"]) + dt.timedelta(hours=1)
    end = dt.datetime.fromisoformat(hns["window_end"]) + dt.timedelta(hours=1)
    answer = api("liaison-b").post(
        f"/hns-notifications/{hns['id']}/responses",
        {
            "response": "facilitated_with_conditions",
            "conditions": {"window": {"earliest_departure": start.isoformat(), "latest_arrival": end.isoformat()}},
        },
    )
    me = browse("coordinator")
    me.open("/ui/notifications")
    assert me.page.locator("#hns-notifications tbody tr").count() >= 2
    me.open(f"/ui/hns/{answer['new_version_id']}")
    diff = me.page.inner_text("#hns-versions")
    assert "/window/earliest_departure" in diff and hns["content"]["window"]["earliest_departure"][:16] in diff
    assert me.page.locator("#send-version").count() == 1  # a draft: the notifier sends it
    me.page.click("#send-version")
    assert api("coordinator").get(f"/hns-notifications/{answer['new_version_id']}")["state"] == "sent"
    assert api("coordinator").get(f"/hns-notifications/{hns['id']}")["state"] == "superseded"
    assert me.axe() == []
    me.screenshots("hns-staff")
