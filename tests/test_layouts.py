"""The reader: each layout on sheets built in memory and on real files written here,
and the failures that must quarantine a file rather than load a wrong figure."""
from __future__ import annotations

import csv
from datetime import date, datetime

import pytest

from flows.cells.grid import Cell, MergedRange, Sheet, Workbook
from flows.layouts import CONFIDENT, read_file, read_sheet
from flows.layouts import crosstab, long, mapping, records
from flows.layouts.context import sheet_context
from flows.layouts.mapping import load_mappings, recipe_from


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def make_sheet(rows, *, name="Data", at="A1", merged=(), hidden_rows=(), is_csv=False) -> Sheet:
    """A sheet from a list of rows; `at` is where rows[0][0] goes; blanks are None/''."""
    letters = "".join(ch for ch in at if ch.isalpha())
    r0, c0 = int(at[len(letters):]), col_number(letters)
    sheet = Sheet(name=name, is_csv=is_csv)
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v is None or v == "":
                continue
            r, c = r0 + i, c0 + j
            sheet.cells[(r, c)] = Cell(r, c, v, hidden=r in hidden_rows)
    sheet.merged = [MergedRange(*m) for m in merged]
    return sheet


def read(*sheets: Sheet, file_name="reply.xlsx", mappings=()):
    return read_file(Workbook(path=file_name, file_type="xlsx", sheets=list(sheets)),
                     file_name=file_name, mappings=mappings)


def figures(result) -> dict[tuple, object]:
    """(year, offence, age_min, age_max) -> value (or (lower, upper) when suppressed)."""
    out = {}
    for o in result.observations:
        v = o.count.value if not o.count.suppressed else (o.count.lower, o.count.upper)
        key = (o.financial_year, o.offence, o.age_min, o.age_max)
        assert key not in out, f"two observations for {key}"
        out[key] = v
    return out


def messages(result) -> str:
    return "\n".join(p.message for p in result.problems)


OFFENCE_BY_YEAR = [
    ["Online child sexual offences recorded, by offence"],
    [],
    ["Offence", "2016/17", "2017/18", "2018/19", "Total"],
    ["88A - Sexual grooming", 10, "*", "3", 16],
    ["Sexual communication with a child", 5, 6, "1,234", 1245],
    ["19E", 1, 2, 3, 6],
    ["Total", 16, 11, 1240, 1267],
    [],
    ["* denotes a figure between 1 and 4, suppressed to protect identities"],
    ["Source: Niche RMS"],
    ["Data extracted 12/05/2017"],
]


# --------------------------------------------------------------------- crosstabs

def test_offence_by_year_with_merged_title_totals_and_footnotes_from_b2():
    sheet = make_sheet(OFFENCE_BY_YEAR, at="B2", merged=[(2, 2, 2, 6)])
    result = read(sheet)
    assert result.problems == []
    assert result.layout == "crosstab"
    assert figures(result) == {
        ("2016/17", "88A - Sexual grooming", None, None): 10,
        ("2017/18", "88A - Sexual grooming", None, None): (1, 4),
        ("2018/19", "88A - Sexual grooming", None, None): 3,
        ("2016/17", "Sexual communication with a child", None, None): 5,
        ("2017/18", "Sexual communication with a child", None, None): 6,
        ("2018/19", "Sexual communication with a child", None, None): 1234,
        ("2016/17", "19E", None, None): 1,
        ("2017/18", "19E", None, None): 2,
        ("2018/19", "19E", None, None): 3,
    }
    by_source = {o.source: o for o in result.observations}
    assert by_source["Data!D5"].count.raw == "*" and by_source["Data!D5"].count.value is None
    assert by_source["Data!E6"].count.value == 1234
    assert {o.table for o in result.observations} == {"Data!B4:F8"}
    # totals are kept apart, never among the figures
    totals = {o.source: o for o in result.totals}
    assert totals["Data!F8"].count.value == 1267
    assert totals["Data!C8"].financial_year == "2016/17" and totals["Data!C8"].offence == "Total"
    assert totals["Data!F5"].financial_year == "2016/17 to 2018/19"
    assert len(result.totals) == 7
    assert sum(o.count.value or 0 for o in result.observations) == 1264


def test_wrong_total_is_a_problem_naming_the_cell():
    rows = [r[:] for r in OFFENCE_BY_YEAR]
    rows[6] = ["Total", 17, 11, 1240, 1267]  # 10 + 5 + 1 is 16
    result = read(make_sheet(rows, at="B2"))
    assert "the total at Data!C8 (17) does not match its parts" in messages(result)
    assert "add up to 16" in messages(result)


def test_suppressed_parts_make_the_total_a_range():
    ok = make_sheet([["Offence", "2016/17"], ["88A", 10], ["19D", "*"], ["Total", 14]])
    assert read(ok).problems == []  # 10 + (1..4) may be 14
    too_big = make_sheet([["Offence", "2016/17"], ["88A", 10], ["19D", "*"], ["Total", 15]])
    assert "between 11 and 14" in messages(read(too_big))


def test_age_by_year_with_stars_and_the_footnote_bounds():
    sheet = make_sheet([
        ["Age of victim", "2016/17", "2017/18", "Total"],
        ["Under 1", 1, "*", 3],
        [13, "5", 6, 11],
        ["14 yrs", "*", 2, 4],
        ["Not recorded", 2, 3, 5],
        [],
        ["* = between 1 and 9, suppressed"],
    ], name="Ages")
    result = read(sheet)
    assert result.problems == []
    f = figures(result)
    assert f[("2017/18", None, 0, 0)] == (1, 9)  # the footnote's bounds, not the default 1-4
    assert f[("2016/17", None, 13, 13)] == 5
    assert f[("2016/17", None, 14, 14)] == (1, 9)
    assert f[("2016/17", None, None, None)] == 2  # age not recorded
    assert all(o.offence is None for o in result.observations)
    assert 0 not in [o.count.value for o in result.observations if o.count.suppressed]


def test_one_sheet_per_year_with_the_year_in_the_sheet_name_and_subtotals():
    def year_sheet(name, grooming):
        return make_sheet([
            ["Online child sexual offences by age of victim"],
            [],
            ["Offence", "Under 13", "13-15", "16-17", "Total"],
            ["Rape of a female child under 13", 3, None, None, 3],
            ["Rape of a female aged under 16", None, 4, "<5", 6],
            ["Rape - total", 3, 4, 2, 9],
            ["88A", 1, 2, grooming, 3 + grooming],
            ["Total", 4, 6, 2 + grooming, 12 + grooming],
        ], name=name)

    result = read(year_sheet("2016-17", 3), year_sheet("FY 2017-18", 5),
                  make_sheet([["Notes"], ["These figures are provisional."]], name="Notes"))
    assert result.problems == []
    f = figures(result)
    assert f[("2016/17", "88A", 16, 17)] == 3
    assert f[("2017/18", "88A", 16, 17)] == 5
    assert f[("2016/17", "Rape of a female aged under 16", 16, 17)] == (1, 4)
    assert ("2016/17", "Rape - total", 0, 12) not in f
    assert result.sheets == {"2016-17": "crosstab", "FY 2017-18": "crosstab", "Notes": "skipped: no figures"}
    assert any("'2016-17'!C4" in n and "not read as 0" in n for n in result.notes)
    assert not any(o.count.value == 0 for o in result.observations)
    assert {o.table for o in result.observations} == {"'2016-17'!A3:E8", "'FY 2017-18'!A3:E8"}


def test_wrong_subtotal_is_a_problem():
    sheet = make_sheet([
        ["Offence", "2016/17"],
        ["19E", 3],
        ["19D", 4],
        ["Rape - total", 8],
        ["88A", 2],
        ["Sub-total", 2],
        ["Total", 10],
    ])
    assert "the total at Data!B4 (8) does not match its parts: its 2 parts add up to 7" in messages(read(sheet))


@pytest.mark.parametrize("title", ["Financial year 2016/17", "April 2016 to March 2017", "FY 2016/17 (Apr-Mar)"])
def test_year_from_a_title_line(title):
    sheet = make_sheet([[title], [], ["Offence", "Under 13", "13-15"], ["88A", 1, 2]], name="Sheet1")
    result = read(sheet)
    assert result.problems == []
    assert figures(result) == {("2016/17", "88A", 0, 12): 1, ("2016/17", "88A", 13, 15): 2}


def test_stacked_tables_take_the_year_of_their_own_title():
    sheet = make_sheet([
        ["Financial year 2016/17"], ["Offence", "Under 13", "13-15"], ["88A", 1, 2], [],
        ["Financial year 2017/18"], ["Offence", "Under 13", "13-15"], ["88A", 3, 4],
    ])
    f = figures(read(sheet))
    assert f == {("2016/17", "88A", 0, 12): 1, ("2016/17", "88A", 13, 15): 2,
                 ("2017/18", "88A", 0, 12): 3, ("2017/18", "88A", 13, 15): 4}


def test_years_over_ages_in_two_header_rows_with_merged_years():
    sheet = make_sheet([
        [None, "2016/17", None, None, "2017/18", None, "Total"],
        ["Offence", "Under 13", "13-15", "16-17", "Under 13", "13-15", None],
        ["19E Rape of a female child under 13", "2", None, None, 1, None, 3],
        ["Sexual grooming", "12", "1,000", "*", 3, 4, 1020],
        ["Total", 14, 1000, "*", 4, 4, 1023],
    ], merged=[(1, 2, 1, 4), (1, 5, 1, 6), (1, 7, 2, 7)])
    result = read(sheet)
    assert result.problems == []
    f = figures(result)
    assert f[("2016/17", "Sexual grooming", 13, 15)] == 1000
    assert f[("2016/17", "Sexual grooming", 16, 17)] == (1, 4)
    assert f[("2017/18", "Sexual grooming", 13, 15)] == 4
    assert f[("2017/18", "19E Rape of a female child under 13", 0, 12)] == 1
    assert len(f) == 7  # blank cells are left out, never 0


def test_ages_written_as_numbers_under_a_merged_age_heading():
    sheet = make_sheet([[None, "Age of victim", None, None], ["Offence", 13, 14, 15], ["88A", 4, 5, 6]],
                       name="2016-17", merged=[(1, 2, 1, 4)])
    assert figures(read(sheet)) == {("2016/17", "88A", 13, 13): 4, ("2016/17", "88A", 14, 14): 5,
                                    ("2016/17", "88A", 15, 15): 6}


def test_code_and_description_columns_and_a_group_column():
    sheet = make_sheet([
        ["Group", "HO code", "Offence", "Under 13", "13-15"],
        ["Rape", "19E", "Rape of a female child under 13", 1, None],
        [None, "19D", "Rape of a female aged under 16", None, 2],
        ["Grooming", "88A", "Sexual grooming", 1, 2],
        ["Total", None, None, 2, 4],
    ], name="2016-17", merged=[(2, 1, 3, 1)])
    result = read(sheet)
    assert result.problems == []
    assert set(figures(result)) == {
        ("2016/17", "19E - Rape of a female child under 13", 0, 12),
        ("2016/17", "19D - Rape of a female aged under 16", 13, 15),
        ("2016/17", "88A - Sexual grooming", 0, 12),
        ("2016/17", "88A - Sexual grooming", 13, 15),
    }


def test_adult_ages_are_dropped_with_a_note_but_still_checked_against_the_total():
    sheet = make_sheet([["Age", "2016/17"], ["16", 2], ["17", 3], ["18", 4], ["Total", 9]])
    result = read(sheet)
    assert result.problems == []  # 2 + 3 + 4 = 9: the adult row is part of the total
    assert figures(result) == {("2016/17", None, 16, 16): 2, ("2016/17", None, 17, 17): 3}
    assert any("Data!B4" in n and "18 or over" in n for n in result.notes)


def test_a_measure_row_without_a_dimension():
    result = read(make_sheet([[None, "2016/17", "2017/18"], ["Number of offences", 4, 5]]))
    assert figures(result) == {("2016/17", None, None, None): 4, ("2017/18", None, None, None): 5}


def test_years_down_and_ages_across():
    result = read(make_sheet([["Year", "Under 13", "13-15", "16-17", "Total"],
                              ["2016/17", 1, 2, 3, 6], ["2017/18", 4, 5, "*", 10]]))
    assert result.problems == []
    assert figures(result)[("2017/18", None, 16, 17)] == (1, 4)
    assert len(result.observations) == 6 and len(result.totals) == 2


def test_offences_across_and_years_down():
    result = read(make_sheet([[None, "88A", "19D", "86"], ["2016/17", 1, 2, 3], ["2017/18", 4, 5, 6]]))
    assert result.problems == []
    assert figures(result)[("2017/18", "19D", None, None)] == 5


def test_a_single_total_row_under_the_years_is_the_count():
    result = read(make_sheet([[None, "2016/17", "2017/18"], ["Total", 5, 6]]))
    assert result.problems == []
    assert figures(result) == {("2016/17", None, None, None): 5, ("2017/18", None, None, None): 6}


def test_footnotes_anywhere_under_the_table_and_labelled_rows_without_figures():
    result = read(make_sheet([
        ["Offence", "2016/17", "2017/18"],
        ["88A", 1, 2],
        ["Sexual activity involving a child under 13"],
        ["19D", 3, 4],
        [None, "* denotes a figure between 1 and 4 (suppressed)"],
    ]))
    assert result.problems == []
    assert len(result.observations) == 4
    assert any("Data!A3" in n and "not read as 0" in n for n in result.notes)


# ---------------------------------------------------------------- crosstab failures

def test_calendar_years_across_are_a_problem_and_no_figures():
    result = read(make_sheet([["Offence", "2016", "2017"], ["88A", 1, 2]]))
    assert "calendar years, not financial years: Data!B1:C1" in messages(result)
    assert result.observations == []


@pytest.mark.parametrize("sheet_name, title", [("2016", None), ("Data", "Calendar year 2016"), ("Data", "Jan-Dec 2016")])
def test_calendar_year_in_the_sheet_name_or_title(sheet_name, title):
    rows = ([[title], []] if title else []) + [["Offence", "Under 13", "13-15"], ["88A", 1, 2]]
    result = read(make_sheet(rows, name=sheet_name))
    assert "calendar years, not financial years" in messages(result)
    assert result.observations == []


def test_unknown_row_label_is_a_problem_naming_the_cell():
    result = read(make_sheet([["Offence", "2016/17", "2017/18"], ["88A", 1, 2], ["Burglary", 3, 4]]))
    assert "row label 'Burglary' at Data!A3 is neither an offence, a total, an age nor a year" in messages(result)


def test_code_and_description_that_disagree_is_a_problem():
    result = read(make_sheet([["Offence", "2016/17"], ["88E - Sexual communication with a child", 1]]))
    assert "Data!A2" in messages(result) and "disagree" in messages(result)


def test_ambiguous_grid_is_a_problem_naming_the_range():
    result = read(make_sheet([[None, None, None], [None, 1, 2], [None, 3, 4]], name="Data"))
    assert "could not tell which labels the numbers in Data!B2:C3 belong to" in messages(result)
    assert result.observations == []


def test_numbers_beside_the_table_are_a_problem():
    result = read(make_sheet([["Offence", "2016/17", "2017/18", "Outcomes"], ["88A", 1, 2, 1], ["19D", 3, 4, 1]]))
    assert "column heading 'Outcomes' at Data!D1 is not a year, an age, an offence or a total" in messages(result)
    assert "Data!D2:D3" in messages(result)
    # a single year column with figures beside it: still a problem, never a guess
    result = read(make_sheet([["Offence", "2016/17", None, "Outcomes"], ["88A", 1, None, 5]]))
    assert "could not tell which labels the numbers" in messages(result)


def test_a_column_of_shares_or_rates_is_not_counted():
    # '% change' and 'Rate per 1,000' are derived from the counts: left out, and said so
    result = read(make_sheet([["Offence", "2016/17", "2017/18", "% change", "Rate per 1,000"],
                              ["88A", 1, 2, 1.0, 0.01], ["19D", 3, 4, 0.3, 0.02]]))
    assert result.problems == []
    assert sum(o.count.value for o in result.observations) == 10
    assert "column '% change' at Data!D1 holds shares, rates" in " ".join(result.notes)


def test_no_financial_year_anywhere_is_a_problem():
    result = read(make_sheet([["Offence", "Under 13", "13-15"], ["88A", 1, 2]], name="Sheet1"))
    assert "no financial year" in messages(result)
    assert result.observations == []


def test_title_naming_one_offence_over_a_table_without_offences_is_a_problem():
    result = read(make_sheet([["Sexual grooming offences by age"], ["Age", "2016/17"], ["13", 4], ["14", 1]]))
    assert "names one offence" in messages(result)


def test_dash_is_nil_only_when_a_footnote_says_so():
    rows = [["Offence", "2016/17", "2017/18"], ["88A", "-", 2], ["19D", 3, 4]]
    assert "'-' could mean nil" in messages(read(make_sheet(rows)))
    result = read(make_sheet(rows + [[], ["'-' denotes nil"]]))
    assert result.problems == []
    assert figures(result)[("2016/17", "88A", None, None)] == 0


def test_text_where_a_figure_should_be_is_a_problem():
    result = read(make_sheet([["Offence", "2016/17", "2017/18"], ["88A", "n/a", 2], ["19D", 3, 12.5]]))
    text = messages(result)
    # 'n/a' with no stated total to show the year is complete without it, and a fraction
    assert "Data!B2 says 'n/a'" in text and "Data!C3" in text


def test_a_mixed_age_band_is_a_problem():
    result = read(make_sheet([["Offence", "Under 16", "16-20"], ["88A", 1, 2]], name="2016-17"))
    assert "mixes children and adults" in messages(result)


def test_a_group_row_without_its_offences_is_not_taken_for_a_total():
    # 'Exploitation' (a group) with figures but no exploitation offence listed: read as a
    # total, its 5 would vanish
    result = read(make_sheet([["Offence", "2016/17"], ["Exploitation", 5], ["Sexual grooming", 6]]))
    assert "Data!B2 (5) is labelled as a total but covers no figure" in messages(result)


def test_rape_alone_is_the_act_offence_not_a_group_heading():
    # SOA 2003 s.1 'Rape' beside 'Rape of a child under 13' (s.5): two offences, and the
    # stated total says so
    result = read(make_sheet([["Offence", "2016/17"], ["Rape", 5], ["Rape of a child under 13", 2], ["Total", 7]]))
    assert not result.problems
    assert sum(o.count.value for o in result.observations) == 7


def test_the_same_figure_twice_is_a_problem():
    result = read(make_sheet([["Offence", "2016/17"], ["88A", 1], ["Sexual grooming", 2]]))
    assert "same year, offence and age" in messages(result)


# -------------------------------------------------------------------------- long

def test_long_table_header_spellings_and_offence_forms():
    sheet = make_sheet([
        ["FY", "Offence (HO code)", "Age Group", "No. of crimes"],
        ["2016/17", "88A - Sexual grooming", "13-15", 5],
        ["2016/17", "88A", "Under 13", "*"],
        ["2017/18", "19D Rape of a female aged under 16", "Not known", "1,234"],
        ["2017/18", "Sexual grooming", "25", 3],
        [],
        ["Source: Niche RMS"],
    ], name="Sheet1")
    result = read(sheet)
    assert result.problems == []
    assert result.layout == "long"
    assert figures(result) == {
        ("2016/17", "88A - Sexual grooming", 13, 15): 5,
        ("2016/17", "88A", 0, 12): (1, 4),
        ("2017/18", "19D Rape of a female aged under 16", None, None): 1234,
    }
    assert {o.source for o in result.observations} == {"Sheet1!D2", "Sheet1!D3", "Sheet1!D4"}
    assert any("Sheet1!D5" in n for n in result.notes)


def test_long_table_with_the_year_from_the_sheet_name_and_a_total_row():
    sheet = make_sheet([["Age", "Number of offences"], ["Under 13", 4], ["13-15", "<5"], ["Total", 7]],
                       name="2016-17")
    result = read(sheet)
    assert result.problems == []
    assert figures(result) == {("2016/17", None, 0, 12): 4, ("2016/17", None, 13, 15): (1, 4)}
    assert [o.count.value for o in result.totals] == [7]


def test_long_table_failures():
    result = read(make_sheet([
        ["Year", "Offence", "Victim Age", "Count"],
        ["2016", "88A", "13", 5],
        ["2016/17", "Burglary", "13", 5],
        ["2016/17", "88A", "13", "-"],
        ["2016/17", "88A", "14", 1],
        ["2016/17", "88A", "14", 2],
    ]))
    text = messages(result)
    assert "calendar years, not financial years: '2016' at Data!A2" in text
    assert "offence 'Burglary' at Data!B3 is not recognised" in text
    assert "Data!D4" in text
    assert "same year, offence and age" in text


def test_long_csv_names_lines():
    sheet = make_sheet([["Financial Year", "Offence", "Victim Age", "Number of Offences"],
                        ["2016/17", "88A", "13", "5"]], name="reply.csv", is_csv=True)
    result = read(sheet, file_name="reply.csv")
    assert [o.source for o in result.observations] == ["line 2, column D"]
    assert result.observations[0].table == "lines 1-2"


# ----------------------------------------------------------------------- records

RECORDS = [
    ["Online child sexual offences - crime records"],
    ["Data extracted on 12/05/2017"],
    [],
    ["Crime Reference", "Date Recorded", "Offence", "Victim Age"],
    ["CR/1", datetime(2016, 4, 1, 9, 30), "88A", 13],
    ["CR/2", 42825, "Sexual grooming", "Not recorded"],  # Excel serial: 31 March 2017
    ["CR/3", "01/04/2017", "19D", ""],
    ["CR/4", "1 April 2016", "19D", 19],
    ["CR/5", "01-Apr-16", "19D", "12"],
    ["CR/6", "2016-04-01", "88A - Sexual communication with a child", "15 yrs"],
    ["CR/7", date(2017, 3, 31), "21", "Under 1"],
]


def test_records_with_preamble_and_every_date_form():
    result = read(make_sheet(RECORDS, name="Records"))
    assert result.problems == []
    assert result.layout == "records"
    got = sorted((o.source, o.financial_year, o.offence, o.age_min, o.age_max, o.count.value)
                 for o in result.observations)
    assert got == [
        ("Records!A10:D10", "2016/17", "88A - Sexual communication with a child", 15, 15, 1),
        ("Records!A11:D11", "2016/17", "21", 0, 0, 1),
        ("Records!A5:D5", "2016/17", "88A", 13, 13, 1),
        ("Records!A6:D6", "2016/17", "Sexual grooming", None, None, 1),
        ("Records!A7:D7", "2017/18", "19D", None, None, 1),
        ("Records!A9:D9", "2016/17", "19D", 12, 12, 1),
    ]
    assert any("Records!A8:D8" in n and "18 or over" in n for n in result.notes)


def test_records_failures():
    rows = RECORDS[:4] + [
        ["CR/1", "31/02/2017", "88A", 13],
        ["CR/2", "01/04/2016", "Burglary", 13],
        ["CR/3", "01/04/2016", "88A", "sixteen"],
        ["CR/4", "01/04/2016", "88A", 14],
        ["CR/4", "01/04/2016", "88A", 14],
    ]
    text = messages(read(make_sheet(rows, name="Records")))
    assert "'31/02/2017' at Records!B5 is not a date" in text
    assert "Burglary" in text and "Records!C6" in text
    assert "'sixteen' at Records!D7 is not a victim age" in text
    assert "Records!A9:D9 repeats the record in row 8" in text


def test_records_total_line_is_checked():
    rows = RECORDS[:6] + [[], ["Total records: 3"]]
    assert "does not match its parts" in messages(read(make_sheet(rows, name="Records")))
    rows = RECORDS[:6] + [[], ["Total records: 2"]]
    assert read(make_sheet(rows, name="Records")).problems == []


# ---------------------------------------------------------------------- read_file

def test_hidden_sheets_are_not_read_and_not_quoted():
    secret = make_sheet([["Name", "Age"], ["Jane Doe", 13]], name="Victims")
    secret.hidden = True
    result = read(make_sheet(OFFENCE_BY_YEAR, at="B2"), secret)
    assert result.problems == []
    assert result.sheets["Victims"] == "skipped: hidden"
    assert any("Victims" in n for n in result.notes)
    assert not any("Jane" in n for n in result.notes)


def test_hidden_rows_are_left_out_and_noted():
    sheet = make_sheet([["Offence", "2016/17"], ["88A", 1], ["19D", 2], ["Total", 3]], hidden_rows=(3,))
    result = read(sheet)
    assert figures(result) == {("2016/17", "88A", None, None): 1}
    assert any("hidden rows" in n for n in result.notes)
    assert "does not match its parts" in messages(result)  # the hidden row is missing from the sum


def test_two_layouts_that_disagree_are_a_problem():
    sheet = make_sheet([
        ["Financial Year", "Offence", "Count"],
        ["2016/17", "88A", 5],
        [],
        ["Offence", "2016/17", "2017/18"],
        ["88A", 1, 2],
    ])
    context = sheet_context(sheet, "reply.xlsx")
    assert long.read(sheet, context).confidence >= CONFIDENT
    assert crosstab.read(sheet, context).confidence >= CONFIDENT
    assert "reads two ways" in messages(read(sheet))


def test_each_layout_says_not_mine():
    letter = make_sheet([["Dear requester"], ["Please find our response attached."]])
    context = sheet_context(letter, "reply.xlsx")
    for layout in (long, records, crosstab, mapping):
        assert layout.read(letter, context) is None
    table = make_sheet(OFFENCE_BY_YEAR, at="B2")
    context = sheet_context(table, "reply.xlsx")
    assert long.read(table, context) is None
    assert records.read(table, context) is None
    assert read_sheet(table, context).layout == "crosstab"


def test_a_recipe_wins_and_says_so():
    recipes = load_mappings()
    sheet = make_sheet([["Offence", "Victim Age", "Qty"], ["Online grooming", "13", "-"], ["19D", "14", "*"]],
                       name="Sheet1")
    unmapped = read(sheet, file_name="other.xlsx", mappings=recipes)
    assert unmapped.problems and unmapped.observations == []
    result = read(sheet, file_name="Example-Force-2017.xlsx", mappings=recipes)
    assert result.problems == []
    assert result.layout == "mapping:example-force-2017"
    assert figures(result) == {("2016/17", "88A - Sexual grooming", 13, 13): 0, ("2016/17", "19D", 14, 14): (1, 9)}
    assert {o.source for o in result.observations} == {"Sheet1!C2", "Sheet1!C3"}


def test_recipe_table_range_and_bad_recipes():
    recipe = recipe_from({"match": {"file_name": "*.xlsx"}, "read_as": "crosstab", "table": "A3:C4",
                          "financial_year": "2016-17"}, "t")
    sheet = make_sheet([["Figures for 2015"], [1, 2, 3], ["Offence", "Under 13", "13-15"], ["88A", 1, 2]])
    result = read(sheet, mappings=[recipe])
    assert result.problems == []
    assert figures(result) == {("2016/17", "88A", 0, 12): 1, ("2016/17", "88A", 13, 15): 2}
    for bad in ({"read_as": "long"}, {"match": {"file_name": "*"}, "read_as": "pivot"},
                {"match": {"file_name": "*"}, "read_as": "long", "financial_year": "2016"},
                {"match": {"file_name": "*"}, "read_as": "long", "headers": {"amount": ["x"]}},
                {"match": {"file_name": "*"}, "read_as": "long", "colour": "red"}):
        with pytest.raises(ValueError):
            recipe_from(bad, "bad")


# ---------------------------------------------------------------- real files

def _read_workbook():
    cells = pytest.importorskip("flows.cells", reason="flows.cells (the file readers) is not written yet")
    if not hasattr(cells, "read_workbook"):
        pytest.skip("flows.cells.read_workbook is not written yet")
    return cells.read_workbook


def test_real_xlsx_offence_by_year_from_b4(tmp_path):
    read_workbook = _read_workbook()
    from openpyxl import Workbook as XL

    wb = XL()
    ws = wb.active
    ws.title = "Data"
    ws["B2"] = "Online child sexual offences recorded, by offence"
    ws.merge_cells("B2:F2")
    table = [r for r in OFFENCE_BY_YEAR[2:] if r]
    for i, row in enumerate(table[:5]):
        for j, v in enumerate(row):
            ws.cell(row=4 + i, column=2 + j, value=v)
    ws["B11"] = "* denotes a figure between 1 and 4, suppressed to protect identities"
    notes = wb.create_sheet("Notes")
    notes["A1"] = "These figures are provisional."
    hidden = wb.create_sheet("Working")
    hidden["A1"] = 99
    hidden.sheet_state = "hidden"
    path = tmp_path / "reply.xlsx"
    wb.save(path)

    result = read_file(read_workbook(path), file_name=path.name, mappings=[])
    assert result.problems == []
    assert figures(result)[("2018/19", "Sexual communication with a child", None, None)] == 1234
    assert figures(result)[("2017/18", "88A - Sexual grooming", None, None)] == (1, 4)
    assert {o.source for o in result.observations} >= {"Data!C5", "Data!E6"}
    assert result.sheets["Notes"] == "skipped: no figures"
    assert result.sheets["Working"] == "skipped: hidden"


def test_real_csv_long(tmp_path):
    read_workbook = _read_workbook()
    path = tmp_path / "reply.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Financial Year", "Offence", "Victim Age", "Number of Offences"])
        w.writerow(["2016/17", "88A - Sexual grooming", "13", "5"])
        w.writerow(["2016/17", "19D", "16-17", "*"])
        w.writerow(["2017/18", "19D", "Unknown", "1,234"])
    result = read_file(read_workbook(path), file_name=path.name, mappings=[])
    assert result.problems == []
    assert figures(result) == {("2016/17", "88A - Sexual grooming", 13, 13): 5,
                               ("2016/17", "19D", 16, 17): (1, 4),
                               ("2017/18", "19D", None, None): 1234}


def test_real_xlsx_records_with_real_dates(tmp_path):
    read_workbook = _read_workbook()
    from openpyxl import Workbook as XL

    wb = XL()
    ws = wb.active
    ws.title = "Records"
    for row in RECORDS:
        ws.append(row)
    path = tmp_path / "records.xlsx"
    wb.save(path)
    result = read_file(read_workbook(path), file_name=path.name, mappings=[])
    assert result.problems == []
    years = sorted(o.financial_year for o in result.observations)
    assert years == ["2016/17"] * 5 + ["2017/18"]


def test_real_xlsx_one_sheet_per_year(tmp_path):
    read_workbook = _read_workbook()
    from openpyxl import Workbook as XL

    wb = XL()
    wb.remove(wb.active)
    for name, n in (("2016-17", 1), ("2017-18", 2)):
        ws = wb.create_sheet(name)
        ws.append(["Offence", "Under 13", "13-15", "16-17", "Total"])
        ws.append(["88A", n, "12", "*", None])
        ws.append(["19D", 0, 1, 2, 3])
    path = tmp_path / "years.xlsx"
    wb.save(path)
    result = read_file(read_workbook(path), file_name=path.name, mappings=[])
    assert result.problems == []
    f = figures(result)
    assert f[("2016/17", "88A", 0, 12)] == 1 and f[("2017/18", "88A", 0, 12)] == 2
    assert f[("2017/18", "19D", 0, 12)] == 0


def test_real_csv_age_by_year_with_stars_and_a_preamble(tmp_path):
    read_workbook = _read_workbook()
    path = tmp_path / "ages.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Online child sexual offences by age of victim"])
        w.writerow([])
        w.writerow(["Age", "2016/17", "2017/18", "Total"])
        w.writerow(["Under 13", "12", "*", ""])
        w.writerow(["13-15", "1,001", "7", "1,008"])
        w.writerow(["Total", "1,013", "10", ""])
        w.writerow(["* denotes a figure between 1 and 4"])
    result = read_file(read_workbook(path), file_name=path.name, mappings=[])
    assert result.problems == []
    f = figures(result)
    assert f == {("2016/17", None, 0, 12): 12, ("2017/18", None, 0, 12): (1, 4),
                 ("2016/17", None, 13, 15): 1001, ("2017/18", None, 13, 15): 7}
    assert {o.source for o in result.observations} == {"line 4, column B", "line 4, column C",
                                                       "line 5, column B", "line 5, column C"}


def test_real_xlsx_records_with_serial_dates_and_a_total_line(tmp_path):
    read_workbook = _read_workbook()
    from openpyxl import Workbook as XL

    wb = XL()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["Crime No", "Recorded Date", "HO Code", "Offence Description", "Age of Victim"])
    ws.append([101, 42825, "88A", "Sexual grooming", "14"])  # a serial in General format: 31/03/2017
    ws.append([102, 42826, "19D", "Rape of a female aged under 16", None])  # 01/04/2017
    ws.append([])
    ws.append(["Total", 2])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    result = read_file(read_workbook(path), file_name=path.name, mappings=[])
    assert result.problems == []
    got = sorted((o.financial_year, o.offence, o.age_min, o.source) for o in result.observations)
    assert got == [("2016/17", "88A - Sexual grooming", 14, "Sheet1!A2:E2"),
                   ("2017/18", "19D - Rape of a female aged under 16", None, "Sheet1!A3:E3")]
