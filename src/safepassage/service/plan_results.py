"""The stored ``PlanResult`` of a plan the engine made: written when its job ends, read back whole.

A plan's row keeps its summary and its movements; what the public page and a Monte Carlo run need
beyond them — convoys with their legs, evacuation corridors, planned convoys with their dispatches —
is the plan's result itself. The job stores it once as JSON in the planner's own edge form
(``PlanResult.to_dict``: ids and ISO 8601 times), with the few fields that form leaves out, in table
``plan_result`` (migration 0005); ``plan_result_from_document`` turns it back into the same
``PlanResult`` (a round trip is equal to the original, tested).

Plans stored before migration 0005, and uploaded plans, have no stored result: ``stored_plan_result``
returns None and the caller plans the proposal again (the engine is deterministic).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import types
from typing import Any, Union, get_args, get_origin, get_type_hints

from sqlalchemy.orm import Session

from safepassage.plan import PlanResult
from safepassage.plan.result import Bottleneck, Convoy, EvacuationMovement, IntegerBound, PlannedConvoy, ProposalKPIs
from safepassage.service.models import PlanResultRecord

__all__ = ["DOCUMENT_FORMAT", "plan_result_document", "plan_result_from_document", "stored_plan_result"]

DOCUMENT_FORMAT = 1


def plan_result_document(result: PlanResult) -> dict[str, Any]:
    """``result`` as JSON-ready data: ``{"format": 1, "plan": result.to_dict(), "slot_minutes",
    "build_seconds", "solve_seconds"}`` (the last three are not in the edge form)."""
    return {"format": DOCUMENT_FORMAT, "plan": result.to_dict(), "slot_minutes": result.slot_minutes,
            "build_seconds": result.build_seconds, "solve_seconds": result.solve_seconds}


def _decode(kind: Any, value: Any) -> Any:
    """``value`` (edge JSON) as type ``kind``: dataclasses field by field, ISO strings as aware datetimes."""
    if value is None:
        return None
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        options = [k for k in get_args(kind) if k is not type(None)]
        return _decode(options[0], value) if len(options) == 1 else value
    if origin is list:
        (item,) = get_args(kind)
        return [_decode(item, v) for v in value]
    if origin is dict:
        _, item = get_args(kind)
        return {k: _decode(item, v) for k, v in value.items()}
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = get_type_hints(kind)
        return kind(**{f.name: _decode(hints[f.name], value[f.name]) for f in dataclasses.fields(kind) if f.name in value})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    if kind is float:
        return float(value)
    return value


def _number(value: Any) -> float:
    """A stored float; null is what ``json_safe`` made of NaN (JSON has none), so it reads back as NaN."""
    return math.nan if value is None else float(value)


def plan_result_from_document(document: dict[str, Any]) -> PlanResult:
    """The ``PlanResult`` that ``plan_result_document`` stored. ValueError if the document is of another format."""
    if document.get("format") != DOCUMENT_FORMAT:
        raise ValueError(f"a stored plan result of format {document.get('format')!r}; this version reads format {DOCUMENT_FORMAT}")
    plan = document["plan"]
    hints = get_type_hints(PlanResult)
    schedule = plan["schedule"]
    values = {
        "scenario": plan["scenario"], "proposal": plan["name"], "proposal_name": plan["title"],
        "horizon_start": dt.datetime.fromisoformat(plan["horizon_start"]), "horizon_days": float(plan["horizon_days"]),
        "slot_minutes": float(document["slot_minutes"]), "status": _decode(hints["status"], plan["status"]),
        "objective": _number(plan["objective"]), "bound": _number(plan["bound"]), "gap": _number(plan["gap"]),
        "kpis": _decode(ProposalKPIs, plan["kpis"]),
        "convoys": _decode(list[Convoy], schedule["convoys"]),
        "evacuations": _decode(list[EvacuationMovement], schedule["evacuations"]),
        "bottlenecks": _decode(list[Bottleneck], plan["bottlenecks"]),
        "lp_rows": plan["lp"]["rows"], "lp_cols": plan["lp"]["cols"], "lp_nonzeros": plan["lp"]["nonzeros"],
        "build_seconds": _number(document["build_seconds"]), "solve_seconds": _number(document["solve_seconds"]),
        "timings": dict(plan.get("timings") or {}),
        "planned_convoys": _decode(list[PlannedConvoy], schedule.get("planned_convoys") or []),
        "consolidation": plan.get("consolidation"), "quota_shortfalls": list(plan.get("quota_shortfalls") or []),
        "integer_bound": _decode(IntegerBound | None, plan.get("integer_bound")),
    }
    return PlanResult(**values)


def stored_plan_result(session: Session, plan_id: int) -> PlanResult | None:
    """The result stored for plan ``plan_id``, or None (uploaded, or planned before migration 0005)."""
    record = session.get(PlanResultRecord, plan_id)
    return None if record is None else plan_result_from_document(record.document)
