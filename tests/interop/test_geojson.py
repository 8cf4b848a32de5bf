"""GeoJSON: every collection validates (JSON Schema of RFC 7946 and shapely), windows and flows are
properties, and the public collections expose no exact position of people or sensitive sites."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from shapely.geometry import shape

from safepassage.cli import app
from safepassage.interop.geojson import corridors_collection, plan_collection, zones_collection
from safepassage.interop.public_picture import in_public_corridor


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(resources.files("safepassage.interop").joinpath("schema/geojson.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def positions(geometry: dict) -> list[list[float]]:
    """Every position in a geometry, however nested."""
    out = []

    def walk(value):
        if isinstance(value, list) and value and isinstance(value[0], (int, float)):
            out.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(geometry["coordinates"])
    return out


def assert_valid(collection: dict, validator) -> None:
    validator.validate(collection)
    json.loads(json.dumps(collection))  # plain JSON, nothing Python-specific
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid, feature["id"]
        if feature["geometry"]["type"] in ("Polygon", "MultiPolygon"):
            polygons = geometry.geoms if geometry.geom_type == "MultiPolygon" else [geometry]
            assert all(p.exterior.is_ccw for p in polygons), f"{feature['id']}: RFC 7946 wants counter-clockwise exteriors"


@pytest.mark.parametrize("audience", ["public", "internal"])
def test_every_collection_validates(gaza, gaza_daily_plan, validator, audience):
    for collection in (zones_collection(gaza, audience), corridors_collection(gaza, gaza_daily_plan, audience),
                       plan_collection(gaza, gaza_daily_plan, audience)):
        assert collection["features"]
        assert_valid(collection, validator)


def test_schema_rejects_a_broken_collection(validator):
    broken = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [200, 31]}}]}
    with pytest.raises(jsonschema.ValidationError, match="200"):
        validator.validate(broken)


def test_plan_carries_windows_and_flows(gaza, gaza_daily_plan):
    collection = plan_collection(gaza, gaza_daily_plan, "public")
    routes = [f["properties"] for f in collection["features"] if f["properties"]["kind"] == "convoy_route"]
    corridors = [f["properties"] for f in collection["features"] if f["properties"]["kind"] == "evacuation_corridor"]
    assert sum(r["trucks"] for r in routes) == sum(c.trucks for c in gaza_daily_plan.convoys)
    assert sum(c["people"] for c in corridors) == sum(e.people for e in gaza_daily_plan.evacuations)
    assert collection["windows"][0] == {"start": "2023-11-24T10:00:00+02:00", "end": "2023-11-24T14:00:00+02:00", "zones": ["north-gaza", "gaza-city"]}
    assert all(c["windows"] for c in corridors if c["requires_pause"])

    internal = plan_collection(gaza, gaza_daily_plan, "internal")
    convoys = {f["properties"]["id"]: f for f in internal["features"] if f["properties"]["kind"] == "convoy"}
    first = gaza_daily_plan.convoys[0]
    assert convoys[first.id]["properties"]["cargo"] == first.cargo
    assert convoys[first.id]["geometry"]["coordinates"][0] == list(gaza.place(first.origin).geometry.coordinates)


def test_public_geometry_hides_people_and_sensitive_sites(gaza, gaza_daily_plan, nearest_sensitive_m):
    exact = {tuple(p.geometry.coordinates) for p in gaza.places}
    for collection in (zones_collection(gaza), corridors_collection(gaza, gaza_daily_plan), plan_collection(gaza, gaza_daily_plan)):
        for feature in collection["features"]:
            assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon"), "no point features in public output"
            for position in positions(feature["geometry"]):
                assert tuple(position) not in exact
                assert nearest_sensitive_m(position) > 2000, feature["id"]
        text = json.dumps(collection)
        assert not any(p.id in text or p.name in text for p in gaza.places if p.sensitive)


def test_public_zone_covers_the_exact_zone(gaza):
    """Generalised outlines grow, never shrink: nobody inside a zone is left outside its public outline."""
    for zone, feature in zip(gaza.zones, zones_collection(gaza)["features"]):
        assert shape(feature["geometry"]).buffer(1e-9).covers(shape(zone.geometry.model_dump()).buffer(-0.001))


def test_cli_export_geojson(runner, tiny_path, tmp_path, validator):
    result = runner.invoke(app, ["export", str(tiny_path), "-p", "pause", "--format", "geojson", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in ("zones.geojson", "corridors.geojson", "plan.geojson"):
        assert_valid(json.loads((tmp_path / name).read_text()), validator)


def test_cli_export_unknown_proposal_exits_2(runner, tiny_path, tmp_path):
    result = runner.invoke(app, ["export", str(tiny_path), "-p", "armistice", "--format", "geojson", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown proposal 'armistice'" in result.output


def test_public_corridor_is_the_roads_evacuees_walk(gaza, gaza_plans):
    from safepassage.interop.generalise import Generaliser

    generaliser = Generaliser(gaza)
    roads = {r.id: r for r in gaza.roads}
    for proposal in ("single-4h-pause", "daily-4h-north", "truce-4day"):
        result = gaza_plans[proposal]
        # The last step to a sensitive shelter is not drawn (its position is not public).
        walked = {leg.road for e in result.evacuations if e.people > 0 for leg in e.legs if in_public_corridor(gaza, e, leg)}
        collection = corridors_collection(gaza, result)
        corridor = {f["properties"]["name"] for f in collection["features"] if f["properties"]["evacuation_corridor"]}
        assert corridor == {generaliser.road_label(roads[r]) for r in walked}, proposal
        assert "erez-north-gaza" not in walked and "Erez" not in json.dumps(collection)
        for feature in collection["features"]:  # every band lies in the area of operation
            assert generaliser.area_of_operation.buffer(1e-9).contains(shape(feature["geometry"]))
    assert corridors_collection(gaza)["features"] == []  # no plan, no public corridor
