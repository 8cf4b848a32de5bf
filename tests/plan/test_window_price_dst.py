"""The window's price is per real hour added: across a daylight-saving change one more wall-clock
hour adds two real hours (autumn) or none (spring), and the price must not count them as one."""

from __future__ import annotations

from safepassage.plan import plan_proposal
from tests.plan.test_window_pricing_odd_cases import _tiny_2_days


def _window_price(timezone: str, day: str, start: str, end: str) -> list[float]:
    result = plan_proposal(_tiny_2_days(timezone, day, start, end), "pause", window_value=True)
    return [b.value_per_unit for b in result.bottlenecks if b.kind == "window"]


def test_an_hour_more_over_the_autumn_change_is_priced_per_real_hour() -> None:
    # 01:30-02:30 Berlin on 27 Oct 2024 ends at 00:30 UTC; lengthened to 03:30 (02:30 UTC) it gains two real hours.
    berlin = _window_price("Europe/Berlin", "2024-10-26", "2024-10-27T01:30", "2024-10-27T02:30")
    same_in_utc = _window_price("UTC", "2024-10-26", "2024-10-26T23:30", "2024-10-27T00:30")
    assert same_in_utc and same_in_utc[0] > 0  # the hour more is worth something here
    assert berlin == same_in_utc  # was twice as much: the gain of two real hours counted as one


def test_an_hour_more_that_the_spring_change_skips_gets_no_price() -> None:
    # 01:00-02:00 Berlin on 31 Mar 2024: 02:00-03:00 does not exist, so one more wall-clock hour adds no time.
    assert _window_price("Europe/Berlin", "2024-03-30", "2024-03-31T01:00", "2024-03-31T02:00") == []
    assert _window_price("UTC", "2024-03-30", "2024-03-31T00:00", "2024-03-31T01:00")  # priced where time is added
