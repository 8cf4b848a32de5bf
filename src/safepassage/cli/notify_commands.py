"""``notify``: draft the humanitarian notifications (HNS) of a plan, one per convoy, as JSON or HXL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from safepassage.cli.app import EXIT_BAD_INPUT, app, err_console, handle_errors
from safepassage.cli.options import DaysOpt, SlotOpt, horizon_with
from safepassage.cli.scenario_commands import ScenarioArg

__all__ = ["NotifyFormat", "notify"]

PLACEHOLDER_PHONE = "+000 000 0000"


class NotifyFormat(str, Enum):
    json = "json"
    hxl = "hxl"


@app.command()
@handle_errors
def notify(
    scenario: ScenarioArg,
    proposal: Annotated[str, typer.Option("--proposal", "-p", help="Proposal id or name.")],
    organisation: Annotated[str, typer.Option("--organisation", help="The organisation that moves the convoys.")] = "Humanitarian organisation",
    contact_name: Annotated[str, typer.Option("--contact-name", help="The 24/7 contact's name.")] = "24/7 duty officer",
    contact_phone: Annotated[str, typer.Option("--contact-phone", help="The 24/7 contact's phone (listed as missing until given).")] = PLACEHOLDER_PHONE,
    expires_after_hours: Annotated[float, typer.Option("--expires-after-hours", min=0, max=720, help="Hours after the latest arrival the notification stands.")] = 12.0,
    output_format: Annotated[NotifyFormat, typer.Option("--format", help="json (the content the service takes) or hxl (a tagged CSV table).")] = NotifyFormat.json,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
    days: DaysOpt = None,
    slot_minutes: SlotOpt = None,
) -> None:
    """Draft one humanitarian notification per convoy of a proposal's plan (per journey when the scenario
    sets no convoy rules): organisation, route (GeoJSON
    waypoints on the scenario's roads), window, vehicles and markings, staff and leader, cargo, 24/7
    contact, expiry. Plates and the leader's name are left for the organisation (``missing_fields``)."""
    from pydantic import ValidationError  # imported here so that ``safepassage --help`` stays light

    from safepassage.interop.hns import Contact, draft_movement, hxl_rows
    from safepassage.plan import plan_proposal
    from safepassage.scenario import load_scenario

    try:
        contact = Contact(name=contact_name, phone=contact_phone, available_24_7=True)
    except ValidationError as exc:
        err_console.print(f"[bold red]error:[/] --contact-name/--contact-phone: {exc.errors()[0]['msg']} (a phone is digits, spaces, +, -, brackets)", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    loaded = load_scenario(scenario)
    result = plan_proposal(loaded, proposal, horizon_with(loaded, days, slot_minutes))
    drafts: list[dict[str, Any]] = []
    who = contact.model_dump(exclude={"available_24_7"})
    expiry = dt.timedelta(hours=expires_after_hours)
    # One per convoy under the scenario's convoy rules; without rules, one per journey of the plan.
    for planned in result.planned_convoys:
        content = draft_movement(loaded, planned.route, planned.departs, planned.arrives, planned.cargo,
                                 planned.cargo_trucks, planned.trucks, organisation, who, expiry, leader=planned.leader, escort=planned.escort)
        drafts.append({"reference": planned.id, "trucks": planned.trucks, "stops": planned.stops, "journeys": [d.journey for d in planned.dispatches],
                       "content": content, "missing_fields": _missing(content, contact_phone)})
    for convoy in result.convoys if not result.planned_convoys else []:
        content = draft_movement(loaded, convoy.route, convoy.departs, convoy.arrives, convoy.cargo,
                                 convoy.cargo_trucks, convoy.trucks, organisation, who, expiry)
        drafts.append({"reference": convoy.id, "trucks": convoy.trucks, "content": content, "missing_fields": _missing(content, contact_phone)})
    if output_format == NotifyFormat.hxl:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(hxl_rows([(d["reference"], d["content"]) for d in drafts]))
        text = buffer.getvalue()
    else:
        text = json.dumps({"scenario": loaded.name, "proposal": result.proposal, "notifications": drafts}, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {len(drafts)} notifications to {out}", highlight=False)


def _missing(content: dict[str, Any], contact_phone: str) -> list[str]:
    from safepassage.interop.hns import missing_fields

    return missing_fields(content) + (["contact.phone"] if contact_phone == PLACEHOLDER_PHONE else [])
