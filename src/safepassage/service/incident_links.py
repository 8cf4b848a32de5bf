"""Incidents tied to what was notified: the notified movements and sites near an incident in place and
time, and what each party had confirmed about them, and by whom, when it happened.

Near in place: the incident lies within ``radius_km`` of the notified route (a movement) or of the site,
measured in an azimuthal equidistant projection centred on the incident (pyproj), so distances are
true on the ground. Near in time: the incident falls inside the movement window (or the site's
validity) widened by ``margin_minutes`` on both sides. For each notification the version that stood at
the time of the incident is used (the newest sent by then), or the first version sent, if all were
sent after it (then ``notified_before_incident`` is false).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from pyproj import Transformer
from shapely.geometry import LineString, Point  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from safepassage.service.models import HnsNotification, HnsResponse, IncidentLink, Party, User

__all__ = ["link_record", "nearby_notifications"]


def _projection(lon: float, lat: float) -> Transformer:
    return Transformer.from_crs("EPSG:4326", f"+proj=aeqd +lat_0={lat} +lon_0={lon} +units=m +ellps=WGS84", always_xy=True)


def _distance_km(project: Transformer, row: HnsNotification) -> float:
    if row.kind == "movement":
        lons, lats = zip(*row.content["route"]["coordinates"], strict=True)
        xs, ys = project.transform(lons, lats)
        shape = LineString(list(zip(xs, ys, strict=True)))
    else:
        shape = Point(project.transform(row.content["lon"], row.content["lat"]))
    return float(shape.distance(Point(0.0, 0.0))) / 1000.0


def nearby_notifications(session: Session, occurred_at: dt.datetime, lon: float, lat: float, radius_km: float, margin_minutes: float) -> list[tuple[HnsNotification, float]]:
    """``(version standing at the incident, distance in km)`` for every notified movement or site near it."""
    margin = dt.timedelta(minutes=margin_minutes)
    candidates = session.execute(
        select(HnsNotification).where(HnsNotification.sent_at.is_not(None), HnsNotification.window_start <= occurred_at + margin,
                                      HnsNotification.window_end >= occurred_at - margin).order_by(HnsNotification.series_id, HnsNotification.version)
    ).scalars()
    by_series: dict[int, list[HnsNotification]] = defaultdict(list)
    for row in candidates:
        by_series[row.series_id or row.id].append(row)
    project = _projection(lon, lat)
    out = []
    for versions in by_series.values():
        standing = [v for v in versions if v.sent_at is not None and v.sent_at <= occurred_at]
        row = max(standing, key=lambda v: v.version) if standing else min(versions, key=lambda v: v.version)
        if not row.window_start - margin <= occurred_at <= row.window_end + margin:
            continue
        distance = _distance_km(project, row)
        if distance <= radius_km:
            out.append((row, distance))
    return sorted(out, key=lambda item: (item[1], item[0].id))


def link_record(session: Session, link: IncidentLink, occurred_at: dt.datetime) -> dict[str, Any]:
    """What a link shows: when the movement or site was notified, and per party whether and when receipt
    and dissemination were confirmed, by whom, and whether before the incident; the party's response."""
    row = session.get(HnsNotification, link.hns_notification_id)
    if row is None:
        raise LookupError(f"incident link {link.id} names no notification {link.hns_notification_id}")
    names = dict(session.execute(select(Party.id, Party.name).where(Party.id.in_([a.party_id for a in row.addressees]))).all())
    users = {u for ad in row.addressees for u in (ad.receipt_by, ad.dissemination_by) if u is not None}
    usernames = dict(session.execute(select(User.id, User.username).where(User.id.in_(users))).all()) if users else {}

    def before(moment: dt.datetime | None) -> bool:
        return moment is not None and moment <= occurred_at

    versions = session.execute(select(HnsNotification).where(HnsNotification.series_id == row.series_id, HnsNotification.sent_at.is_not(None))
                               .order_by(HnsNotification.version)).scalars().all()
    responses: dict[int, list[HnsResponse]] = defaultdict(list)
    for response in session.execute(select(HnsResponse).where(HnsResponse.hns_notification_id.in_([v.id for v in versions])).order_by(HnsResponse.id)).scalars():
        responses[response.hns_notification_id].append(response)
    history = [{
        "hns_notification_id": v.id, "version": v.version, "sent_at": v.sent_at.isoformat() if v.sent_at else None, "change_reason": v.change_reason,
        "responses": [{"party_id": r.party_id, "response": r.response, "reason": r.reason, "at": r.created_at.isoformat(), "before_incident": before(r.created_at)}
                      for r in responses[v.id]],
    } for v in versions]

    return {
        "hns_notification_id": row.id, "series_id": row.series_id or row.id, "version": row.version, "kind": row.kind, "movement_id": row.movement_id,
        "site_id": row.site_id, "distance_km": round(link.distance_km, 3), "notified_at": row.sent_at.isoformat() if row.sent_at else None,
        "notified_before_incident": before(row.sent_at), "window_start": row.window_start.isoformat(), "window_end": row.window_end.isoformat(),
        "parties": [{
            "party_id": a.party_id, "party": names.get(a.party_id, ""),
            "receipt_at": a.receipt_at.isoformat() if a.receipt_at else None, "receipt_by": usernames.get(a.receipt_by) if a.receipt_by else None,
            "receipt_before_incident": before(a.receipt_at),
            "dissemination_at": a.dissemination_at.isoformat() if a.dissemination_at else None,
            "dissemination_by": usernames.get(a.dissemination_by) if a.dissemination_by else None,
            "dissemination_before_incident": before(a.dissemination_at),
            "response": a.response, "responded_at": a.responded_at.isoformat() if a.responded_at else None,
        } for a in row.addressees],
        "history": history,
    }
