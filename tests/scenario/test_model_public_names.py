"""Arabic names, P-codes and who agreed a pause: the fields public outputs rely on."""

from __future__ import annotations

import unicodedata

import pytest

from safepassage.errors import ScenarioError
from safepassage.scenario import load_scenario


def test_gaza_has_arabic_names_with_a_source_and_p_codes():
    gaza = load_scenario("gaza-2023-11")
    for item in [*gaza.places, *gaza.roads, *gaza.zones]:
        assert item.name_ar, item.id
        letters = [c for c in item.name_ar if c.isalpha()]
        assert letters and all(unicodedata.name(c).startswith("ARABIC") for c in letters), item.name_ar
        assert {"arabic-names-common", "iso-3166-2-ps"} & set(item.sources), item.id
    assert [z.pcode for z in gaza.zones] == ["PS-NGZ", "PS-GZA", "PS-DEB", "PS-KYS", "PS-RFH"]
    # The daily and single pauses were announced by Israel (through the US) while fighting went on:
    # unilateral (pauses-characterisation, un-pauses-coordination); the truce was agreed by both sides.
    agreement = {p.id: (p.agreement, p.agreed_by) for p in gaza.proposals if p.windows}
    assert agreement["daily-4h-north"] == agreement["single-4h-pause"] == ("unilateral", ["Israel"])
    assert agreement["truce-4day"][0] == agreement["ceasefire"][0] == "all_parties"


def test_bad_p_code_and_agreement_are_named(tiny_data, write_yaml):
    tiny_data["zones"][0]["pcode"] = "north zone"
    tiny_data["proposals"][1]["agreement"] = "mostly"
    with pytest.raises(ScenarioError, match=r"zones\[0\]\.pcode|zones.0.pcode") as caught:
        load_scenario(write_yaml(tiny_data))
    assert "agreement" in str(caught.value)
