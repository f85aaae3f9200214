"""The corpus of reply layouts (tests/corpus.py): each reads to its expected force-year
totals through the real cell readers, layouts and facts stage."""
from __future__ import annotations

import pytest

from corpus import layouts
from flows.discover import discover_raw
from flows.facts import build_facts
from flows.reading import read_reply

LAYOUTS = layouts()


def test_the_corpus_has_at_least_25_distinct_layouts():
    assert len({lay.name for lay in LAYOUTS}) >= 25
    # most layouts are checked by offence class too, so a figure filed under another class fails
    assert sum(lay.classes is not None for lay in LAYOUTS) >= 15


@pytest.mark.parametrize("layout", LAYOUTS, ids=[lay.name for lay in LAYOUTS])
def test_layout_reads_to_its_totals(layout, tmp_path):
    folder = tmp_path / "raw" / "2017-corpus" / "Kent"
    folder.mkdir(parents=True)
    layout.write(folder)
    rounds, _ = discover_raw(tmp_path / "raw")
    readings = [read_reply(r) for r in rounds[0].files]
    problems = [r.message for r in readings if r.status != "loaded"]
    assert problems == []
    facts = build_facts(rounds, readings)
    counted = facts.offences[facts.offences.in_totals]
    got = counted.groupby("financial_year")["offences"].sum().to_dict()
    assert {y: int(n) for y, n in got.items()} == layout.expected
    if layout.classes is not None:
        by_class = counted.groupby(["financial_year", "offence_code"])["offences"].sum().to_dict()
        assert {k: int(n) for k, n in by_class.items() if n} == layout.classes


def test_bare_numbers_as_age_headings_are_quarantined_not_guessed(tmp_path):
    """'12', '13', '14' over a table could be ages or counts: the reader must not guess."""
    from corpus import xlsx

    folder = tmp_path / "raw" / "2017-corpus" / "Kent"
    folder.mkdir(parents=True)
    xlsx(folder / "r.xlsx", {"Sheet1": [["Financial year 2016/17"], [], ["Offence", "12", "13", "14"],
                                        ["Sexual grooming", 4, 9, 7]]})
    rounds, _ = discover_raw(tmp_path / "raw")
    [reading] = [read_reply(r) for r in rounds[0].files]
    assert reading.status == "quarantined"
    assert "Sheet1!" in reading.message
