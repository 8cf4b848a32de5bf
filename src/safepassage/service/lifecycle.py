"""The movement-status lifecycle (DESIGN.md), with the transitions the service allows.

::

    requested -> notified -> acknowledged | unacknowledged -> facilitated | impeded | denied | cancelled
              -> in_transit -> offloaded -> collected -> arrived | intercepted | returned

``unacknowledged -> facilitated`` is allowed on purpose: notification is not permission, and a missing
acknowledgment never blocks a movement (it is escalated instead). ``offloaded`` and ``collected``
(back-to-back transfer at a crossing) are optional stages: a movement may arrive straight from transit,
and evacuations of people have no cargo to offload. Terminal: denied, cancelled, arrived, intercepted,
returned.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["MovementStatus", "TRANSITIONS", "TERMINAL", "can_transition", "transition_problem", "DEPARTED", "MOVING", "DONE"]


class MovementStatus(StrEnum):
    requested = "requested"
    notified = "notified"
    acknowledged = "acknowledged"
    unacknowledged = "unacknowledged"
    facilitated = "facilitated"
    impeded = "impeded"
    denied = "denied"
    cancelled = "cancelled"
    in_transit = "in_transit"
    offloaded = "offloaded"
    collected = "collected"
    arrived = "arrived"
    intercepted = "intercepted"
    returned = "returned"


S = MovementStatus
_END = {S.arrived, S.intercepted, S.returned}
TRANSITIONS: dict[MovementStatus, frozenset[MovementStatus]] = {
    S.requested: frozenset({S.notified, S.cancelled}),
    S.notified: frozenset({S.acknowledged, S.unacknowledged, S.cancelled}),
    S.acknowledged: frozenset({S.facilitated, S.impeded, S.denied, S.cancelled}),
    S.unacknowledged: frozenset({S.acknowledged, S.facilitated, S.impeded, S.denied, S.cancelled}),
    S.facilitated: frozenset({S.in_transit, S.cancelled}),
    S.impeded: frozenset({S.in_transit, S.cancelled}),
    S.denied: frozenset(),
    S.cancelled: frozenset(),
    S.in_transit: frozenset({S.offloaded, *_END}),
    S.offloaded: frozenset({S.collected, S.intercepted, S.returned}),
    S.collected: frozenset(_END),
    S.arrived: frozenset(),
    S.intercepted: frozenset(),
    S.returned: frozenset(),
}
TERMINAL = frozenset(status for status, targets in TRANSITIONS.items() if not targets)
DEPARTED = frozenset({S.in_transit, S.offloaded, S.collected, S.arrived, S.intercepted, S.returned})
MOVING = frozenset({S.in_transit, S.offloaded, S.collected})
DONE = frozenset({S.arrived})


def can_transition(current: str, target: str) -> bool:
    return MovementStatus(target) in TRANSITIONS[MovementStatus(current)]


def transition_problem(current: str, target: str) -> str | None:
    """None when ``current -> target`` is allowed, else a message naming what is allowed."""
    if can_transition(current, target):
        return None
    allowed = sorted(TRANSITIONS[MovementStatus(current)])
    hint = f"allowed from {current}: {', '.join(allowed)}" if allowed else f"{current} is final"
    return f"a movement cannot go from {current} to {target} ({hint})"
