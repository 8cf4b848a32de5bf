"""People's decision to move: participation (who chooses to go) and mobilisation (when they set out),
from the drivers a scenario declares. Equations and sources: docs/behaviour.md.

>>> from safepassage.behaviour import participation_share
>>> from safepassage.behaviour.coefficients import COEFFICIENTS
>>> share = participation_share(COEFFICIENTS, unilateral=False, hazard="high")
>>> round(share, 3) == round(COEFFICIENTS.base_participation.value, 3)
True
"""

from safepassage.behaviour.coefficients import COEFFICIENTS, Coefficient, Coefficients
from safepassage.behaviour.departure import (
    WindowDepartures,
    ZoneDepartures,
    departures,
    participation_share,
    readiness,
    release_by_slot,
)
from safepassage.behaviour.replay import replayed_proposal

__all__ = [
    "COEFFICIENTS",
    "Coefficient",
    "Coefficients",
    "WindowDepartures",
    "ZoneDepartures",
    "departures",
    "participation_share",
    "readiness",
    "release_by_slot",
    "replayed_proposal",
]
