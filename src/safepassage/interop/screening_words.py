"""What the public is told about screening points on a corridor, in English and Arabic: one sentence
per point that, as the scenario declares (``Place.screening.detained`` / ``turned_back``), holds some
people or sends some back, and the advice to carry identity documents. The CAP alerts, the iCalendar,
the public GeoJSON and the public web page all take their words from here, so they say the same.

Only what the scenario declares is said: "held" for a declared ``detained`` share, "sent back" for a
declared ``turned_back`` share; never a share, a count or a position. A sensitive point is named only
by the zone it lies in.

>>> point = PublicScreening("p", {"en": "Wadi checkpoint", "ar": "حاجز الوادي"}, False, True, True, ("r",))
>>> screening_sentence(point, "en")
'At the screening point (Wadi checkpoint) some people are held and others are sent back.'
>>> hidden = PublicScreening("p", {"en": "North", "ar": "الشمال"}, True, False, True, ("r",))
>>> screening_sentence(hidden, "ar")
'عند نقطة تفتيش في \u2068الشمال\u2069 يُعاد بعض الأشخاص من حيث أتوا.'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from safepassage.interop.generalise import Language

__all__ = ["ID_ADVICE", "PublicScreening", "screening_sentence", "screening_warning"]


@dataclass(frozen=True)
class PublicScreening:
    """A screening point that people pass in the plan and that, as the scenario declares, holds some
    of them (``detains``) or sends some back (``turns_back``). ``names`` is how the public may call it:
    its name, or, for a sensitive place, only the zone it lies in (``None`` when it lies in none)."""

    place_id: str  # internal (never printed in public outputs)
    names: dict[str, str | None]
    sensitive: bool
    detains: bool
    turns_back: bool
    road_ids: tuple[str, ...]  # the planned corridor roads that reach it

_AT = {
    "en": {"named": "At the screening point ({name})", "zone": "At a screening point in {name}", "none": "At a screening point on the corridor"},
    "ar": {"named": "عند نقطة التفتيش ({name})", "zone": "عند نقطة تفتيش في {name}", "none": "عند نقطة تفتيش على ممر الإخلاء"},
}
_WHAT = {
    "en": {(True, True): "some people are held and others are sent back.", (True, False): "some people are held.",
           (False, True): "some people are sent back."},
    "ar": {(True, True): "يُحتجز بعض الأشخاص ويُعاد آخرون من حيث أتوا.", (True, False): "يُحتجز بعض الأشخاص.",
           (False, True): "يُعاد بعض الأشخاص من حيث أتوا."},
}
ID_ADVICE = {"en": "Carry identity documents.", "ar": "احمل وثائق هويتك."}


def screening_sentence(point: PublicScreening, language: Language) -> str:
    """One sentence saying what the scenario declares ``point`` does to people, in ``language``."""
    name = point.names.get(language)
    if name is not None and language == "ar":
        name = f"\u2068{name}\u2069"  # a first-strong isolate: an English name keeps its order inside Arabic text
    at = _AT[language]["none" if name is None else "zone" if point.sensitive else "named"].format(name=name)
    return f"{at} {_WHAT[language][(point.detains, point.turns_back)]}"


def screening_warning(points: Iterable[PublicScreening], language: Language, advice: bool = True) -> str:
    """The sentences for these screening points (``""`` when there is none), with the advice to carry
    identity documents after them when ``advice``."""
    sentences = [screening_sentence(point, language) for point in points]
    if not sentences:
        return ""
    return " ".join(sentences + ([ID_ADVICE[language]] if advice else []))
