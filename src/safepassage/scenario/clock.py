"""Absolute time for a scenario's local wall-clock times: convert to UTC before any arithmetic.

Scenario times are naive local times in ``Scenario.timezone``. Subtracting two of them (or two aware
datetimes sharing one ``ZoneInfo``) gives the wall-clock difference, which is an hour off across a
daylight-saving change; every duration in Safe Passage is computed on UTC datetimes instead.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["to_utc", "horizon_end_utc", "local_instant"]


def to_utc(moment: dt.datetime, timezone: str) -> dt.datetime:
    """``moment`` as an aware UTC datetime; a naive ``moment`` is local wall-clock time in ``timezone``.

    A wall-clock time that does not exist (skipped by a daylight-saving change) or that occurs twice
    is read with ``fold=0``, i.e. with the offset in force before the change.

    >>> to_utc(dt.datetime(2024, 7, 1, 12, 0), "Europe/Berlin").isoformat()
    '2024-07-01T10:00:00+00:00'
    """
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(timezone))
    return aware.astimezone(dt.timezone.utc)


def horizon_end_utc(start: dt.datetime, days: float, timezone: str) -> dt.datetime:
    """The end of a horizon of ``days`` × 24 real hours from local ``start``, in UTC."""
    return to_utc(start, timezone) + dt.timedelta(days=days)


def local_instant(moment: dt.datetime, timezone: str) -> dt.datetime:
    """The aware ``moment`` shown in ``timezone``, with the UTC offset in force then held as a fixed-offset
    ``tzinfo``: it prints as local time with its offset, and subtracting two such instants is absolute time
    (two datetimes sharing one ``ZoneInfo`` would subtract as wall-clock times). Plan results carry these.

    >>> night = dt.datetime(2024, 3, 31, 0, 30, tzinfo=dt.timezone.utc)  # the clocks go forward at 01:00 UTC
    >>> before = local_instant(night, "Europe/Berlin")
    >>> after = local_instant(night + dt.timedelta(hours=1), "Europe/Berlin")
    >>> before.isoformat(), after.isoformat(), (after - before).total_seconds() / 60
    ('2024-03-31T01:30:00+01:00', '2024-03-31T03:30:00+02:00', 60.0)
    """
    local = moment.astimezone(ZoneInfo(timezone))
    return local.astimezone(dt.timezone(local.utcoffset() or dt.timedelta(0)))
