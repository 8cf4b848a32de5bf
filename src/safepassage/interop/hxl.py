"""HXL (Humanitarian Exchange Language) tagged CSV: import places and zones into a scenario, export a
scenario's places and zones, a plan's convoys and evacuation movements, and its KPIs.

Every file has a header row and an HXL hashtag row (libhxl reads it; people read the header). Numbers
are written so that they read back exactly; times are ISO 8601 with the scenario's UTC offset.

Hashtags (``+code`` is an id used in the scenario, ``+name`` a label):

===================  =====================================================================
places.csv           #loc+code, #loc+name, #loc+type, #geo+lat, #geo+lon, #adm1+code,
                     #capacity+trucks_per_hour, #capacity+people_per_hour, #status+closed,
                     #meta+sensitive, #meta+source
zones.csv            #adm1+code, #adm1+name, #population, #severity+hazard, #geo+wkt,
                     #value+need+<commodity> (units per person per day), #meta+source
convoys.csv          #activity+code, #loc+origin+code, #loc+dest+code, #adm1+dest+code,
                     #date+start, #date+end, #indicator+trucks+num, #item+code, #value+quantity,
                     #item+unit, #meta+route, #loc+crossing, #status+pause
evacuations.csv      #activity+code, #adm1+origin+code, #adm1+dest+code, #loc+dest+code,
                     #date+start, #date+end, #population+evacuated, #meta+route, #status+pause
kpis.csv             #meta+proposal, #indicator+code, #adm1+code, #item+code, #date,
                     #indicator+value+num, #meta+unit
===================  =====================================================================

Import: ``merge_hxl`` updates zones (population, hazard, needs, outline) and places (name, kind,
position, zone, capacities) already in a scenario and adds new ones; the result is validated like any
scenario. Bad input raises ``ScenarioError`` naming the file, line and column.

Public exports (``audience="public"``) drop sensitive places, round positions to about a kilometre and
generalise zone outlines; routes name a sensitive place only as "a site in <zone>".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from safepassage.errors import Problem, ScenarioError
from safepassage.interop.generalise import Generaliser
from safepassage.plan import PlanResult
from safepassage.plan.result import iso
from safepassage.scenario.model import Scenario

__all__ = [
    "CONVOY_COLUMNS",
    "EVACUATION_COLUMNS",
    "KPI_COLUMNS",
    "PLACE_COLUMNS",
    "ZONE_COLUMNS",
    "hxl_text",
    "import_hxl",
    "merge_hxl",
    "read_hxl",
    "write_plan_hxl",
    "write_scenario_hxl",
]

Audience = Literal["public", "internal"]

PLACE_COLUMNS = [
    ("Place", "#loc+code"), ("Name", "#loc+name"), ("Name (Arabic)", "#loc+name+i_ar"), ("Kind", "#loc+type"), ("Latitude", "#geo+lat"),
    ("Longitude", "#geo+lon"), ("Zone", "#adm1+id"), ("Zone P-code", "#adm1+code"), ("Trucks per hour", "#capacity+trucks_per_hour"), ("People per hour", "#capacity+people_per_hour"),
    ("Closed", "#status+closed"), ("Sensitive", "#meta+sensitive"), ("Sources", "#meta+source"),
]
ZONE_COLUMNS = [
    ("Zone", "#adm1+id"), ("P-code", "#adm1+code"), ("Name", "#adm1+name"), ("Name (Arabic)", "#adm1+name+i_ar"),
    ("Population (people)", "#population"), ("Hazard", "#severity+hazard"), ("Outline (WKT, WGS 84)", "#geo+wkt"), ("Sources", "#meta+source"),
]
_ZONE_FIXED = 7  # columns before the need columns
CONVOY_COLUMNS = [
    ("Convoy", "#activity+code"), ("Origin", "#loc+origin+code"), ("Destination", "#loc+dest+code"), ("Zone", "#adm1+dest+code"),
    ("Departs", "#date+start"), ("Arrives", "#date+end"), ("Trucks carrying this commodity", "#indicator+trucks+num"),
    ("Trucks in the convoy", "#indicator+trucks+convoy"), ("Commodity", "#item+code"),
    ("Quantity", "#value+quantity"), ("Unit", "#item+unit"), ("Route", "#meta+route"), ("Crossings", "#loc+crossing"),
    ("Needs a pause", "#status+pause"),
]
EVACUATION_COLUMNS = [
    ("Movement", "#activity+code"), ("From zone", "#adm1+origin+code"), ("To zone", "#adm1+dest+code"), ("Arrives at", "#loc+dest+code"),
    ("Departs", "#date+start"), ("Arrives", "#date+end"), ("People", "#population+evacuated"), ("Corridor", "#meta+route"),
    ("Needs a pause", "#status+pause"),
]
KPI_COLUMNS = [
    ("Proposal", "#meta+proposal"), ("Indicator", "#indicator+code"), ("Zone", "#adm1+code"), ("Commodity", "#item+code"),
    ("Date", "#date"), ("Value", "#indicator+value+num"), ("Unit", "#meta+unit"),
]
NEED_TAG = "#value+need+{}"
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_ROUTE_SEP = " > "


# Writing ----------------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # numpy floats too; repr(float) reads back to the same number
        value = float(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def hxl_text(columns: list[tuple[str, str]], rows: Iterable[list[Any]], hashtags: bool = True) -> str:
    """CSV text with a header row and (unless ``hashtags`` is false) an HXL hashtag row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([header for header, _ in columns])
    if hashtags:
        writer.writerow([tag for _, tag in columns])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()


def _attribute(commodity: str) -> str:
    # HXL attributes are [a-z][a-z0-9_]*: ids with '-' are written with '_'.
    return commodity.replace("-", "_")


def write_scenario_hxl(scenario: Scenario, folder: Path, audience: Audience = "internal") -> list[Path]:
    """``places.csv`` and ``zones.csv`` of ``scenario`` (the input ``merge_hxl`` reads) into ``folder``."""
    from shapely.geometry import shape

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    generaliser = Generaliser(scenario)
    zones = {z.id: z for z in scenario.zones}
    place_rows = []
    for p in scenario.places:
        if audience == "public":
            if p.sensitive:
                continue
            point = generaliser.public_point(p)  # None within 2 km of a sensitive site: named, not placed
            lat, lon = (point.y, point.x) if point is not None else (None, None)
        else:
            lat, lon = p.geometry.lat, p.geometry.lon
        zone = zones.get(p.zone or "")
        place_rows.append([p.id, p.name, p.name_ar, p.kind.value, lat, lon, p.zone, zone.pcode or zone.id if zone else None,
                           p.trucks_per_hour, p.people_per_hour, p.closed, p.sensitive, " ".join(p.sources)])
    commodities = scenario.commodities
    zone_columns = ZONE_COLUMNS[:_ZONE_FIXED] + [
        (f"Need {c.id} ({c.unit} per person per day)", NEED_TAG.format(_attribute(c.id))) for c in commodities] + ZONE_COLUMNS[_ZONE_FIXED:]
    zone_rows = []
    for z in scenario.zones:
        outline = generaliser.zone(z) if audience == "public" else shape(z.geometry.model_dump())
        needs = [z.needs_per_person_per_day.get(c.id) for c in commodities]
        zone_rows.append([z.id, z.pcode or z.id, z.name, z.name_ar, z.population, z.hazard, outline.wkt, *needs, " ".join(z.sources)])
    if audience == "public":
        place_rows = [[generaliser.text(v) if isinstance(v, str) else v for v in row] for row in place_rows]
        zone_rows = [[generaliser.text(v) if isinstance(v, str) and i != 6 else v for i, v in enumerate(row)] for row in zone_rows]
    return _write_tables(folder, [("places", PLACE_COLUMNS, place_rows), ("zones", zone_columns, zone_rows)])


def _write_tables(folder: Path, tables: list[tuple[str, list[tuple[str, str]], list[list[Any]]]]) -> list[Path]:
    """Each table as ``<name>.csv`` (header row, HXL hashtag row, data) and, for GIS tools that would
    read the hashtag row as a record (GDAL's CSV driver), ``<name>.plain.csv`` without it. Returns the
    HXL files' paths (each plain file sits beside its HXL file)."""
    paths = []
    for name, columns, rows in tables:
        path = folder / f"{name}.csv"
        path.write_text(hxl_text(columns, rows), encoding="utf-8")
        plain = folder / f"{name}.plain.csv"
        plain.write_text(hxl_text(columns, rows, hashtags=False), encoding="utf-8")
        paths.append(path)
    return paths


def write_plan_hxl(scenario: Scenario, result: PlanResult, folder: Path, audience: Audience = "public") -> list[Path]:
    """``convoys.csv``, ``evacuations.csv`` and ``kpis.csv`` of a plan into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    generaliser = Generaliser(scenario)
    sensitive = {p.id for p in scenario.places if p.sensitive}

    def place(place_id: str) -> str:
        return generaliser.place_label(place_id) if audience == "public" and place_id in sensitive else place_id

    units = {c.id: c.unit for c in scenario.commodities}
    convoy_rows = [
        [c.id, place(c.origin), place(c.destination), c.zone, iso(c.departs), iso(c.arrives), c.cargo_trucks.get(commodity, 0),
         c.trucks if index == 0 else None, commodity, quantity, units.get(commodity, ""),
         _ROUTE_SEP.join(place(p) for p in c.route), " ".join(place(p) for p in c.crossings), c.requires_pause]
        for c in result.convoys for index, (commodity, quantity) in enumerate(c.cargo.items())
    ]
    mismatched = [c.id for c in result.convoys if sum(c.cargo_trucks.get(k, 0) for k in c.cargo) != c.trucks]
    if mismatched:  # the per-commodity truck counts must add up, or summing the column would mislead
        raise ValueError(f"convoys whose trucks by commodity do not add up to their trucks: {', '.join(mismatched[:5])}")
    evacuation_rows = [
        [e.id, e.origin_zone, e.destination_zone, place(e.destination), iso(e.departs), iso(e.arrives), e.people,
         _ROUTE_SEP.join(place(p) for p in e.corridor), e.requires_pause]
        for e in result.evacuations
    ]
    if audience == "public":
        convoy_rows = [[generaliser.text(v) if isinstance(v, str) else v for v in row] for row in convoy_rows]
        evacuation_rows = [[generaliser.text(v) if isinstance(v, str) else v for v in row] for row in evacuation_rows]
    return _write_tables(folder, [("convoys", CONVOY_COLUMNS, convoy_rows), ("evacuations", EVACUATION_COLUMNS, evacuation_rows),
                                  ("kpis", KPI_COLUMNS, kpi_rows(scenario, result))])


def kpi_rows(scenario: Scenario, result: PlanResult) -> list[list[Any]]:
    """The plan's KPIs in long form: proposal, indicator, zone, commodity, date, value, unit."""
    k, p = result.kpis, result.proposal
    units = {c.id: c.unit for c in scenario.commodities}
    rows: list[list[Any]] = []
    for commodity, n in k.trucks_crossed.items():
        rows.append([p, "trucks_crossed", "", commodity, "", n, "trucks"])
    for commodity, n in k.trucks_arrived.items():
        rows.append([p, "trucks_arrived", "", commodity, "", n, "trucks"])
    for commodity, t in k.tonnes_arrived.items():
        rows.append([p, "tonnes_arrived", "", commodity, "", t, "t"])
    for commodity, q in k.quantity_arrived.items():
        rows.append([p, "quantity_arrived", "", commodity, "", q, units.get(commodity, "")])
    for zone, by_commodity in k.arrived_by_zone.items():
        for commodity, q in by_commodity.items():
            rows.append([p, "arrived_in_zone", zone, commodity, "", q, units.get(commodity, "")])
    for zone, by_commodity in k.need_met.items():
        for commodity, share in by_commodity.items():
            rows.append([p, "need_met_share", zone, commodity, "", share, "share of horizon need"])
    for day, by_commodity in k.arrivals_by_day.items():
        for commodity, t in by_commodity.items():
            rows.append([p, "tonnes_arrived_on_day", "", commodity, day, t, "t"])
    for day, people in k.safe_by_day.items():
        rows.append([p, "people_safe_on_day", "", "", day, people, "people"])
    rows.append([p, "people_reached_safety", "", "", "", k.people_reached_safety, "people"])
    rows.append([p, "people_wanting_to_leave", "", "", "", k.people_wanting_to_leave, "people"])
    # Expected people stopped at screening points (planned shares, so not whole people): never reaching safety.
    rows.append([p, "people_detained", "", "", "", k.people_detained, "people"])
    rows.append([p, "people_turned_back", "", "", "", k.people_turned_back, "people"])
    rows.append([p, "hours_to_50pct_safe", "", "", "", k.hours_to_50pct_safe, "hours"])
    rows.append([p, "hours_to_90pct_safe", "", "", "", k.hours_to_90pct_safe, "hours"])
    rows.append([p, "objective", "", "", "", result.objective, "person-days"])
    rows.append([p, "bound", "", "", "", result.bound, "person-days"])
    rows.append([p, "gap", "", "", "", result.gap, "share"])
    return rows


# Reading ----------------------------------------------------------------------------------------
def read_hxl(path: Path) -> tuple[list[Any], list[Any]]:
    """Columns and rows of an HXL file, through libhxl; raises ``ScenarioError`` when it is not HXL."""
    import hxl

    path = Path(path)
    if not path.is_file():
        raise ScenarioError([Problem(str(path), "no such file", "give the path of an HXL-tagged CSV file")], source=str(path))
    try:
        source = hxl.data(str(path), hxl.InputOptions(allow_local=True))
        columns = list(source.columns)
        rows = list(source)
    except hxl.HXLException as exc:
        raise ScenarioError([Problem(str(path), f"not HXL: {exc}", "add a row of HXL hashtags (#adm1+code, #population ...) under the header row")],
                            source=str(path)) from exc
    return columns, rows


def _find(columns: list[Any], tag: str) -> int | None:
    import hxl

    pattern = hxl.model.TagPattern.parse(tag)
    for index, column in enumerate(columns):
        if pattern.match(column):
            return index
    return None


class _Table:
    """An HXL table with lookups that name the file, line and column in every problem."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = str(path)
        self.columns, self.rows = read_hxl(path)
        self.problems = problems

    def require(self, *tags: str) -> bool:
        missing = [t for t in tags if _find(self.columns, t) is None]
        for tag in missing:
            self.problems.append(Problem(f"{self.path}: column {tag}", "required hashtag is missing",
                                         f"add a column tagged {tag} (found: {', '.join(c.display_tag for c in self.columns if c.tag) or 'none'})"))
        return not missing

    def line(self, row: Any) -> int:
        return row.source_row_number + 1  # libhxl counts from 0; people count lines from 1

    def text(self, row: Any, tag: str) -> str | None:
        index = _find(self.columns, tag)
        if index is None or index >= len(row.values):
            return None
        value = (row.values[index] or "").strip()
        return value or None

    def where(self, tag: str) -> str:
        index = _find(self.columns, tag)
        header = self.columns[index].header if index is not None else ""
        return f"{self.path}: column {tag}" + (f" ({header})" if header else "")

    def number(self, row: Any, tag: str) -> float | None:
        value = self.text(row, tag)
        if value is None:
            return None
        if _THOUSANDS.match(value):
            value = value.replace(",", "")
        try:
            return float(value)
        except ValueError:
            self.problems.append(Problem(self.where(tag), f"{value!r} is not a number", "give a plain number such as 1200 or 0.5", self.line(row)))
            return None

    def boolean(self, row: Any, tag: str) -> bool | None:
        value = self.text(row, tag)
        if value is None:
            return None
        lowered = value.lower()
        if lowered in ("true", "yes", "1", "y"):
            return True
        if lowered in ("false", "no", "0", "n"):
            return False
        self.problems.append(Problem(self.where(tag), f"{value!r} is not true or false", "write true or false", self.line(row)))
        return None


def _sources(value: str | None) -> list[str] | None:
    return value.split() if value else None


def _merge_zones(data: dict[str, Any], table: _Table) -> None:
    from shapely import wkt
    from shapely.errors import ShapelyError
    from shapely.geometry import mapping

    if _find(table.columns, "#adm1+id") is None and not table.require("#adm1+code"):
        return
    commodity_of = {_attribute(c["id"]): c["id"] for c in data.get("commodities", []) if isinstance(c, dict) and "id" in c}
    need_columns = []
    for index, column in enumerate(table.columns):
        if column.tag == "#value" and "need" in column.attributes:
            rest = [a for a in column.attributes if a != "need"]
            if len(rest) != 1 or rest[0] not in commodity_of:
                table.problems.append(Problem(f"{table.path}: column {column.display_tag} ({column.header})",
                                              "a need column names one commodity of the scenario",
                                              f"tag it #value+need+<commodity> with one of: {', '.join(commodity_of) or 'none'}"))
                continue
            need_columns.append((index, column.display_tag, commodity_of[rest[0]]))
    zones = data.setdefault("zones", [])
    by_id = {z.get("id"): z for z in zones if isinstance(z, dict)}
    by_pcode = {z.get("pcode"): z.get("id") for z in zones if isinstance(z, dict) and z.get("pcode")}
    for row in table.rows:
        line = table.line(row)
        zone_id = table.text(row, "#adm1+id") or table.text(row, "#adm1+code")
        zone_id = by_pcode.get(zone_id, zone_id)
        found = _record_of(table, row, zone_id, "#adm1+code", "zone", by_id)
        if found is None:
            continue
        zone, fresh = found
        name, population = table.text(row, "#adm1+name"), table.number(row, "#population")
        hazard, outline = table.text(row, "#severity+hazard"), table.text(row, "#geo+wkt")
        if name is not None:
            zone["name"] = name
        if population is not None:
            zone["population"] = population
        if hazard is not None:
            zone["hazard"] = hazard
        if outline is not None:
            try:
                zone["geometry"] = _plain(mapping(wkt.loads(outline)))
            except (ShapelyError, ValueError) as exc:
                table.problems.append(Problem(table.where("#geo+wkt"), f"not a WKT polygon: {exc}", "give POLYGON ((lon lat, ...))", line))
        for _index, tag, commodity in need_columns:
            value = table.number(row, tag)
            if value is not None:
                needs = zone.setdefault("needs_per_person_per_day", {})
                needs[commodity] = value
        _finish_record(table, row, "zone", zone_id, zone, (("name", "#adm1+name"), ("population", "#population"), ("geometry", "#geo+wkt")),
                       zones if fresh else None, by_id)


def _record_of(table: _Table, row: Any, ident: str | None, tag: str, what: str, by_id: dict[Any, Any]) -> tuple[dict[str, Any], bool] | None:
    """The scenario's ``what`` with id ``ident`` (or a new one) and whether it is new; None, with the row's
    problem, when the id is empty."""
    if ident is None:
        table.problems.append(Problem(table.where(tag), f"{what} id is empty", f"give the {what}'s id", table.line(row)))
        return None
    record = by_id.get(ident)
    return (record, False) if record is not None else ({"id": ident}, True)


def _finish_record(table: _Table, row: Any, what: str, ident: str, record: dict[str, Any], required: tuple[tuple[str, str], ...],
                   new_into: list[Any] | None, by_id: dict[Any, Any]) -> None:
    """Set the row's ``#meta+source`` on ``record``; a new record (``new_into`` is where it goes) is added
    only with every ``required`` (key, tag), else the row's problem names the missing columns."""
    sources = _sources(table.text(row, "#meta+source"))
    if sources is not None:
        record["sources"] = sources
    if new_into is None:
        return
    missing = [tag for key, tag in required if key not in record]
    if missing:
        table.problems.append(Problem(f"{table.path}: {what} {ident}", f"a new {what} needs {', '.join(missing)}",
                                      f"fill those columns, or use the id of a {what} already in the scenario", table.line(row)))
        return
    new_into.append(record)
    by_id[ident] = record


def _merge_places(data: dict[str, Any], table: _Table) -> None:
    if not table.require("#loc+code"):
        return
    places = data.setdefault("places", [])
    by_id = {p.get("id"): p for p in places if isinstance(p, dict)}
    by_pcode = {z.get("pcode"): z.get("id") for z in data.get("zones", []) if isinstance(z, dict) and z.get("pcode")}
    for row in table.rows:
        line = table.line(row)
        place_id = table.text(row, "#loc+code")
        found = _record_of(table, row, place_id, "#loc+code", "place", by_id)
        if found is None:
            continue
        place, fresh = found
        for key, tag in (("name", "#loc+name"), ("kind", "#loc+type"), ("zone", "#adm1+code"), ("zone", "#adm1+id")):
            value = table.text(row, tag)
            if value is not None:
                place[key] = by_pcode.get(value, value) if key == "zone" else value
        lat, lon = table.number(row, "#geo+lat"), table.number(row, "#geo+lon")
        if (lat is None) != (lon is None):
            table.problems.append(Problem(f"{table.path}: place {place_id}", "give both #geo+lat and #geo+lon, or neither", "fill the empty one", line))
        elif lat is not None and lon is not None:
            place["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
        for key, tag in (("trucks_per_hour", "#capacity+trucks_per_hour"), ("people_per_hour", "#capacity+people_per_hour")):
            value = table.number(row, tag)
            if value is not None:
                place[key] = value
        for key, tag in (("closed", "#status+closed"), ("sensitive", "#meta+sensitive")):
            flag = table.boolean(row, tag)
            if flag is not None:
                place[key] = flag
        _finish_record(table, row, "place", place_id, place, (("name", "#loc+name"), ("kind", "#loc+type"), ("geometry", "#geo+lat/#geo+lon")),
                       places if fresh else None, by_id)


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def merge_hxl(data: dict[str, Any], places: Path | None = None, zones: Path | None = None) -> dict[str, Any]:
    """Scenario data (the YAML mapping) with the places and zones of these HXL files merged in.

    Rows update the place or zone with the same id and add the others. Returns a new mapping; raises
    ``ScenarioError`` listing every problem (file, line, column) before anything is changed.
    """
    import copy

    merged = copy.deepcopy(data)
    problems: list[Problem] = []
    if zones is not None:
        _merge_zones(merged, _Table(Path(zones), problems))
    if places is not None:
        _merge_places(merged, _Table(Path(places), problems))
    if problems:
        raise ScenarioError(problems, source="HXL import")
    return merged


def import_hxl(scenario: str | Path, places: Path | None = None, zones: Path | None = None, replaced: list[str] | None = None) -> tuple[Scenario, str]:
    """Merge HXL places and zones into a scenario file (or packaged name): the validated scenario and
    its YAML text. Raises ``ScenarioError`` naming every problem in the HXL or in the merged scenario.

    The file is edited, not rewritten: its comments, quoting and layout stay, and a value the HXL
    leaves as it was keeps its ``"$parameter"`` reference (so sensitivity analysis still sweeps it). A
    reference the HXL gives a different number is replaced by that number and named in ``replaced``.
    """
    from safepassage.scenario.load import parse_scenario, resolve_scenario_path
    from safepassage.scenario.yaml_limits import load_yaml

    path = resolve_scenario_path(scenario)
    try:
        original = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), f"cannot read file: {exc}", "check the path and that it is UTF-8 text")], str(path)) from exc
    data, _ = load_yaml(original, str(path))  # the size and alias limits, before anything else reads it
    if not isinstance(data, dict):
        raise ScenarioError([Problem(str(path), "a scenario is a YAML mapping", "see `safepassage schema`")], source=str(path))
    merged = merge_hxl(data, places=places, zones=zones)
    text = _edit_yaml(original, merged, data.get("parameters") or {}, [] if replaced is None else replaced)
    return parse_scenario(text, source=f"{path} + HXL"), text


def _edit_yaml(original: str, merged: dict[str, Any], parameters: dict[str, Any], replaced: list[str]) -> str:
    """``original`` YAML text changed to hold ``merged``, keeping comments, layout and every node (and
    ``$parameter`` reference) whose value did not change. ``ruamel.yaml`` does the round trip."""
    from ruamel.yaml import YAML

    from safepassage.scenario.model import Place, Zone

    yaml_rt = YAML()
    yaml_rt.preserve_quotes = True
    yaml_rt.width = 4096
    yaml_rt.indent(mapping=2, sequence=4, offset=2)
    document = yaml_rt.load(original)

    def value_of(node: Any) -> Any:
        if isinstance(node, str) and node.startswith("$") and isinstance(parameters.get(node[1:]), dict):
            return parameters[node[1:]].get("value")
        return node

    def same(old: Any, new: Any) -> bool:
        if old == new:
            return True
        old, new = value_of(old), value_of(new)
        if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool) and not isinstance(new, bool):
            return abs(float(old) - float(new)) <= 1e-9 * max(1.0, abs(float(old)))
        return bool(old == new)

    models: dict[str, type[Place] | type[Zone]] = {".places": Place, ".zones": Zone}

    def is_default(where: str, key: str, value: Any) -> bool:
        """A field the file leaves out and the HXL gives its default value: leave it out."""
        model = models.get(where.split("[")[0]) if where.count("[") == 1 and where.endswith("]") else None
        field = model.model_fields.get(key) if model is not None else None
        return field is not None and not field.is_required() and field.default == value

    def apply(old: Any, new: Any, where: str) -> Any:
        if isinstance(old, dict) and isinstance(new, dict):
            for key, value in new.items():
                if key in old:
                    old[key] = apply(old[key], value, f"{where}.{key}")
                elif not is_default(where, key, value):
                    old[key] = value
            return old
        if isinstance(old, list) and isinstance(new, list) and len(new) >= len(old):
            for i, value in enumerate(new):
                if i < len(old):
                    old[i] = apply(old[i], value, f"{where}[{i}]")
                else:
                    old.append(value)
            return old
        if same(old, new):
            return old  # unchanged: keep the node as written, reference and all
        if isinstance(old, str) and old.startswith("$"):
            replaced.append(f"{where.lstrip('.')}: {old} ({value_of(old)}) replaced by {new}")
        return new

    apply(document, merged, "")
    out = io.StringIO()
    yaml_rt.dump(document, out)
    return out.getvalue()
