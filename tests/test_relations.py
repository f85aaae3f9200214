"""Recipes that state relations ('year: up', 'offence: left'): tables the automatic
layouts cannot place, read by direction, and still checked like any other."""
from __future__ import annotations

import openpyxl
import pytest

from flows.cells import read_workbook
from flows.layouts import read_file
from flows.layouts.mapping import recipe_from


def write(path, rows, merges=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in rows:
        ws.append(list(row))
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


def recipe(**keys):
    return recipe_from({"match": {"file_name": "*.xlsx"}, "read_as": "relations", **keys}, "test-recipe")


# Years over a blank spacer row and a footnote marker column: the crosstab cannot place
# the figures (the header is three rows above them, with notes between), the relations can.
ROWS = [
    ["Offence", "2019/20", "note", "2020/21"],
    [None, "(a)", None, "(b)"],
    [],
    ["Rape U13 (F)", 3, "x", 4],
    ["Sex comms w/ child", 7, None, 9],
    ["Total", 10, None, 13],
]


def test_a_recipe_of_relations_reads_each_figure_by_direction(tmp_path):
    path = write(tmp_path / "reply.xlsx", ROWS)
    r = recipe(figures="B4:B6", relations={"year": "up", "offence": "left"})
    r2 = recipe(figures="D4:D6", relations={"year": "up", "offence": "left"})
    for rec in (r, r2):
        result = read_file(read_workbook(path), file_name=path.name, mappings=[rec])
        # the other year's cells are outside this recipe's figures: reported, never guessed
        assert any("could not tell which labels" in p.message for p in result.problems)
    both = recipe(figures="B4:D6", relations={"year": "up", "offence": "left"})
    result = read_file(read_workbook(path), file_name=path.name, mappings=[both])
    assert any("Data!C4" in p.message for p in result.problems)  # 'x' where a figure should be


def test_relations_with_merged_year_headings_and_a_checked_total(tmp_path):
    path = write(tmp_path / "reply.xlsx", [
        ["", "Financial year 2019/20", None],
        ["Offence", "Girls", "Boys"],
        ["Rape U13 (F)", 3, None],
        ["Sex comms w/ child", 5, 2],
        ["Total", 8, 2],
    ], merges=["B1:C1"])
    # without the split stated, girls and boys look like one figure twice: reported
    r = recipe(figures="B3:C5", relations={"year": "up", "offence": "left"})
    result = read_file(read_workbook(path), file_name=path.name, mappings=[r])
    assert any("same year, offence and age" in p.message for p in result.problems)
    # the sex split stated: each column's Total is its own column's, and adds up
    r = recipe(figures="B3:C5", relations={"year": "up", "offence": "left", "sex": "up"})
    result = read_file(read_workbook(path), file_name=path.name, mappings=[r])
    assert result.problems == []
    got = sorted((o.financial_year, o.offence, o.count.value) for o in result.observations)
    assert got == [("2019/20", "Rape U13 (F)", 3), ("2019/20", "Sex comms w/ child", 2),
                   ("2019/20", "Sex comms w/ child", 5)]
    assert len(result.totals) == 2
    assert any("blank cells left out" in n for n in result.notes)


def test_a_total_that_does_not_add_up_is_caught_under_a_recipe_too(tmp_path):
    path = write(tmp_path / "reply.xlsx", [["Offence", "2019/20"], ["Rape U13 (F)", 3], ["Total", 9]])
    r = recipe(figures="B2:B3", relations={"year": "up", "offence": "left"})
    result = read_file(read_workbook(path), file_name=path.name, mappings=[r])
    assert any("does not match its parts" in p.message for p in result.problems)


@pytest.mark.parametrize("keys, why", [
    ({"relations": {"year": "up"}}, "needs figures"),
    ({"figures": "B2:C3", "relations": {"year": "sideways"}}, "relations must map"),
    ({"figures": "B2:C3", "relations": {"colour": "up"}}, "relations must map"),
])
def test_a_bad_relations_recipe_says_what_is_wrong(keys, why):
    with pytest.raises(ValueError, match=why):
        recipe(**keys)
