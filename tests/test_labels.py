"""Labels: every spelling of docs/reply-layouts.md, and the ones that must NOT be read."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from flows import labels
from flows.labels import (
    ADULT, BAND, EXACT, MIXED, NEGATIVE, NOT_AGE, UNKNOWN, age, count, financial_year,
    financial_year_of, financial_years_in, is_calendar_year, is_total, match_offence,
    offence_code, parse_date, total_label,
)
from flows.observations import Count, Problem

# ----------------------------------------------------------------- financial years


@pytest.mark.parametrize("text", [
    "2016/17", "2016-17", "2016/2017", "2016-2017", "FY16/17", "FY 2016/17", "Apr 16 - Mar 17",
    "April 2016 to March 2017", "01/04/2016 - 31/03/2017", "2016/17 (Apr-Mar)", "2016 - 17",
    "FY2016-17", "fy 16-17", "Financial year 2016/17", "1 April 2016 to 31 March 2017",
    "Apr-16 to Mar-17", "2016\u201317", " 2016/17 ", "2016-04-01 to 2017-03-31",
])
def test_financial_year_spellings(text):
    assert financial_year(text) == "2016/17"


def test_financial_year_from_a_pair_of_dates():
    assert financial_year((date(2016, 4, 1), date(2017, 3, 31))) == "2016/17"
    assert financial_year((datetime(2018, 4, 1), datetime(2019, 3, 31, 23, 59))) == "2018/19"
    assert financial_year((date(2016, 1, 1), date(2016, 12, 31))) is None


def test_century_boundary():
    assert financial_year("1999/00") == "1999/00"
    assert financial_year("2099/2100") == "2099/00"


@pytest.mark.parametrize("text", [
    "16-17",  # an age band, never a year
    "16/17", "2016", 2016, 2016.0, "2016-18", "2016/15", "2016/2018", "Jan-Dec 2016",
    "2016 calendar year", "Apr 16 - Sep 16", "01/04/2016 - 30/03/2017", "01/01/2016 - 31/12/2016",
    "Total", "", None, date(2016, 4, 1), "13-15",
])
def test_not_financial_years(text):
    assert financial_year(text) is None


@pytest.mark.parametrize("text", [
    "2016", 2016, 2016.0, "Jan-Dec 2016", "January to December 2016", "2016 calendar year",
    "Calendar year 2016", "Jan 2016 - Dec 2016", "01/01/2016 - 31/12/2016", "CY 2016",
])
def test_calendar_years(text):
    assert is_calendar_year(text)


@pytest.mark.parametrize("text", ["2016/17", "16-17", "Total", 13, 1985, True, None, "Apr 16 - Mar 17"])
def test_not_calendar_years(text):
    assert not is_calendar_year(text)


def test_financial_years_inside_a_title():
    assert financial_years_in("Online child sexual offences, financial year 2016/17") == ["2016/17"]
    assert financial_years_in("Recorded April 2016 to March 2017") == ["2016/17"]
    assert financial_years_in("2016/17 to 2018/19") == ["2016/17", "2018/19"]
    assert financial_years_in("Data extracted 12/05/2017") == []
    assert financial_years_in("Victims aged 16-17") == []


@pytest.mark.parametrize("d, fy", [
    (date(2017, 3, 31), "2016/17"), (date(2017, 4, 1), "2017/18"), (date(2016, 4, 1), "2016/17"),
    (date(2016, 12, 31), "2016/17"), (date(2017, 1, 1), "2016/17"), (date(1999, 6, 1), "1999/00"),
])
def test_financial_year_of(d, fy):
    assert financial_year_of(d) == fy


# ---------------------------------------------------------------------------- dates


@pytest.mark.parametrize("value", [
    "01/04/2016", "1/4/2016", "01/04/16", "2016-04-01", "1 April 2016", "01-Apr-16", "1-Apr-2016",
    "01 Apr 2016", "1st April 2016", "01.04.2016", "2016-04-01 00:00:00", "01/04/2016 10:32",
    datetime(2016, 4, 1, 10, 32), date(2016, 4, 1), "April 1, 2016",
])
def test_dates_are_day_first(value):
    assert parse_date(value) == date(2016, 4, 1)


def test_excel_serials_only_when_the_caller_says_so():
    assert parse_date(42461) is None
    assert parse_date(42461, serial=True) == date(2016, 4, 1)
    assert parse_date(42825.75, serial=True) == date(2017, 3, 31)
    assert parse_date("42461", serial=True) == date(2016, 4, 1)
    assert parse_date("42461") is None


@pytest.mark.parametrize("value", ["31/02/2016", "13/13/2016", "not a date", "", None, True, "2016", 3.5])
def test_not_dates(value):
    assert parse_date(value) is None


def test_day_first_not_month_first():
    assert parse_date("03/04/2016") == date(2016, 4, 3)
    assert parse_date("12/05/2017") == date(2017, 5, 12)


# ----------------------------------------------------------------------------- ages


@pytest.mark.parametrize("value, kind, lo, hi", [
    ("13", EXACT, 13, 13), (13, EXACT, 13, 13), (13.0, EXACT, 13, 13), ("13 yrs", EXACT, 13, 13),
    ("13 years", EXACT, 13, 13), ("Aged 13", EXACT, 13, 13), ("Under 1", EXACT, 0, 0), (0, EXACT, 0, 0),
    ("0-4", BAND, 0, 4), ("5 - 9", BAND, 5, 9), ("10 to 12", BAND, 10, 12), ("13-15", BAND, 13, 15),
    ("16-17", BAND, 16, 17), ("0 to 10", BAND, 0, 10), ("Under 10", BAND, 0, 9),
    ("Under 18", BAND, 0, 17), ("16-17 years", BAND, 16, 17), ("Aged 13-15", BAND, 13, 15),
    ("5\u20139", BAND, 5, 9), ("13 - 13", EXACT, 13, 13),
])
def test_child_ages(value, kind, lo, hi):
    a = age(value)
    assert (a.kind, a.min, a.max) == (kind, lo, hi)
    assert a.is_child


@pytest.mark.parametrize("value", ["Unknown", "Not recorded", "Not known", "N/K", "", None, "  ", "unknown age"])
def test_unknown_ages(value):
    a = age(value)
    assert a.kind == UNKNOWN and a.min is None and a.max is None and not a.is_child


@pytest.mark.parametrize("value, kind", [
    (18, ADULT), ("18", ADULT), ("25 years", ADULT), ("18+", ADULT), ("18-24", ADULT), ("Adult", ADULT),
    (-1, NEGATIVE), ("-3", NEGATIVE), ("16-20", MIXED), ("16+", MIXED),
])
def test_ages_that_are_not_loaded(value, kind):
    a = age(value)
    assert a.kind == kind and not a.is_child


@pytest.mark.parametrize("value", ["2016-17", "2016/17", "2016", 2016, "Total", "Sexual grooming", 13.5, True, "17-13"])
def test_not_ages(value):
    assert age(value).kind == NOT_AGE


def test_band_and_year_are_told_apart():
    assert age("16-17").kind == BAND and financial_year("16-17") is None
    assert age("2016-17").kind == NOT_AGE and financial_year("2016-17") == "2016/17"


# ---------------------------------------------------------------------------- counts


@pytest.mark.parametrize("value, n", [
    (12, 12), (0, 0), ("12", 12), (" 12 ", 12), (12.0, 12), ("12.0", 12), ("1,234", 1234),
    ("12,345,678", 12345678), ("45 (a)", 45), ("17~", 17), ("2*", 2), ("12 [note 3]", 12), ("12 [3]", 12),
    ("7\u2020", 7), ("0", 0), ("Nil", 0),
])
def test_known_counts(value, n):
    c = count(value)
    assert isinstance(c, Count) and c.value == n and c.lower == c.upper == n and not c.suppressed


@pytest.mark.parametrize("marker, lo, hi", [
    ("*", 1, 4), ("**", 1, 4), ("<5", 1, 4), ("< 5", 1, 4), ("1-4", 1, 4), ("1 - 4", 1, 4), ("1 to 4", 1, 4),
    ("[c]", 1, 4), ("..", 1, 4), ("c", 1, 4), ("<10", 1, 9), ("<=5", 1, 5), ("fewer than 5", 1, 4),
    ("suppressed", 1, 4), ("1-9", 1, 9),
])
def test_suppression_markers_are_never_zero(marker, lo, hi):
    c = count(marker)
    assert isinstance(c, Count)
    assert c.suppressed and c.value is None
    assert (c.lower, c.upper) == (lo, hi)
    assert c.raw == marker


def test_marker_bounds_from_footnotes():
    c = count("*", markers={"*": (1, 9)})
    assert (c.value, c.lower, c.upper, c.suppressed) == (None, 1, 9, True)


def test_nil_dash_only_when_the_reply_says_so():
    assert isinstance(count("-"), Problem)
    assert isinstance(count("\u2013"), Problem)
    c = count("-", nil_dash=True)
    assert isinstance(c, Count) and c.value == 0 and not c.suppressed


@pytest.mark.parametrize("value", [
    12.5, "12.5", -3, "-3", "(3)", "1,23", "12 or 13", "[x]", "x", "n/a", "[z]", "0-0", "<1", float("-1"),
])
def test_untrustworthy_counts_are_problems(value):
    assert isinstance(count(value), Problem)


@pytest.mark.parametrize("value", [None, "", "  ", "Total", "Sexual grooming", "Not recorded", True,
                                   date(2016, 4, 1), "13 yrs"])
def test_not_counts(value):
    assert count(value) is None


def test_codes_are_not_counts_with_a_footnote_letter():
    # '19D' and '88A' are offence codes: never 19 and 88 with footnote 'd' and 'a'
    assert not isinstance(count("19D"), Count)
    assert not isinstance(count("88A"), Count)


# ---------------------------------------------------------------------------- totals


@pytest.mark.parametrize("text", [
    "Total", "Grand total", "All offences", "Sub-total", "Subtotal", "Rape - total", "Total sexual assault",
    "Total (all ages)", "TOTAL", "Totals", "All ages", "Sub total", "Overall total",
])
def test_totals(text):
    assert is_total(text)


@pytest.mark.parametrize("text", ["Sexual grooming", "Rape", "88A", "13-15", "2016/17", "", None, 12, "Other"])
def test_not_totals(text):
    assert not is_total(text)


def test_total_kinds():
    assert total_label("Total") == labels.TotalLabel("grand")
    assert total_label("Grand total") == labels.TotalLabel("grand")
    assert total_label("Total (all ages)") == labels.TotalLabel("grand")
    assert total_label("Sub-total") == labels.TotalLabel("sub")
    assert total_label("Rape - total") == labels.TotalLabel("sub", "rape")
    assert total_label("Total sexual assault") == labels.TotalLabel("sub", "sexual assault")


# -------------------------------------------------------------------------- offences


@pytest.mark.parametrize("text, code", [
    ("88A", "88A"), ("88a", "88A"), ("088A", "88A"), (21, "21"), ("21", "21"), ("Sexual grooming", "88A"),
    ("SEXUAL GROOMING", "88A"), ("88A - Sexual grooming", "88A"), ("88A Sexual grooming", "88A"),
    ("88A: Sexual grooming", "88A"), ("Sexual grooming (88A)", "88A"), ("Sexual grooming - 88A", "88A"),
    ("Rape of a female child under 13", "19E"), ("Rape of female child under 13", "19E"),
    ("Obscene publications & indecent images of children", "86"),
    ("Meeting a child following sexual grooming etc.", "88A"),
    ("Sexual activity involving a child under 13", "21"), ("22B Sexual activity involving a child under 16", "22B"),
    ("HO code 88E", "88E"), ("  sexual  communication with a child ", "88A"), ("Exposure and voyeurism", "88E"),
])
def test_offence_codes(text, code):
    assert offence_code(text) == code


@pytest.mark.parametrize("text", ["Burglary", "99Z", "13-15", "", None, "Total", "88A Burglary"])
def test_unknown_offences(text):
    m = match_offence(text)
    assert m.code is None and m.reason and not m.classes


def test_an_act_title_spanning_classes_names_them_all_and_no_single_code():
    # SOA 2003 s.1 'Rape' is rape of a female or a male aged 13 or over: four classes
    m = match_offence("Rape")
    assert m.code is None and m.classes == {"19C", "19D", "19F", "19G"}


def test_a_code_and_a_description_that_disagree():
    m = match_offence("88E - Sexual communication with a child")
    assert m.code is None
    assert "disagree" in m.reason and "88A" in m.reason and "88E" in m.reason
