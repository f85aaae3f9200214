"""What a reviewer reads when a check fails (issue 13): every rule of every suite says, in
the team's words, what its failure means and what to do, and quality.describe names the
file and cell (or the force and year) of the failing rows.

The planted failures run through real Great Expectations on small frames (test_quality's).
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from flows import quality
from test_quality import CUMBRIA, LANCASHIRE, clean_tables, ints, offences_row

SUITE_FILES = sorted(quality.EXPECTATIONS_DIR.glob("*.yaml"))


def assert_reads_as_a_reviewer_message(text: str) -> None:
    assert "What to do:" in text
    assert "expect_" not in text
    assert "row(s)" not in text
    assert not re.search(r"\{\w*\}", text), text  # every placeholder filled in


@pytest.fixture(scope="module")
def suites() -> dict[str, quality.SuiteSpec]:
    return {s.name: s for s in quality.load_suites()}


# --- the suites as written -----------------------------------------------------------


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.stem)
def test_every_expectation_says_what_its_failure_means_and_what_to_do(path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["expectations"]
    for item in doc["expectations"]:
        name = item.get("expectation") or item.get("check")
        for key in ("says", "do"):
            assert isinstance(item.get(key), str) and item[key].strip(), f"{path.name}: {name} has no {key!r}"
            assert "expect_" not in item[key], f"{path.name}: {name}: {key!r} names a GX type"
    (suite,) = [s for s in quality.load_suites() if s.path == path]
    assert all(e.says and e.do for e in suite.expectations)


def _example(suite: quality.SuiteSpec, spec: quality.ExpectationSpec, n: int) -> dict:
    """A failing row as validation reports it: the suite's identifying columns, then the
    columns the rule read."""
    values = {"path": "kent/reply.xlsx", "source": f"Data!D{n}", "force_code": LANCASHIRE,
              "force_name": "Lancashire", "financial_year": "2016/17", "round": "2017-online",
              "message": "refused under section 12", "status": "loaded", "left": 7, "right": 6,
              "personal_data": "possible personal data (name) on sheet 'Data', cells B4:B9"}
    key = list(spec.compare.key) if spec.compare else []
    columns = dict.fromkeys([*suite.identify_rows_by, *key, *spec.columns])
    return {c: values.get(c, n) for c in columns}


def test_each_rule_of_each_suite_is_described_with_its_cells(suites):
    """Every expectation of every suite, failing on five rows: the sentence counts them,
    names the first three where a person finds them, and says what to do."""
    for suite in suites.values():
        for spec in suite.expectations:
            check = quality.CheckResult(
                suite=suite.name, expectation=spec.name, column=spec.column, severity=spec.severity,
                success=False, unexpected_count=5,
                unexpected_examples=[_example(suite, spec, n) for n in range(7, 12)],
                why=spec.why, says=spec.says, do=spec.do)
            text = quality.describe(check)
            assert_reads_as_a_reviewer_message(text)
            assert text.startswith(f"{suite.name}: ") and re.search(r"\b5\b", text), text
            assert text.endswith(spec.do.rstrip(".") + "."), text
            assert "and 2 more" in text, text
            identify = set(suite.identify_rows_by)
            if "source" in identify:
                assert "kent/reply.xlsx!Data!D7" in text and "kent/reply.xlsx!Data!D9" in text
                assert "Data!D10" not in text
            elif "path" in identify:
                assert "kent/reply.xlsx" in text
            if identify & {"force_name", "force_code"} and "path" not in identify:
                assert "Lancashire" in text, text
                assert LANCASHIRE not in text or "force_code" in spec.columns, text
            if "financial_year" in identify or spec.compare:
                assert "2016/17" in text, text
            if spec.compare:
                assert "2016/17 (7 vs 6)" in text, text


# --- planted failures, one per suite, through GX --------------------------------------


def _offences(**changes) -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame([offences_row(), offences_row(**changes)])
    for col in ("victim_age_min", "victim_age_max", "offences", "offences_lower", "offences_upper"):
        frame[col] = frame[col].astype("Int64")
    return {"offences": frame}


def _stated_totals() -> dict[str, pd.DataFrame]:
    totals = clean_tables()["stated_totals"]
    bad = totals.iloc[[0]].assign(offences=2, offences_lower=2, offences_upper=2, parts_lower=3,
                                  parts_upper=7, loaded=False, path="kent/reply.xlsx", source="Data!F20")
    frame = pd.concat([totals, bad], ignore_index=True)
    for col in ("offences", "offences_lower", "offences_upper", "parts_lower", "parts_upper"):
        frame[col] = frame[col].astype("Int64")
    return {"stated_totals": frame}


def _changed(table: str, column: str, values) -> dict[str, pd.DataFrame]:
    """test_quality's clean tables with one column of `table` replaced: that table, or all
    of them for the reconciliation (the modal age's count is compared across tables)."""
    tables = clean_tables()
    tables[table][column] = values
    return tables if column == "modal_age_offences" else {table: tables[table]}


def _refused() -> dict[str, pd.DataFrame]:
    replies = clean_tables()["force_replies"]
    replies.loc[1, ["reply", "message"]] = ["refused", "refused under section 12"]
    return {"force_replies": replies}


PLANTED = {
    # suite: (tables, what the sentence must name, the severity of the failure)
    "offences": (_offences(victim_age_max=18, path="cumbria/reply.xlsx", source="Data!D9"),
                 ["cumbria/reply.xlsx!Data!D9", "18"], "critical"),
    "stated_totals": (_stated_totals(), ["kent/reply.xlsx!Data!F20"], "critical"),
    "force_year_totals": (_changed("force_year_totals", "offences", ints(4, -2, 6, None)),
                          ["Lancashire, 2016/17", "-2"], "critical"),
    "headline_figures": (_changed("headline_figures", "per_day", [6 / 365, 500.0, None]),
                         ["2017/18", "500"], "warning"),
    "reconciliation": (_changed("headline_figures", "modal_age_offences", ints(2, 5, None)),
                       ["2017/18 (5 vs 6)"], "critical"),
    "force_replies": (_refused(), ["Lancashire", "refused under section 12"], "warning"),
    "force_year_changes": (_changed("force_year_changes", "pct_change", [250.0]),
                           ["Lancashire, 2017/18", "250"], "warning"),
    "returns": (_changed("returns", "personal_data",
                         [None, "possible personal data (name) on sheet 'Sheet1', cells B2:B9"]),
                ["lancashire/reply.ods", "sheet 'Sheet1', cells B2:B9"], "warning"),
}


@pytest.fixture(scope="module")
def planted(suites) -> dict[str, list[quality.CheckResult]]:
    return {name: [r for r in quality.validate(tables, [suites[name]]) if not r.success]
            for name, (tables, _, _) in PLANTED.items()}


def test_the_shipped_suites_cover_every_planted_failure(suites):
    assert set(PLANTED) == set(suites)


@pytest.mark.parametrize("suite", sorted(PLANTED))
def test_a_planted_failure_is_described_in_the_teams_words(planted, suite):
    _, names, severity = PLANTED[suite]
    (check,) = planted[suite]
    assert check.severity == severity and check.says and check.do
    text = quality.describe(check)
    assert_reads_as_a_reviewer_message(text)
    for name in names:
        assert name in text, text
    assert text.startswith(f"{suite}: ")
    assert check.unexpected_count is not None and str(check.unexpected_count) in text


def test_a_csv_count_is_named_by_its_line():
    tables = _offences(offences=-3, offences_lower=-3, offences_upper=-3, path="cumbria/reply.csv",
                       source="line 12, column D")
    (check,) = [r for r in quality.validate(tables, [s for s in quality.load_suites() if s.name == "offences"])
                if not r.success]
    text = quality.describe(check)
    assert "cumbria/reply.csv line 12, column D" in text and "!line" not in text
    assert_reads_as_a_reviewer_message(text)


def test_only_three_rows_are_named_and_the_rest_counted(suites):
    frame = pd.DataFrame([offences_row()] + [offences_row(offences=-1, offences_lower=-1, offences_upper=-1,
                                                          source=f"Data!D{n}") for n in range(10, 16)])
    for col in ("victim_age_min", "victim_age_max", "offences", "offences_lower", "offences_upper"):
        frame[col] = frame[col].astype("Int64")
    (check,) = [r for r in quality.validate({"offences": frame}, [suites["offences"]]) if not r.success]
    text = quality.describe(check)
    assert check.unexpected_count == 6
    assert all(f"Data!D{n}" in text for n in (10, 11, 12)) and "Data!D13" not in text
    assert "and 3 more" in text


def test_a_check_that_could_not_run_says_so_and_what_to_do(suites):
    headline = clean_tables()["headline_figures"].drop(columns="per_day")
    results = quality.validate({"headline_figures": headline}, [suites["headline_figures"], suites["force_year_totals"]])
    failed = {(r.suite, r.column): r for r in results if not r.success}
    per_day = failed[("headline_figures", "per_day")]
    assert per_day.unexpected_count is None
    text = quality.describe(per_day)
    assert_reads_as_a_reviewer_message(text)
    assert "could not run" in text and "per_day" in text and "run again" in text
    assert "BatchData" not in text  # GX's words for a missing column are not shown
    missing = quality.describe(failed[("force_year_totals", None)])
    assert_reads_as_a_reviewer_message(missing)
    assert "no table force_year_totals" in missing


def test_describe_reads_only_the_result():
    """The same result, the same sentence; what decides a block is the severity, never the
    text; a result made outside a suite (no says/do) is still told in words."""
    check = quality.CheckResult(
        suite="offences", expectation="whole_numbers", column="offences", severity="critical",
        success=False, unexpected_count=1,
        unexpected_examples=[{"path": "kent/reply.xlsx", "source": "Data!D7", "offences": 2.5}],
        why="w", says="Counts that are not whole ({count}): {examples}", do="open the cell")
    assert quality.describe(check) == quality.describe(check) == (
        "offences: Counts that are not whole (1): kent/reply.xlsx!Data!D7 (offences 2.5). "
        "What to do: Open the cell.")
    plain = quality.CheckResult(suite="shrink_guard", expectation="published_force_years_kept", column=None,
                                severity="critical", success=False, unexpected_count=1,
                                unexpected_examples=[{"message": "Kent 2016/17 (2017) would be dropped"}])
    text = quality.describe(plain)
    assert text.startswith("shrink_guard: Kent 2016/17 (2017) would be dropped.") and "What to do:" in text


def test_a_suite_without_do_is_refused_naming_the_file_and_the_rule(tmp_path):
    (tmp_path / "expectations").mkdir()
    bad = tmp_path / "expectations" / "no_do.yaml"
    bad.write_text("suite: no_do\ntable: t\nexpectations:\n"
                   "  - expectation: expect_column_values_to_not_be_null\n"
                   "    kwargs: {column: source}\n    severity: critical\n    why: traceable\n"
                   "    says: 'Counts with no cell ({count}): {examples}'\n")
    with pytest.raises(ValueError) as err:
        quality.load_suites(tmp_path / "expectations")
    message = str(err.value)
    assert "no_do.yaml" in message and "expectation 1" in message and "source" in message
    assert "'do'" in message


def test_a_says_with_an_unknown_placeholder_is_refused(tmp_path):
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "typo.yaml").write_text(
        "suite: typo\ntable: t\nexpectations:\n"
        "  - {check: whole_numbers, kwargs: {column: n}, severity: warning, why: w,"
        " says: '{cuont} counts: {examples}', do: d}\n")
    with pytest.raises(ValueError, match=r"typo\.yaml.*whole_numbers.*\{count\} and \{examples\}"):
        quality.load_suites(tmp_path / "expectations")
