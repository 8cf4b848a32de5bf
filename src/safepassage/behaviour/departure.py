"""Departures per zone and window: who chooses to go (participation) and when they set out
(mobilisation), as an upper bound on the people the planner may move. Equations: docs/behaviour.md.

Participation of zone z under proposal π (logistic in the declared drivers, each 0-1):

    logit p = logit p0 + β_U·U + β_h·x_h + β_s·x_s + β_d·x_d + β_p·x_p + β_H·(H_z − H_ref)

p is the chance that a person who is ready and still here chooses to go in one window.

Trust: before window k the odds of going are multiplied by T_k, T_1 = 1, T_{k+1} = min(T_k·θ_held,
C_k) after a window that held, T_k·θ_violated after a violated one. The ceiling C starts at T_max and a
violation lowers it for good, C ← max(1, C·θ_violated), and discounts the social cue's count of people
seen to go by θ_violated too (trust is lost faster than it is won: Slovic 1993).

Who is willing, and seeing others go: a share m of the pool (``willing_share``; not declared: the
coefficient, 0.3) is willing; their odds also multiply by 1 + κ·F_k (Bass-type social cue), F_k the
people seen to set out in windows that held before window k, as a share of the willing (capped at 1).
The rest go with odds multiplied by exp(β_r) and ignore the cue:

    q_k,willing = σ(logit p + ln T_k + ln(1 + κ·F_k)),   q_k,rest = σ(logit p + ln T_k + β_r)

Each class depletes on its own, so the flow falls as the willing are gone while most of the pool stays.

Mobilisation: a person is ready τ hours after the first announcement with probability
R(τ) = (F(τ) − F(0)) / (1 − F(0)), F logistic with median τ50 = median_hours · exp(δ·(U + x_h)) and
scale spread_hours · exp(δ·(U + x_h)).

The decision is taken again at every window by everyone ready and still here (as in Flee, where each
agent draws its move chance at every step): per class c of W_c people, with G_k,c gone before window k
opens at s_k, q_k,c·(W_c·R(s_k) − G_k,c) set out when it opens (they walked to the corridor entry), and
during the window q_k,c·W_c·(R(b) − R(a)) set out over each hour [a, b] as they become ready. A window
longer than a day is a decision step per day (each held day raises trust as a held window does, and adds
to F). In a violated window only a share of them set out. Those who do not choose to go stay for this
window; they never queue.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np

from safepassage.behaviour.coefficients import COEFFICIENTS, HAZARD_LEVEL, REFERENCE_HAZARD, Coefficients
from safepassage.scenario.behaviour import DepartureDrivers, Mobilisation
from safepassage.scenario.model import Proposal, Scenario, Window, Zone
from safepassage.scenario.routes import walks_to_safety_without_pause

__all__ = ["WindowDepartures", "ZoneDepartures", "departures", "participation_share", "readiness", "release_by_slot"]

_UTC = dt.timezone.utc
_DAY_MIN = 24 * 60.0


@dataclass(frozen=True)
class WindowDepartures:
    """People from one zone setting out in one window occurrence (local start and end, ISO)."""

    start: str
    end: str
    people: float
    violated: bool


@dataclass
class ZoneDepartures:
    """What the departure model says for one zone: the chance that a person ready and still here chooses
    to go in a window before any window is seen (``participation``; ``decided`` = participation x
    wants_to_leave), the median readiness delay, and the people setting out in each window (trust may
    raise or lower the chance as windows hold or are violated)."""

    zone: str
    wants_to_leave: float
    participation: float
    decided: float
    median_ready_hours: float
    windows: list[WindowDepartures] = field(default_factory=list)
    release_minutes: list[tuple[float, float]] = field(default_factory=list)  # (minute from horizon start, people)

    @property
    def setting_out(self) -> float:
        return float(sum(w.people for w in self.windows))


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def participation_share(
    coefficients: Coefficients = COEFFICIENTS,
    *,
    unilateral: bool,
    hazard: str,
    hostilities: float = 0.0,
    screening_risk: float = 0.0,
    destination_conditions: float = 0.0,
    prior_displacement: float = 0.0,
    base: float | None = None,
) -> float:
    """The chance that a person who is ready and still here chooses to go in one window, before any
    window is seen (the logistic equation in the module docstring)."""
    c = coefficients
    logit = _logit(c.base_participation.value if base is None else base)
    logit += c.unilateral_logit.value * (1.0 if unilateral else 0.0)
    logit += c.hostilities_logit.value * hostilities
    logit += c.screening_risk_logit.value * screening_risk
    logit += c.destination_logit.value * destination_conditions
    logit += c.prior_displacement_logit.value * prior_displacement
    logit += c.hazard_logit.value * (HAZARD_LEVEL[hazard] - REFERENCE_HAZARD)
    return _sigmoid(logit)


def readiness(hours: np.ndarray | float, median_hours: float, spread_hours: float) -> np.ndarray:
    """R(τ): share of the decided who are ready to set out ``hours`` after the first announcement
    (0 at τ ≤ 0, rising as a logistic S-curve to 1)."""
    tau = np.maximum(np.asarray(hours, dtype=float), 0.0)
    f0 = 1.0 / (1.0 + math.exp(median_hours / spread_hours))
    f = 1.0 / (1.0 + np.exp(-(tau - median_hours) / spread_hours))
    return (f - f0) / (1.0 - f0)


def _driver_values(
    scenario: Scenario, proposal: Proposal, zone: Zone, coefficients: Coefficients = COEFFICIENTS
) -> dict[str, float]:
    """The declared drivers' values for ``zone`` (0 where not declared; ``willing_share`` the coefficient's)."""
    behaviour = scenario.behaviour
    drivers = DepartureDrivers() if behaviour is None else behaviour.drivers
    if behaviour is not None:
        drivers = drivers.merged(behaviour.zones.get(zone.id))
    drivers = drivers.merged(proposal.drivers)
    values = {
        name: (getattr(drivers, name).value if getattr(drivers, name) is not None else 0.0)
        for name in type(drivers).model_fields
    }
    values["willing_share"] = (
        drivers.willing_share.value if drivers.willing_share is not None else coefficients.willing_share.value
    )
    return values


def _covers(window: Window, scenario: Scenario, zone: Zone) -> bool:
    if window.everywhere or zone.id in window.zones:
        return True
    places = {p.id for p in scenario.places if p.zone == zone.id}
    if zone.evacuation is not None:
        places.add(zone.evacuation.assembly_place)
    return any(r.id in window.roads and (r.from_ in places or r.to in places) for r in scenario.roads)


def _occurrences(proposal: Proposal, scenario: Scenario, zone: Zone) -> list[tuple[dt.datetime, dt.datetime, bool]]:
    """(local start, local end, violated) of each window occurrence covering the zone, replay applied."""
    facts = {r.date: r for r in proposal.replay}
    out = []
    for window in proposal.windows:
        if not _covers(window, scenario, zone):
            continue
        for start, end in window.occurrences():
            fact = facts.get(start.date())
            violated = False
            if fact is not None:
                start = start + dt.timedelta(minutes=fact.started_late_minutes)
                end = end - dt.timedelta(minutes=fact.cut_short_minutes)
                violated = fact.violated
            if end > start:
                out.append((start, end, violated))
    return sorted(out)


def departures(
    scenario: Scenario,
    proposal: Proposal,
    horizon_start: dt.datetime,
    horizon_end: dt.datetime,
    coefficients: Coefficients = COEFFICIENTS,
) -> list[ZoneDepartures]:
    """For each zone with people who want to leave: participation, decided, and the people setting out
    in each window occurrence, with the release times in minutes from ``horizon_start`` (local times).

    A proposal with no window covering a zone is treated as one window over the whole horizon when its
    people can walk to safety on roads that need no pause; when every route needs a pause, nobody sets
    out (``decided`` 0, no windows)."""
    tz = ZoneInfo(scenario.timezone)
    origin = horizon_start.replace(tzinfo=tz).astimezone(_UTC)

    def minutes(local: dt.datetime) -> float:
        return (local.replace(tzinfo=tz).astimezone(_UTC) - origin).total_seconds() / 60.0

    behaviour = scenario.behaviour
    mobilisation = behaviour.mobilisation if behaviour is not None else Mobilisation()
    base = (
        behaviour.base_participation.value
        if behaviour is not None and behaviour.base_participation is not None
        else None
    )
    unilateral = proposal.agreement == "unilateral"
    results = []
    for zone in scenario.zones:
        if zone.evacuation is None or zone.evacuation.wants_to_leave <= 0:
            continue
        x = _driver_values(scenario, proposal, zone, coefficients)
        p = participation_share(
            coefficients,
            unilateral=unilateral,
            hazard=zone.hazard,
            hostilities=x["hostilities"],
            screening_risk=x["screening_risk"],
            destination_conditions=x["destination_conditions"],
            prior_displacement=x["prior_displacement"],
            base=base,
        )
        distrust = (1.0 if unilateral else 0.0) + x["hostilities"]
        stretch = math.exp(coefficients.distrust_delay_log.value * distrust)
        median_h, spread_h = mobilisation.median_hours * stretch, mobilisation.spread_hours * stretch
        occurrences = _occurrences(proposal, scenario, zone)
        if not occurrences:
            if not walks_to_safety_without_pause(scenario, proposal, zone):
                # No window covers the zone and every route to safety needs one: nobody can set out.
                results.append(ZoneDepartures(zone.id, zone.evacuation.wants_to_leave, p, 0.0, median_h))
                continue
            occurrences = [(horizon_start, horizon_end, False)]
        first_start = min(s for s, _, _ in occurrences)
        announced = (
            proposal.announced
            if proposal.announced is not None
            else first_start - dt.timedelta(hours=proposal.notice_hours)
        )
        t0 = minutes(announced)

        def ready(minute: float, t0: float = t0, median_h: float = median_h, spread_h: float = spread_h) -> float:
            return float(readiness((minute - t0) / 60.0, median_h, spread_h))

        wants = zone.evacuation.wants_to_leave
        result = ZoneDepartures(zone.id, wants, p, p * wants, median_h)
        willing = x["willing_share"]
        # The pool in classes: (people, logit offset, moved by seeing others go). The willing follow the
        # Bass-type social cue; the rest (if willing_share < 1) go with a much lower chance.
        classes = [(wants * willing, 0.0, True)]
        if willing < 1.0:
            classes.append((wants * (1.0 - willing), coefficients.reluctant_logit.value, False))
        kappa = coefficients.social_proof_odds.value
        logit_p, trust = _logit(p), 1.0
        gone = [0.0] * len(classes)
        seen_safe = 0.0  # people who set out in windows that held: what the willing see
        ceiling = mobilisation.max_trust_odds_factor  # lowered for good by each violation (trust asymmetry)
        for start, end, violated in occurrences:
            s_min, e_min = minutes(start), minutes(end)
            if e_min <= 0 or s_min >= minutes(horizon_end):
                continue
            share = mobilisation.violated_window_departure_share if violated else 1.0
            released: list[tuple[float, float]] = []
            # Each window (and each further day of a window longer than a day), everyone ready and still
            # here decides again (Flee's daily move chance), with the trust people have at that moment and
            # the share of the willing they have seen go (Bass: odds x (1 + kappa*F)).
            days = max(1, int(math.ceil((e_min - s_min) / _DAY_MIN - 1e-9)))
            for day in range(days):
                d0, d1 = s_min + day * _DAY_MIN, min(e_min, s_min + (day + 1) * _DAY_MIN)
                seen = min(1.0, seen_safe / classes[0][0]) if classes[0][0] > 0 else 0.0
                steps = max(1, int(math.ceil((d1 - d0) / 60.0)))
                edges = np.linspace(d0, d1, steps + 1)
                day_total = 0.0
                for c, (people, offset, social) in enumerate(classes):
                    cue = math.log1p(kappa * seen) if social else 0.0
                    chance = _sigmoid(logit_p + math.log(trust) + offset + cue)
                    # Ready before it opens (or before this day): those who choose to go walked to the
                    # corridor entry and set out when it opens.
                    waiting = max(0.0, people * ready(d0) - gone[c]) * chance * share
                    released.append((max(d0, 0.0), waiting))
                    gone[c] += waiting
                    day_total += waiting
                    for a, b in zip(edges[:-1], edges[1:]):
                        # Ready during the window: those who choose to go set out as they become ready.
                        moved = people * max(0.0, ready(float(b)) - ready(float(a))) * chance * share
                        released.append((max(float(a), 0.0), moved))
                        gone[c] += moved
                        day_total += moved
                if not violated:
                    seen_safe += day_total
                if day < days - 1 and not violated:
                    # A day of the window that held raises trust for the next day, as a held window does.
                    trust = min(trust * mobilisation.held_window_odds_factor, ceiling)
            result.windows.append(
                WindowDepartures(start.isoformat(), end.isoformat(), sum(n for _, n in released), violated)
            )
            result.release_minutes.extend((m, n) for m, n in released if n > 0)
            # What people saw changes their trust for the next window.
            if violated:
                # Trust is lost faster than it is won (Slovic 1993): the violation lowers the trust people
                # have, and the most that windows that hold can give back (never below the trust of people
                # who have seen no window). What people hear from the road is no longer only that others
                # arrived: the cue of those seen to go is discounted by the same factor.
                factor = mobilisation.violation_odds_factor
                trust *= factor
                ceiling = max(1.0, ceiling * factor)
                seen_safe *= factor
            else:
                trust = min(trust * mobilisation.held_window_odds_factor, ceiling)
        results.append(result)
    return results


def release_by_slot(zone: ZoneDepartures, boundaries_min: np.ndarray) -> np.ndarray:
    """People of ``zone`` released in each slot of a grid (``boundaries_min`` from the horizon start):
    the per-slot upper bound on departures the planner uses. Releases before the horizon fall in slot 0."""
    n_slots = len(boundaries_min) - 1
    out = np.zeros(n_slots)
    for minute, people in zone.release_minutes:
        if minute >= boundaries_min[-1]:
            continue
        slot = int(np.searchsorted(boundaries_min, max(minute, 0.0), side="right") - 1)
        out[min(max(slot, 0), n_slots - 1)] += people
    return out
