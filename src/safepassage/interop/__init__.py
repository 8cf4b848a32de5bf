"""Speak the field's formats: HXL-tagged CSV, GeoJSON, iCalendar and CAP 1.2 alerts.

Public outputs read one public picture of a plan (``public_picture``) and go through one redaction
rule (``generalise``), so that no exact position of people or of sensitive sites leaves the system. See docs/formats.md for the commands.
"""

from safepassage.interop.calendar import proposal_calendar, read_calendar, write_calendar
from safepassage.interop.cap import CapAlert, CapValidationError, alert_problems, proposal_alerts, read_alerts, validate_alert, write_alerts
from safepassage.interop.generalise import Generaliser
from safepassage.interop.geojson import corridors_collection, plan_collection, write_geojson, zones_collection
from safepassage.interop.hxl import import_hxl, merge_hxl, write_plan_hxl, write_scenario_hxl
from safepassage.interop.public_picture import PublicPicture, public_picture
from safepassage.interop.windows import WindowOccurrence, window_occurrences

__all__ = [
    "CapAlert",
    "CapValidationError",
    "Generaliser",
    "PublicPicture",
    "WindowOccurrence",
    "alert_problems",
    "corridors_collection",
    "import_hxl",
    "merge_hxl",
    "plan_collection",
    "proposal_alerts",
    "proposal_calendar",
    "public_picture",
    "read_calendar",
    "read_alerts",
    "validate_alert",
    "window_occurrences",
    "write_alerts",
    "write_calendar",
    "write_geojson",
    "write_plan_hxl",
    "write_scenario_hxl",
    "zones_collection",
]
