"""The planning horizon cut into slots, and availability masks over those slots.

Slot ``i`` is ``[boundary[i], boundary[i+1])`` in minutes after the horizon start (absolute time, so a
daylight-saving change inside the horizon is handled). Slots are ``slot_minutes`` long, or, to shrink
the model, ``coarse_slot_minutes`` away from the moments where timing matters (window starts and
ends, the start of the horizon). Boundaries are always added where
something changes (a window opens or closes, a place opens or closes, a local day starts), so every
slot is wholly inside or wholly outside each window and opening period.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from safepassage.scenario.clock import local_instant, to_utc
from safepassage.scenario.model import WEEKDAYS, Horizon, OpeningHours, minutes_of

__all__ = ["TimeGrid", "build_time_grid", "to_utc"]


@functools.lru_cache(maxsize=256)
def _start_utc(start: dt.datetime, timezone: str) -> dt.datetime:
    return to_utc(start, timezone)


@functools.lru_cache(maxsize=1 << 16)
def _instant(start: dt.datetime, timezone: str, minutes: float) -> dt.datetime:
    """``TimeGrid.instant``, remembered: a plan's schedule asks for the same slot boundaries thousands of
    times, and each answer is an immutable datetime."""
    return local_instant(_start_utc(start, timezone) + dt.timedelta(minutes=minutes), timezone)


@dataclass(frozen=True)
class TimeGrid:
    """Slot boundaries in minutes from ``start`` (local wall-clock time in ``timezone``).

    Minutes are absolute: minute ``m`` is ``start`` (in UTC) plus ``m`` minutes, whatever the clocks do."""

    start: dt.datetime
    timezone: str
    boundaries_min: np.ndarray  # float64, shape (n_slots + 1,), strictly increasing, [0] == 0

    @property
    def n_slots(self) -> int:
        return len(self.boundaries_min) - 1

    @property
    def horizon_min(self) -> float:
        return float(self.boundaries_min[-1])

    @property
    def length_min(self) -> np.ndarray:
        return np.diff(self.boundaries_min)

    @property
    def midpoint_min(self) -> np.ndarray:
        return (self.boundaries_min[:-1] + self.boundaries_min[1:]) / 2.0

    @property
    def start_utc(self) -> dt.datetime:
        """The horizon start as an aware UTC datetime."""
        return _start_utc(self.start, self.timezone)

    def to_minutes(self, moment: dt.datetime) -> float:
        """Minutes from the horizon start to ``moment`` (may be negative or past the end).

        A naive ``moment`` is a local wall-clock time in ``timezone``. Both ends are converted to UTC
        before subtracting, so a daylight-saving change in between counts as the hour it really is:

        >>> grid = TimeGrid(dt.datetime(2024, 3, 30, 12, 0), "Europe/Berlin", np.array([0.0, 1440.0]))
        >>> grid.to_minutes(dt.datetime(2024, 3, 31, 12, 0))  # clocks went forward an hour that night
        1380.0
        """
        return (to_utc(moment, self.timezone) - self.start_utc).total_seconds() / 60.0

    def to_local(self, minutes: float) -> dt.datetime:
        """Local wall-clock time (timezone-aware) ``minutes`` after the horizon start."""
        return (self.start_utc + dt.timedelta(minutes=float(minutes))).astimezone(ZoneInfo(self.timezone))

    def instant(self, minutes: float) -> dt.datetime:
        """The moment ``minutes`` after the horizon start, aware, at that moment's local UTC offset held as a
        fixed-offset ``tzinfo``: subtracting two instants is absolute time, across a clock change too (two
        datetimes sharing one ``ZoneInfo`` would subtract as wall-clock times). Plan results carry these.

        >>> grid = TimeGrid(dt.datetime(2024, 3, 30, 12, 0), "Europe/Berlin", np.array([0.0, 1440.0]))
        >>> before, after = grid.instant(0.0), grid.instant(1380.0)
        >>> before.isoformat(), after.isoformat(), (after - before).total_seconds() / 60
        ('2024-03-30T12:00:00+01:00', '2024-03-31T12:00:00+02:00', 1380.0)
        """
        return _instant(self.start, self.timezone, float(minutes))

    def local_day_index(self) -> np.ndarray:
        """For each slot, the index of its local calendar day (0 = the day the horizon starts)."""
        first = self.start.date()
        return np.array([(self.to_local(m).date() - first).days for m in self.boundaries_min[:-1]], dtype=np.int64)

    def mask_between(self, spans_min: Iterable[tuple[float, float]]) -> np.ndarray:
        """Slots whose midpoint lies inside any of the ``(start, end)`` minute spans."""
        mid = self.midpoint_min
        mask = np.zeros(self.n_slots, dtype=bool)
        for lo, hi in spans_min:
            mask |= (mid >= lo) & (mid < hi)
        return mask

    def opening_spans(self, hours: list[OpeningHours] | None) -> list[tuple[float, float]]:
        """Minute spans during which a place with these opening hours is open (None: always)."""
        if hours is None:
            return [(-1.0, self.horizon_min + 1.0)]
        spans = []
        last = self.to_local(self.horizon_min).date()
        day = self.start.date() - dt.timedelta(days=1)
        while day <= last:
            weekday = WEEKDAYS[day.weekday()]
            midnight = dt.datetime.combine(day, dt.time())
            for period in hours:
                if weekday in period.days:
                    spans.append(
                        (
                            self.to_minutes(midnight + dt.timedelta(minutes=minutes_of(period.open))),
                            self.to_minutes(midnight + dt.timedelta(minutes=minutes_of(period.close))),
                        )
                    )
            day += dt.timedelta(days=1)
        return spans

    def arrival_slot(self, departure_slot: np.ndarray, travel_min: np.ndarray | float) -> np.ndarray:
        """Slot in which a movement leaving at the start of ``departure_slot`` is available at its head:
        the first boundary at or after departure + travel (rounded up, so at least one slot later).
        A value of ``n_slots`` means it arrives only at or after the horizon end."""
        arrive_min = self.boundaries_min[departure_slot] + travel_min - 1e-9
        return np.searchsorted(self.boundaries_min, arrive_min, side="left").astype(np.int64)


def build_time_grid(
    horizon: Horizon,
    timezone: str,
    breakpoints_local: Iterable[dt.datetime] = (),
    breakpoints_min: Iterable[float] = (),
    fine_spans_local: Iterable[tuple[dt.datetime, dt.datetime]] = (),
) -> TimeGrid:
    """Slots for ``horizon``, with extra boundaries at the given local times or minute offsets.

    Without ``horizon.coarse_slot_minutes`` every slot is ``slot_minutes`` long. With it, slots are
    coarse except inside ``fine_spans_local`` and the first ``coarse_after_hours``."""
    total_min = horizon.days * 24 * 60
    fine = float(horizon.slot_minutes)
    grid = TimeGrid(horizon.start, timezone, np.array([0.0, total_min]))
    fine_points = np.arange(0.0, total_min, fine)
    if horizon.coarse_slot_minutes is None:
        regular = fine_points
    else:
        spans = [(grid.to_minutes(a), grid.to_minutes(b)) for a, b in fine_spans_local]
        if horizon.coarse_after_hours is not None:
            spans.append((0.0, horizon.coarse_after_hours * 60.0))
        in_fine = np.zeros(len(fine_points), dtype=bool)
        for lo, hi in spans:
            in_fine |= (fine_points >= lo) & (fine_points < hi)
        coarse_points = np.arange(0.0, total_min, float(horizon.coarse_slot_minutes))
        coarse_in_fine = np.zeros(len(coarse_points), dtype=bool)
        for lo, hi in spans:
            coarse_in_fine |= (coarse_points >= lo) & (coarse_points < hi)
        edges = [m for span in spans for m in span if 0 < m < total_min]
        regular = np.concatenate([fine_points[in_fine], coarse_points[~coarse_in_fine], np.array(edges, dtype=np.float64)])
    extra = [grid.to_minutes(t) for t in breakpoints_local] + list(breakpoints_min)
    # Local midnights, so daily quotas can be counted per local day.
    day = horizon.start.date() + dt.timedelta(days=1)
    while (m := grid.to_minutes(dt.datetime.combine(day, dt.time()))) < total_min:
        extra.append(m)
        day += dt.timedelta(days=1)
    points = np.concatenate([regular, np.array([m for m in extra if 0 < m < total_min], dtype=np.float64), [0.0, total_min]])
    points = np.unique(np.round(points, 6))
    # Drop slivers under a minute that breakpoints can create next to a regular boundary.
    keep = np.concatenate([[True], np.diff(points) >= 1.0])
    keep[-1] = True
    points = points[keep]
    if points[-1] != total_min:
        points[-1] = total_min
    return TimeGrid(horizon.start, timezone, points)
