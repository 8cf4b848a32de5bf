"""HXL: libhxl reads every export, values round-trip exactly, and bad input names file, line and column."""

from __future__ import annotations

from pathlib import Path

import hxl
import pytest

from safepassage.cli import app
from safepassage.errors import ScenarioError
from safepassage.interop.hxl import import_hxl, write_plan_hxl, write_scenario_hxl
from safepassage.plan.result import iso

OPTIONS = hxl.InputOptions(allow_local=True)


def parse(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Hashtags and rows (display tag -> value) as libhxl reads them."""
    source = hxl.data(str(path), OPTIONS)
    tags = [c.display_tag for c in source.columns]
    return tags, [dict(zip(tags, row.values)) for row in source]


def test_scenario_round_trips_through_hxl(gaza, tmp_path):
    places_csv, zones_csv = write_scenario_hxl(gaza, tmp_path)
    tags, rows = parse(zones_csv)
    assert {"#adm1+code", "#adm1+name", "#population", "#geo+wkt", "#value+need+food"} <= set(tags)
    assert [r["#adm1+id"] for r in rows] == [z.id for z in gaza.zones]
    assert [r["#adm1+code"] for r in rows] == ["PS-NGZ", "PS-GZA", "PS-DEB", "PS-KYS", "PS-RFH"]  # ISO 3166-2:PS P-codes
    assert [float(r["#population"]) for r in rows] == [z.population for z in gaza.zones]
    tags, rows = parse(places_csv)
    assert {"#loc+code", "#geo+lat", "#geo+lon", "#adm1+code"} <= set(tags)
    assert [(float(r["#geo+lon"]), float(r["#geo+lat"])) for r in rows] == [p.geometry.coordinates for p in gaza.places]

    merged, _ = import_hxl("gaza-2023-11", places=places_csv, zones=zones_csv)
    assert merged.zones == gaza.zones  # population, needs, hazard, outline: every value kept
    assert merged.places == gaza.places


def test_plan_round_trips_through_libhxl(gaza, gaza_daily_plan, tmp_path):
    convoys_csv, evacuations_csv, kpis_csv = write_plan_hxl(gaza, gaza_daily_plan, tmp_path, audience="internal")
    _, rows = parse(convoys_csv)
    expected = [(c.id, iso(c.departs), iso(c.arrives), c.cargo_trucks[k], k, q) for c in gaza_daily_plan.convoys for k, q in c.cargo.items()]
    assert expected, "the plan moves aid"
    got = [(r["#activity+code"], r["#date+start"], r["#date+end"], int(r["#indicator+trucks+num"]), r["#item+code"], float(r["#value+quantity"])) for r in rows]
    assert got == expected
    assert [r["#meta+route"].split(" > ") for r in rows] == [c.route for c in gaza_daily_plan.convoys for _ in c.cargo]

    _, rows = parse(evacuations_csv)
    assert [(r["#activity+code"], r["#adm1+origin+code"], r["#adm1+dest+code"], int(r["#population+evacuated"]), r["#date+end"]) for r in rows] == [
        (e.id, e.origin_zone, e.destination_zone, e.people, iso(e.arrives)) for e in gaza_daily_plan.evacuations
    ]

    _, rows = parse(kpis_csv)
    kpis = {(r["#indicator+code"], r["#adm1+code"], r["#item+code"], r["#date"]): r["#indicator+value+num"] for r in rows}
    k = gaza_daily_plan.kpis
    assert int(kpis[("people_reached_safety", "", "", "")]) == k.people_reached_safety
    for commodity, tonnes in k.tonnes_arrived.items():
        assert float(kpis[("tonnes_arrived", "", commodity, "")]) == tonnes
    for zone, shares in k.need_met.items():
        for commodity, share in shares.items():
            assert float(kpis[("need_met_share", zone, commodity, "")]) == share
    for day, tonnes_by in k.arrivals_by_day.items():
        for commodity, tonnes in tonnes_by.items():
            assert float(kpis[("tonnes_arrived_on_day", "", commodity, day)]) == tonnes
    assert float(kpis[("objective", "", "", "")]) == gaza_daily_plan.objective


def test_public_hxl_hides_sensitive_places(gaza, gaza_daily_plan, tmp_path):
    places_csv, _ = write_scenario_hxl(gaza, tmp_path, audience="public")
    _, rows = parse(places_csv)
    sensitive = {p.id for p in gaza.places if p.sensitive}
    assert sensitive and not sensitive & {r["#loc+code"] for r in rows}
    write_plan_hxl(gaza, gaza_daily_plan, tmp_path, audience="public")
    text = "".join((tmp_path / name).read_text() for name in ("convoys.csv", "evacuations.csv"))
    assert not any(place in text for place in sensitive)


def test_import_updates_population_and_needs(tiny_path, tmp_path):
    zones = tmp_path / "zones.csv"
    zones.write_text("Zone,Population,Food need\n#adm1+code,#population,#value+need+food\nsouth,\"1,250\",0.02\n", encoding="utf-8")
    places = tmp_path / "places.csv"
    places.write_text("Id,Name,Kind,Lat,Lon,Zone\n#loc+code,#loc+name,#loc+type,#geo+lat,#geo+lon,#adm1+code\n"
                      "dp-east,East DP,distribution_point,31.05,34.3,south\n", encoding="utf-8")
    merged, _ = import_hxl(tiny_path, places=places, zones=zones)
    south = merged.zone("south")
    assert south.population == 1250 and south.needs_per_person_per_day == {"food": 0.02}
    assert merged.zone("north").population == 1000  # untouched
    assert merged.place("dp-east").geometry.coordinates == (34.3, 31.05)


def test_missing_hashtag_row_is_rejected(tiny_path, tmp_path):
    bad = tmp_path / "zones.csv"
    bad.write_text("Zone,Population\nsouth,10\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not HXL"):
        import_hxl(tiny_path, zones=bad)


def test_missing_id_column_is_named(tiny_path, tmp_path):
    bad = tmp_path / "zones.csv"
    bad.write_text("Name,Population\n#adm1+name,#population\nSouth,10\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"column #adm1\+code: required hashtag is missing"):
        import_hxl(tiny_path, zones=bad)


def test_bad_number_names_line_and_column(tiny_path, tmp_path):
    bad = tmp_path / "zones.csv"
    bad.write_text("Zone,Population\n#adm1+code,#population\nsouth,10\nnorth,many\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"line 4: .*column #population \(Population\): 'many' is not a number"):
        import_hxl(tiny_path, zones=bad)


def test_unknown_commodity_need_column_is_named(tiny_path, tmp_path):
    bad = tmp_path / "zones.csv"
    bad.write_text("Zone,Need\n#adm1+code,#value+need+blankets\nsouth,1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"#value\+need\+blankets \(Need\)"):
        import_hxl(tiny_path, zones=bad)


def test_cli_import_writes_a_valid_scenario(runner, tiny_path, tmp_path):
    zones = tmp_path / "zones.csv"
    zones.write_text("Zone,Population\n#adm1+code,#population\nnorth,4321\n", encoding="utf-8")
    out = tmp_path / "merged.yaml"
    result = runner.invoke(app, ["import-hxl", str(tiny_path), "--zones", str(zones), "--out", str(out)])
    assert result.exit_code == 0, result.output
    check = runner.invoke(app, ["validate", str(out)])
    assert check.exit_code == 0 and "valid" in check.output


def test_cli_import_bad_row_exits_2_naming_it(runner, tiny_path, tmp_path):
    zones = tmp_path / "zones.csv"
    zones.write_text("Zone,Population\n#adm1+code,#population\n,5\n", encoding="utf-8")
    result = runner.invoke(app, ["import-hxl", str(tiny_path), "--zones", str(zones), "--out", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2
    assert "line 3" in result.output and "zone id is empty" in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_cli_export_hxl(runner, tiny_path, tmp_path):
    result = runner.invoke(app, ["export", str(tiny_path), "--proposal", "pause", "--format", "hxl", "--out", str(tmp_path / "hxl")])
    assert result.exit_code == 0, result.output
    names = ["convoys", "evacuations", "kpis", "places", "zones"]
    assert sorted(p.name for p in (tmp_path / "hxl").iterdir()) == sorted([f"{n}.csv" for n in names] + [f"{n}.plain.csv" for n in names])


def test_summing_trucks_in_convoys_csv_gives_trucks_arrived_for_every_proposal(gaza, gaza_plans, tmp_path):
    for proposal, result in gaza_plans.items():
        folder = tmp_path / proposal
        write_plan_hxl(gaza, result, folder)
        _, rows = parse(folder / "convoys.csv")
        per_commodity = sum(int(r["#indicator+trucks+num"]) for r in rows)
        per_convoy = sum(int(r["#indicator+trucks+convoy"]) for r in rows if r["#indicator+trucks+convoy"])
        assert per_commodity == per_convoy == result.kpis.total_trucks_arrived, proposal
        assert len({r["#activity+code"] for r in rows if r["#indicator+trucks+convoy"]}) == len(result.convoys)  # once per convoy


def test_zone_table_gives_units_and_a_plain_csv_for_gis_tools(gaza, tmp_path):
    write_scenario_hxl(gaza, tmp_path)
    header = (tmp_path / "zones.csv").read_text(encoding="utf-8").splitlines()[0]
    for commodity in gaza.commodities:
        assert f"Need {commodity.id} ({commodity.unit} per person per day)" in header
    plain = (tmp_path / "zones.plain.csv").read_text(encoding="utf-8").splitlines()
    assert plain[0] == header and not plain[1].startswith("#")  # no hashtag row for GDAL to read as a zone
    assert len(plain) == 1 + len(gaza.zones)


def test_import_keeps_parameter_references_and_comments(gaza, tmp_path):
    """Importing the scenario's own HXL changes nothing: every $parameter and comment stays."""
    from safepassage.scenario.load import resolve_scenario_path

    places_csv, zones_csv = write_scenario_hxl(gaza, tmp_path)
    original = resolve_scenario_path("gaza-2023-11").read_text(encoding="utf-8")
    replaced: list[str] = []
    merged, text = import_hxl("gaza-2023-11", places=places_csv, zones=zones_csv, replaced=replaced)
    assert replaced == []
    assert text == original
    assert text.count('"$') > 20 and "\n#" in text


def test_import_names_a_reference_it_replaces(tiny_path, tmp_path, runner):
    scenario = tmp_path / "tiny.yaml"
    text = tiny_path.read_text().replace("population: 1000\n", "population: $south_people  # counted in 2023\n", 1)
    text = text.replace("name: tiny\n", "name: tiny\nparameters:\n  south_people: {value: 1000, low: 800, high: 1200}\n", 1)
    scenario.write_text(text)
    same = tmp_path / "same.csv"
    same.write_text("Zone,Population\n#adm1+code,#population\nsouth,1000\n", encoding="utf-8")
    out = tmp_path / "merged.yaml"
    result = runner.invoke(app, ["import-hxl", str(scenario), "--zones", str(same), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "population: $south_people  # counted in 2023" in out.read_text()
    more = tmp_path / "more.csv"
    more.write_text("Zone,Population\n#adm1+code,#population\nsouth,1250\n", encoding="utf-8")
    result = runner.invoke(app, ["import-hxl", str(scenario), "--zones", str(more), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "population: 1250" in out.read_text()
    assert "zones[0].population: $south_people (1000) replaced by 1250" in result.output
