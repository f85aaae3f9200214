"""Force folders: every name and alias, in the spellings people type, and refusals."""
from __future__ import annotations

import pytest

from flows.forces import REGIONS, AmbiguousForce, ForceNotFound, load_forces, match_force


def spellings(name: str) -> list[str]:
    return [
        name, name.upper(), name.lower(), name.replace(" ", "-"), name.replace(" ", "_"),
        f"{name} Police", f"{name} Constabulary", f"{name} Police Service",
        f"{name} Police Force", f"{name}_police_service", f"The {name} Police".upper(),
        name.replace(" and ", " & "), name.replace("&", " and "), f"  {name}  ",
    ]


ALL_NAMES = [(f.code, n) for f in load_forces() for n in (f.name, *f.aliases)]


def test_forty_three_forces_with_ons_codes():
    forces = load_forces()
    assert len(forces) == 43
    assert len({f.code for f in forces}) == 43
    assert sum(f.code.startswith("E23") for f in forces) == 39
    assert sum(f.code.startswith("W15") for f in forces) == 4


@pytest.mark.parametrize("code,name", ALL_NAMES)
def test_every_name_and_alias_in_every_spelling(code, name):
    for spelling in spellings(name):
        assert match_force(spelling).code == code, spelling


@pytest.mark.parametrize("typed,code", [
    ("Met", "E23000001"), ("MPS", "E23000001"), ("GMP", "E23000005"), ("TVP", "E23000029"),
    ("WMP", "E23000014"), ("Herts", "E23000027"), ("Notts", "E23000019"), ("Staffs", "E23000015"),
    ("devon_and_cornwall", "E23000035"), ("Devon & Cornwall Police", "E23000035"),
    ("dyfed powys", "W15000004"), ("Dyfed-Powys Police", "W15000004"),
    ("thames-valley-police", "E23000029"), ("North_Wales", "W15000001"),
    ("Avon and Somerset Constabulary", "E23000036"), ("City of London Police", "E23000034"),
])
def test_common_abbreviations_and_separators(typed, code):
    assert match_force(typed).code == code


@pytest.mark.parametrize("typed,candidates", [
    ("Yorkshire", ["North Yorkshire", "South Yorkshire", "West Yorkshire"]),
    ("Wales", ["North Wales", "South Wales"]),
    ("Yorkshire Police", ["North Yorkshire", "South Yorkshire", "West Yorkshire"]),
    ("Midlands", ["Derbyshire", "Nottinghamshire", "West Mercia", "West Midlands"]),
    ("London", ["City of London", "Metropolitan Police"]),
    ("West", ["West Mercia", "West Midlands", "West Yorkshire"]),
    ("Surrey_and_Sussex", ["Surrey", "Sussex"]),
])
def test_ambiguous_names_are_rejected_with_the_candidates(typed, candidates):
    with pytest.raises(AmbiguousForce) as err:
        match_force(typed)
    for name in candidates:
        assert name in str(err.value)


@pytest.mark.parametrize("typed", [
    "British Transport Police", "BTP", "Police Scotland", "Police Service of Northern Ireland",
    "Gotham", "Police", "", "---",
])
def test_unknown_and_non_territorial_names_are_rejected(typed):
    with pytest.raises(ForceNotFound):
        match_force(typed)


def test_a_partial_name_is_not_guessed():
    with pytest.raises(ForceNotFound) as err:
        match_force("Thames")
    assert "Thames Valley" in str(err.value)  # suggested, not chosen


@pytest.mark.parametrize("typed", ["British Transport Police", "btp_foi"])
def test_british_transport_police_is_named_as_not_territorial(typed):
    with pytest.raises(ForceNotFound, match="British Transport Police, not one of the 43"):
        match_force(typed)


@pytest.mark.parametrize("typed,meant", [
    ("Thames Valley Police Force FOI", "Thames Valley"),
    ("Devon and Cornwall reply 2017", "Devon and Cornwall"),
    ("Mercia", "West Mercia"),
])
def test_a_name_with_extra_or_missing_words_is_refused_with_a_hint(typed, meant):
    with pytest.raises(ForceNotFound, match=f"did you mean {meant}\\?"):
        match_force(typed)


def test_regions_list_only_real_forces_and_no_region_is_a_force():
    names = {f.name for f in load_forces()}
    for region, forces in REGIONS.items():
        assert set(forces) <= names, region
        with pytest.raises(AmbiguousForce):
            match_force(region)
