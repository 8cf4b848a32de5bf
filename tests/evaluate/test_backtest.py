"""``backtest``: shipped Gaza episodes within their bands, calibration reported apart, bad episodes
rejected with exit 2."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
import yaml

from safepassage.cli import app
from safepassage.evaluate.backtest import BacktestResult, load_episode, run_backtest, shipped_episodes

GAZA_EPISODES = [
    "gaza-corridor-2023-11-05",
    "gaza-corridor-2023-11-08",
    "gaza-corridor-2023-11-15",
    "gaza-week-before-truce-2023-11-17",
    "gaza-truce-2023-11-24",
]
# Honest out-of-sample misses, documented in docs/behaviour.md ("Out-of-sample checks"). None today:
# 15 Nov (over-predicted 4.15 while trust recovered in full after the 10 Nov violation) is in band since
# trust lost in a violation is not won back in full (1.23); 8-10 Nov (0.47 before the social cue) is 0.73.
# A new miss goes here, with its ratio, rather than out of the test.
KNOWN_MISSES: set[tuple[str, str]] = set()


@functools.lru_cache(maxsize=None)
def _backtest(episode: str) -> BacktestResult:
    """One run per shipped episode and session (each plans a week or more)."""
    return run_backtest(episode)


def test_the_three_gaza_episodes_are_shipped():
    assert set(GAZA_EPISODES) <= set(shipped_episodes())


@pytest.mark.parametrize("episode", GAZA_EPISODES)
def test_every_outcome_of_a_shipped_gaza_episode_is_in_band(episode):
    """Must show: trucks within x1.5 and people within x2 of observed, every outcome."""
    result = _backtest(episode)
    assert result.outcomes
    for row in result.outcomes:
        assert row.band == (2.0 if row.unit.startswith("people") else 1.5)
        assert row.ratio == pytest.approx(row.predicted / row.observed, rel=1e-3)
        assert row.in_band == (1 / row.band <= row.ratio <= row.band)
        if (episode, row.name) in KNOWN_MISSES:
            continue
        assert row.in_band, row


@pytest.mark.xfail(strict=True, reason="documented out-of-sample miss (docs/behaviour.md); update KNOWN_MISSES if fixed")
@pytest.mark.parametrize(("episode", "outcome"), sorted(KNOWN_MISSES))
def test_known_misses_are_out_of_sample_and_in_band(episode, outcome):
    rows = {r.name: r for r in _backtest(episode).outcomes}
    assert rows[outcome].sample == "out"
    assert rows[outcome].in_band, rows[outcome]


def test_held_out_corridor_days_are_out_of_sample_and_fitted_on_the_earlier_days():
    result = _backtest("gaza-corridor-2023-11-08")
    assert all(r.sample == "out" for r in result.outcomes)
    assert result.calibrations and all(c.calibrated_on == "gaza-corridor-2023-11-05" for c in result.calibrations)
    # The held-out figures are compared with the plan's own days 8-10 Nov, after the fitted days.
    people = next(r for r in result.outcomes if r.name == "people-safe-per-day")
    days = result.plan.kpis.safe_by_day
    assert people.predicted == pytest.approx(sum(days.get(f"2023-11-{d:02d}", 0) for d in (8, 9, 10)) / 3, rel=1e-3)
    assert sum(days.get(f"2023-11-{d:02d}", 0) for d in (5, 6, 7)) > 0  # the earlier days are planned too


def test_an_outcome_over_the_whole_period_by_dates_equals_the_undated_one(tmp_path):
    def dated(d):
        for outcome in d["outcomes"]:
            extra = dict(outcome, name=outcome["name"] + "-dated", dates={"first": "2023-11-05", "last": "2023-11-07"})
            d["outcomes"] = d["outcomes"] + [extra]

    rows = {r.name: r for r in run_backtest(_episode_copy(tmp_path, "gaza-corridor-2023-11-05", dated)).outcomes}
    for name in ("people-safe-per-day", "trucks-per-day"):
        assert rows[name + "-dated"].predicted == pytest.approx(rows[name].predicted, rel=1e-6), name


def test_outcome_dates_outside_the_period_are_a_clear_error(runner, tmp_path):
    def late(d):
        d["outcomes"][0]["dates"] = {"first": "2023-12-24", "last": "2023-12-25"}

    result = runner.invoke(app, ["backtest", str(_episode_copy(tmp_path, "gaza-truce-2023-11-24", late))])
    assert result.exit_code == 2
    assert "must lie within the period, 2023-11-24 to 2023-12-01" in result.output


def test_fitted_figures_make_their_own_episode_in_sample_only():
    corridor = {r.name: r for r in _backtest("gaza-corridor-2023-11-05").outcomes}
    assert corridor["people-safe-per-day"].sample == "in"  # base participation and checkpoint rate fitted here
    assert corridor["trucks-per-day"].sample == "out"  # trucks rate from the days before the episode
    week = {r.name: r for r in _backtest("gaza-week-before-truce-2023-11-17").outcomes}
    assert week["trucks-per-day"].sample == "in"  # the baseline rate comes from these days
    assert week["fuel-per-day"].sample == "out"
    truce = _backtest("gaza-truce-2023-11-24")
    assert all(r.sample == "out" for r in truce.outcomes)
    assert all(c.calibrated_on != "gaza-truce-2023-11-24" for c in truce.calibrations)


def test_json_document_has_exactly_the_documented_keys(runner):
    result = runner.invoke(app, ["backtest", "gaza-truce-2023-11-24", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"episode", "scenario", "proposal", "outcomes"}
    assert document["episode"] == "gaza-truce-2023-11-24" and document["proposal"] == "ceasefire"
    for outcome in document["outcomes"]:
        assert set(outcome) == {"name", "unit", "predicted", "observed", "ratio", "band", "in_band", "sample"}
        assert outcome["sample"] in ("in", "out")
        assert isinstance(outcome["in_band"], bool)


def test_table_and_list(runner):
    listed = runner.invoke(app, ["backtest", "--list"])
    assert listed.exit_code == 0
    for name in GAZA_EPISODES:
        assert name in listed.output
    table = runner.invoke(app, ["backtest", "gaza-week-before-truce-2023-11-17"])
    assert table.exit_code == 0, table.output
    assert "in-sample" in table.output and "out-of-sample" in table.output
    assert "calibrated_on: this episode" in table.output


def _episode_copy(tmp_path: Path, name: str, change) -> Path:
    episode, path = load_episode(name)
    data = yaml.safe_load(path.read_text())
    change(data)
    target = tmp_path / "episode.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def test_any_episode_path_works(runner, tmp_path):
    path = _episode_copy(tmp_path, "gaza-truce-2023-11-24", lambda d: d.update(id="my-truce"))
    result = runner.invoke(app, ["backtest", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["episode"] == "my-truce"


def test_unknown_proposal_is_a_clear_error(runner, tmp_path):
    path = _episode_copy(tmp_path, "gaza-truce-2023-11-24", lambda d: d.update(proposal="forever-peace"))
    result = runner.invoke(app, ["backtest", str(path)])
    assert result.exit_code == 2
    assert "unknown proposal 'forever-peace'" in result.output and "ceasefire" in result.output


def test_outcome_without_a_source_is_a_clear_error(runner, tmp_path):
    def drop(d):
        d["outcomes"][0]["sources"] = []

    path = _episode_copy(tmp_path, "gaza-truce-2023-11-24", drop)
    result = runner.invoke(app, ["backtest", str(path)])
    assert result.exit_code == 2
    assert "outcomes.0.sources" in result.output and "url" in result.output


def test_calibrated_parameter_must_say_what_it_affects(runner, tmp_path):
    def fit(d):
        d["parameters"] = {"truck_speed_kmh": {"value": 15, "assumption": "x", "calibrated_on": "gaza-truce-2023-11-24"}}

    path = _episode_copy(tmp_path, "gaza-truce-2023-11-24", fit)
    result = runner.invoke(app, ["backtest", str(path)])
    assert result.exit_code == 2
    assert "affects" in result.output


def test_missing_episode_names_the_shipped_ones(runner):
    result = runner.invoke(app, ["backtest", "atlantis-1999"])
    assert result.exit_code == 2
    assert "gaza-truce-2023-11-24" in result.output
