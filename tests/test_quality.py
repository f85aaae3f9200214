"""flows/quality.py with real Great Expectations on real frames and a real DuckDB file.

GX takes seconds to import, so the GX runs share module-scoped fixtures.
"""
from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from flows import PROJECT_ROOT, quality

CUMBRIA, LANCASHIRE = "E23000002", "E23000003"


def ints(*values):
    return pd.array(values, dtype="Int64")


def offences_row(**changes) -> dict:
    row = {
        "round": "2017-online", "force_code": CUMBRIA, "financial_year": "2016/17",
        "offence_code": "17A", "offence_description": "Sexual assault on a male aged 13 and over",
        "offence_group": "sexual assault", "victim_age_min": 13, "victim_age_max": 15,
        "offences": 4, "suppressed": False, "offences_lower": 4, "offences_upper": 4,
        "sha256": "ab" * 32, "path": "cumbria/reply.xlsx", "source": "Data!D7",
        "table_ref": "Data!B4:F20", "in_totals": True, "in_age_figures": True,
    }
    row.update(changes)
    row.setdefault("offence_classes", row["offence_code"])
    row.setdefault("offence_as_written", row["offence_description"])
    return row


def clean_tables() -> dict[str, pd.DataFrame]:
    """Two forces, three years; every mart agrees with the others. In 2018/19 the only
    count is suppressed, so no table knows a number for that year (NULL, never 0)."""
    offences = pd.DataFrame([
        offences_row(),
        offences_row(offence_code=None, offence_description=None, offence_group=None,
                     victim_age_min=None, victim_age_max=None, offences=None, suppressed=True,
                     offences_lower=1, offences_upper=4, source="Data!D8"),
        offences_row(force_code=LANCASHIRE, offence_code="19D", offence_group="rape",
                     offence_description="Rape of a female aged under 16", victim_age_min=5,
                     victim_age_max=5, offences=2, offences_lower=2, offences_upper=2,
                     path="lancashire/reply.ods", source="Sheet1!C3"),
        offences_row(force_code=LANCASHIRE, financial_year="2017/18", offence_code="86",
                     offence_group="indecent images", victim_age_min=14, victim_age_max=14,
                     offences=6, offences_lower=6, offences_upper=6,
                     path="lancashire/reply.ods", source="Sheet1!C4"),
        offences_row(financial_year="2018/19", offences=None, suppressed=True, offences_lower=1,
                     offences_upper=4, source="Data!E7"),
    ])
    for col in ("victim_age_min", "victim_age_max", "offences", "offences_lower", "offences_upper"):
        offences[col] = offences[col].astype("Int64")
    stated_totals = pd.DataFrame({
        "round": ["2017-online"], "force_code": [CUMBRIA], "financial_year": ["2016/17"],
        "offence_code": [None], "victim_age_min": ints(None), "victim_age_max": ints(None),
        "offences": ints(4), "suppressed": [False], "offences_lower": ints(4),
        "offences_upper": ints(4), "parts_lower": ints(3), "parts_upper": ints(7), "loaded": [True],
        "sha256": ["ab" * 32], "path": ["cumbria/reply.xlsx"], "source": ["Data!D9"],
        "table_ref": ["Data!B4:F20"],
    })
    force_year_totals = pd.DataFrame({
        "force_code": [CUMBRIA, LANCASHIRE, LANCASHIRE, CUMBRIA],
        "force_name": ["Cumbria", "Lancashire", "Lancashire", "Cumbria"],
        "financial_year": ["2016/17", "2016/17", "2017/18", "2018/19"],
        "offences": ints(4, 2, 6, None), "offences_upper": ints(8, 2, 6, 4),
        "suppressed_cells": ints(1, 0, 0, 1),
    })
    headline_figures = pd.DataFrame({
        "financial_year": ["2016/17", "2017/18", "2018/19"], "forces_with_data": ints(2, 1, 1),
        "offences": ints(6, 6, None), "offences_upper": ints(10, 6, 4),
        "previous_year_offences": ints(None, 6, 6), "pct_change": [None, 0.0, None],
        "matched_forces": ints(None, 1, None), "like_for_like_pct_change": [None, 200.0, None],
        "per_day": [6 / 365, 6 / 365, None], "modal_age": ints(5, 14, None),
        "modal_age_offences": ints(2, 6, None), "aged_10_and_under": ints(2, 0, None),
        "youngest_age": ints(5, 14, None),
    })
    age_distribution = pd.DataFrame({
        # the row with no recorded age is larger than any age: the modal check must skip it
        "financial_year": ["2016/17", "2016/17", "2017/18"], "victim_age": ints(5, None, 14),
        "offences": ints(2, 40, 6), "suppressed_cells": ints(0, 1, 0),
    })
    offence_group_totals = pd.DataFrame({
        "financial_year": ["2016/17", "2016/17", "2017/18"],
        "offence_group": ["sexual assault", "rape", "indecent images"], "offences": ints(4, 2, 6),
    })
    force_replies = pd.DataFrame({
        "round": ["2017-online", "2017-online"], "force_code": [CUMBRIA, LANCASHIRE],
        "force_name": ["Cumbria", "Lancashire"], "reply": ["data", "data"], "message": [None, None],
    })
    force_year_changes = pd.DataFrame({
        "force_code": [LANCASHIRE], "force_name": ["Lancashire"], "financial_year": ["2017/18"],
        "offences": ints(6), "previous_offences": ints(2), "pct_change": [200.0],
    })
    returns = pd.DataFrame({
        "round": ["2017-online"] * 2, "force_code": [CUMBRIA, LANCASHIRE], "force_folder": ["cumbria", "lancashire"],
        "path": ["cumbria/reply.xlsx", "lancashire/reply.ods"], "sha256": ["ab" * 32, "cd" * 32],
        "file_type": ["xlsx", "ods"], "size_bytes": ints(900, 800), "layout": ["crosstab", "long"],
        "status": ["loaded", "loaded"], "reason": [None, None], "message": [None, None],
        "personal_data": [None, None], "rows_loaded": ints(3, 2),
    })
    return {
        "offences": offences, "stated_totals": stated_totals, "force_year_totals": force_year_totals,
        "headline_figures": headline_figures, "age_distribution": age_distribution,
        "offence_group_totals": offence_group_totals, "force_replies": force_replies,
        "force_year_changes": force_year_changes, "returns": returns,
    }


@pytest.fixture(scope="module")
def suites() -> dict[str, quality.SuiteSpec]:
    return {s.name: s for s in quality.load_suites()}


@pytest.fixture(scope="module")
def clean_results() -> list[quality.CheckResult]:
    return quality.validate(clean_tables())


def failures(results) -> dict[tuple[str, str | None], quality.CheckResult]:
    return {(r.expectation, r.column): r for r in results if not r.success}


# --- suites as written ---------------------------------------------------------------


def test_shipped_suites_cover_every_table_and_read_reference_lists(suites):
    assert set(suites) == {"offences", "force_year_totals", "headline_figures", "reconciliation",
                           "stated_totals", "force_replies", "force_year_changes", "returns"}
    forces = next(e for e in suites["offences"].expectations
                  if e.name == "expect_column_values_to_be_in_set" and e.kwargs["column"] == "force_code")
    assert len(forces.kwargs["value_set"]) == 43 and CUMBRIA in forces.kwargs["value_set"]
    pairs = next(e for e in suites["offences"].expectations
                 if e.name == "expect_column_pair_values_to_be_in_set")
    assert ("19D", "rape") in pairs.kwargs["value_pairs_set"]
    assert all(e.severity in quality.SEVERITIES and e.why and e.says and e.do
               for s in suites.values() for e in s.expectations)


@pytest.mark.parametrize("entry, message", [
    ("- {expectation: expect_column_values_to_not_be_null, kwargs: {column: a}, severity: fatal, why: w}",
     "severity"),
    ("- {check: no_such_check, kwargs: {column: a}, severity: critical, why: w}", "unknown check"),
    ("- {expectation: expect_column_values_to_not_be_null, kwargs: {column: a}, severity: critical}",
     "why"),
    ("- {expectation: expect_column_values_to_be_in_set, severity: critical, why: w,\n"
     "   kwargs: {column: a, value_set: {from_csv: forces.csv, column: nope}}}", "no column"),
    ("- {expectation: expect_column_values_to_not_be_null, kwargs: {column: a}, severity: critical, why: w,"
     " do: d}", r"expectation 1 \(expect_column_values_to_not_be_null on a\).*'says'"),
    ("- {expectation: expect_column_values_to_not_be_null, kwargs: {column: a}, severity: critical, why: w,"
     " says: s}", r"expectation 1 \(expect_column_values_to_not_be_null on a\).*'do'"),
    ("- {check: whole_numbers, kwargs: {column: a}, severity: critical, why: w, says: '{count} {rows}', do: d}",
     "no other braces"),
    ("- {check: whole_numbers, kwargs: {column: a}, severity: critical, why: w,"
     " says: 'expect_column_values_to_be_between failed', do: d}", "team's words"),
])
def test_a_malformed_suite_is_refused_naming_its_file(tmp_path, entry, message):
    (tmp_path / "forces.csv").write_text("force_code\nE23000002\n")
    (tmp_path / "expectations").mkdir()
    bad = tmp_path / "expectations" / "bad.yaml"
    bad.write_text(f"suite: bad\ntable: t\nexpectations:\n{entry}\n")
    with pytest.raises(ValueError, match=message) as err:
        quality.load_suites(tmp_path / "expectations")
    assert "bad.yaml" in str(err.value)


def test_importing_quality_does_not_import_great_expectations():
    code = "import sys, flows.quality; sys.exit('great_expectations' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT).returncode == 0


# --- row checks (plain pandas) -------------------------------------------------------


@given(st.integers(min_value=1990, max_value=2099), st.integers(min_value=0, max_value=99))
def test_consecutive_financial_year(start, end):
    year = f"{start}/{end:02d}"
    ok = quality.consecutive_financial_year(pd.DataFrame({"y": [year]}), "y").iloc[0]
    assert ok == ((start + 1) % 100 == end)


def test_row_checks_treat_nulls_as_gx_does():
    df = pd.DataFrame({"y": ["2016/17", None, "16/17"], "n": [1.0, None, 2.5],
                       "s": [False, True, None], "a": [1, None, None], "b": [2, None, 3]})
    assert quality.consecutive_financial_year(df, "y").tolist() == [True, True, False]
    assert quality.whole_numbers(df, "n").tolist() == [True, True, False]
    assert quality.null_exactly_when(df, "n", "s").tolist() == [True, True, False]
    assert quality.null_together(df, ["a", "b"]).tolist() == [True, True, False]


# --- validation with GX ---------------------------------------------------------------


def test_a_clean_warehouse_passes_every_suite(clean_results):
    assert clean_results and failures(clean_results) == {}
    assert quality.blocking(clean_results) == []
    assert {r.suite for r in clean_results} == {"offences", "force_year_totals", "headline_figures",
                                                "reconciliation", "stated_totals", "force_replies",
                                                "force_year_changes", "returns"}
    assert all(r.unexpected_count in (0, None) for r in clean_results)


# One bad row per way of breaking a count, each with its own source; a row may break
# more than one rule (an unknown code is also an unknown code/group pair).
BROKEN = [
    ({"force_code": "E99999999", "source": "Bad!A1"},
     [("expect_column_values_to_be_in_set", "force_code")]),
    ({"victim_age_min": 16, "victim_age_max": 18, "source": "Bad!A2"},
     [("expect_column_values_to_be_between", "victim_age_max")]),
    ({"offences": -3, "offences_lower": -3, "offences_upper": -3, "source": "Bad!A3"},
     [("expect_column_values_to_be_between", "offences")]),
    ({"offences": 0, "suppressed": True, "offences_lower": 0, "offences_upper": 4, "source": "Bad!A4"},
     [("null_exactly_when", "offences,suppressed")]),
    ({"offences": 2.5, "offences_lower": 2.5, "offences_upper": 2.5, "source": "Bad!A5"},
     [("whole_numbers", "offences")]),
    ({"financial_year": "2016/18", "source": "Bad!A6"},
     [("consecutive_financial_year", "financial_year")]),
    ({"victim_age_min": 12, "victim_age_max": 10, "source": "Bad!A7"},
     [("expect_column_pair_values_a_to_be_greater_than_b", "victim_age_max,victim_age_min")]),
    ({"victim_age_min": 12, "victim_age_max": None, "source": "Bad!A8"},
     [("null_together", "victim_age_min,victim_age_max")]),
    ({"offence_code": "99Z", "source": "Bad!A9"},
     [("expect_column_values_to_be_in_set", "offence_code"),
      ("expect_column_pair_values_to_be_in_set", "offence_code,offence_group"),
      ("classes_in_reference", "offence_classes")]),
    # a label that may be 19E or 19H filed under one of them: a guess, not a reading
    ({"offence_code": "19E", "offence_group": "rape", "offence_classes": "19E|19H", "source": "Bad!A15"},
     [("classes_in_reference", "offence_classes")]),
    ({"offence_group": "rape", "source": "Bad!A10"},
     [("expect_column_pair_values_to_be_in_set", "offence_code,offence_group")]),
    ({"suppressed": None, "offences": None, "source": "Bad!A11"},
     [("expect_column_values_to_not_be_null", "suppressed"), ("null_exactly_when", "offences,suppressed")]),
    ({"offences_lower": 5, "offences_upper": 3, "offences": None, "suppressed": True, "source": "Bad!A12"},
     [("expect_column_pair_values_a_to_be_greater_than_b", "offences_upper,offences_lower")]),
    ({"financial_year": "16/17", "source": "Bad!A13"},
     [("expect_column_values_to_match_regex", "financial_year"),
      ("consecutive_financial_year", "financial_year")]),
    ({"sha256": None, "source": "Bad!A14"}, [("expect_column_values_to_not_be_null", "sha256")]),
]


@pytest.fixture(scope="module")
def broken_offences_results(suites):
    clean = clean_tables()["offences"]
    bad = pd.DataFrame([offences_row(**changes) for changes, _ in BROKEN])
    nosource = pd.DataFrame([offences_row(source=None, path="nosource/reply.csv")])
    frame = pd.concat([clean.astype(object), bad, nosource], ignore_index=True)
    for col in ("victim_age_min", "victim_age_max", "offences", "offences_lower", "offences_upper"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")  # 2.5 needs floats
    return quality.validate({"offences": frame}, [suites["offences"]])


def test_each_broken_offence_row_fails_its_rule_and_names_its_cell(broken_offences_results):
    expected: dict[tuple[str, str], set] = {("expect_column_values_to_not_be_null", "source"): {None}}
    for changes, rules in BROKEN:
        for rule in rules:
            expected.setdefault(rule, set()).add(changes["source"])
    failed = failures(broken_offences_results)
    assert set(failed) == set(expected)
    for rule, sources in expected.items():
        check = failed[rule]
        assert check.severity == "critical" and check.why
        assert check.unexpected_count == len(sources), rule
        assert {e["source"] for e in check.unexpected_examples} == sources, rule
        assert all(e["path"] for e in check.unexpected_examples)
    nosource = failed[("expect_column_values_to_not_be_null", "source")].unexpected_examples
    assert nosource == [{"path": "nosource/reply.csv", "source": None}]
    assert set(map(id, quality.blocking(broken_offences_results))) == set(map(id, failed.values()))


def test_failing_examples_show_the_offending_values(broken_offences_results):
    failed = failures(broken_offences_results)
    (age,) = failed[("expect_column_values_to_be_between", "victim_age_max")].unexpected_examples
    assert age == {"path": "cumbria/reply.xlsx", "source": "Bad!A2", "victim_age_max": 18}
    (frac,) = failed[("whole_numbers", "offences")].unexpected_examples
    assert frac["offences"] == 2.5


def test_a_duplicate_force_year_fails_with_its_key(suites):
    totals = clean_tables()["force_year_totals"]
    totals = pd.concat([totals, totals.iloc[[0]]], ignore_index=True)
    (dup,) = [r for r in quality.validate({"force_year_totals": totals}, [suites["force_year_totals"]])
              if not r.success]
    assert (dup.expectation, dup.severity, dup.unexpected_count) == (
        "expect_compound_columns_to_be_unique", "critical", 2)
    assert {(e["force_code"], e["financial_year"]) for e in dup.unexpected_examples} == {
        (CUMBRIA, "2016/17")}


def test_upper_bound_below_known_total_is_critical(suites):
    totals = clean_tables()["force_year_totals"]
    totals.loc[1, "offences_upper"] = 1
    failed = failures(quality.validate({"force_year_totals": totals}, [suites["force_year_totals"]]))
    check = failed[("expect_column_pair_values_a_to_be_greater_than_b", "offences_upper,offences")]
    assert check.unexpected_examples == [{"force_code": LANCASHIRE, "force_name": "Lancashire",
                                          "financial_year": "2016/17", "offences_upper": 1, "offences": 2}]


@pytest.mark.parametrize("total, parts, rule", [
    ((9, 9), (3, 7), "parts_upper,offences_lower"),  # above what the parts can reach
    ((2, 2), (3, 7), "offences_upper,parts_lower"),  # below their known sum
    ((4, 4), (None, None), "parts_lower"),  # covers no part: cannot be checked
])
def test_a_stated_total_outside_its_parts_range_blocks_with_its_cell(suites, total, parts, rule):
    totals = clean_tables()["stated_totals"]
    bad = totals.iloc[[0]].assign(offences_lower=total[0], offences_upper=total[1], offences=total[0],
                                  parts_lower=parts[0], parts_upper=parts[1], loaded=False,
                                  source="Data!F20", path="kent/reply.xlsx")
    frame = pd.concat([totals, bad], ignore_index=True)
    for col in ("offences", "offences_lower", "offences_upper", "parts_lower", "parts_upper"):
        frame[col] = frame[col].astype("Int64")
    failed = failures(quality.validate({"stated_totals": frame}, [suites["stated_totals"]]))
    (check,) = [r for (_, c), r in failed.items() if c == rule]
    assert set(failed) == {(check.expectation, rule)}
    assert check.severity == "critical" and check in quality.blocking([check])
    assert check.unexpected_count == 1
    assert {(e["path"], e["source"]) for e in check.unexpected_examples} == {("kent/reply.xlsx", "Data!F20")}


def test_a_suppressed_total_within_its_parts_range_passes(suites):
    totals = clean_tables()["stated_totals"].assign(
        offences=pd.array([None], dtype="Int64"), suppressed=True, offences_lower=1, offences_upper=4,
        parts_lower=3, parts_upper=3)  # '<5' stated over parts that add up to 3
    assert failures(quality.validate({"stated_totals": totals}, [suites["stated_totals"]])) == {}


@pytest.fixture(scope="module")
def unreconciled_results(suites):
    tables = clean_tables()
    tables["headline_figures"].loc[0, "offences"] = 7  # 2016/17: the forces add up to 6
    tables["headline_figures"].loc[1, "modal_age_offences"] = 5  # 2017/18: the largest age count is 6
    return quality.validate(tables, [suites["reconciliation"], suites["headline_figures"]])


def test_a_headline_that_does_not_add_up_blocks_with_the_year(unreconciled_results):
    failed = failures(unreconciled_results)
    assert set(failed) == {
        ("expect_column_pair_values_to_be_equal", "headline_figures.offences vs sum(force_year_totals.offences)"),
        ("expect_column_pair_values_to_be_equal", "headline_figures.offences vs sum(offence_group_totals.offences)"),
        ("expect_column_pair_values_to_be_equal",
         "headline_figures.modal_age_offences vs max(age_distribution.offences)"),
    }
    by_column = {c: r for (_, c), r in failed.items()}
    forces = by_column["headline_figures.offences vs sum(force_year_totals.offences)"]
    assert forces.suite == "reconciliation" and forces.severity == "critical"
    assert forces.unexpected_examples == [{"financial_year": "2016/17", "left": 7, "right": 6}]
    modal = by_column["headline_figures.modal_age_offences vs max(age_distribution.offences)"]
    assert modal.unexpected_examples == [{"financial_year": "2017/18", "left": 5, "right": 6}]
    assert len(quality.blocking(unreconciled_results)) == 3


def test_a_year_missing_from_one_side_does_not_reconcile(suites):
    tables = clean_tables()
    tables["force_year_totals"] = tables["force_year_totals"].iloc[:2]  # 2017/18 lost
    failed = failures(quality.validate(tables, [suites["reconciliation"]]))
    (check,) = failed.values()
    assert check.unexpected_examples == [{"financial_year": "2017/18", "left": 6, "right": None}]


def test_an_implausible_rate_warns_but_does_not_block(suites):
    tables = clean_tables()
    tables["headline_figures"].loc[1, "per_day"] = 500.0
    results = quality.validate(tables, [suites["headline_figures"]])
    (warning,) = [r for r in results if not r.success]
    assert (warning.severity, warning.column, warning.unexpected_count) == ("warning", "per_day", 1)
    assert warning.unexpected_examples == [{"financial_year": "2017/18", "per_day": 500}]
    assert quality.blocking(results) == []


def test_a_missing_table_or_column_fails_rather_than_passing(suites):
    results = quality.validate({"headline_figures": clean_tables()["headline_figures"].drop(columns="per_day")},
                               [suites["headline_figures"], suites["force_year_totals"]])
    failed = failures(results)
    assert failed[("table_present", None)].suite == "force_year_totals"
    per_day = failed[("expect_column_values_to_be_between", "per_day")]
    assert per_day.unexpected_examples and "error" in per_day.unexpected_examples[0]
    assert [r.suite for r in quality.blocking(results)] == ["force_year_totals"]


def test_validate_warehouse_reads_a_duckdb_file_read_only(tmp_path, suites):
    path = tmp_path / "foi.duckdb"
    tables = clean_tables()
    tables["offences"] = pd.concat(
        [tables["offences"], pd.DataFrame([offences_row(force_code="E99999999", source="Data!Z9")])],
        ignore_index=True,
    )
    with duckdb.connect(str(path)) as con:
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            con.unregister("frame")
    before = path.read_bytes()
    # DuckDB refuses a read-write connection beside this read-only one: validation must not write
    with duckdb.connect(str(path), read_only=True):
        results = quality.validate_warehouse(path)
    assert path.read_bytes() == before
    (bad,) = quality.blocking(results)
    assert (bad.suite, bad.expectation, bad.column) == (
        "offences", "expect_column_values_to_be_in_set", "force_code")
    assert bad.unexpected_examples == [{"path": "cumbria/reply.xlsx", "source": "Data!Z9",
                                        "force_code": "E99999999"}]
    assert len(results) == sum(len(s.expectations) for s in suites.values())


def test_forces_without_data_and_implausible_changes_are_warnings(suites):
    tables = clean_tables()
    tables["force_replies"].loc[1, ["reply", "message"]] = ["refused", "refused under section 12"]
    tables["force_year_changes"].loc[0, "pct_change"] = 250.0
    results = quality.validate(
        {k: tables[k] for k in ("force_replies", "force_year_changes")},
        [suites["force_replies"], suites["force_year_changes"]])
    failed = [r for r in results if not r.success]
    assert {(r.suite, r.severity) for r in failed} == {("force_replies", "warning"), ("force_year_changes", "warning")}
    assert quality.blocking(results) == []
    replies = next(r for r in failed if r.suite == "force_replies")
    assert replies.unexpected_examples[0]["force_name"] == "Lancashire"
    assert replies.unexpected_examples[0]["message"] == "refused under section 12"


def test_results_frame_matches_the_validation_results_table(unreconciled_results):
    frame = quality.results_frame(unreconciled_results, "run-1")
    assert list(frame.columns) == ["run_id", "suite", "expectation", "column_name", "severity",
                                   "success", "unexpected_count", "unexpected_examples"]
    assert len(frame) == len(unreconciled_results) and set(frame["run_id"]) == {"run-1"}
    failed = frame[~frame["success"]]
    assert len(failed) == 3 and set(failed["unexpected_count"]) == {1}
    examples = json.loads(failed.iloc[0]["unexpected_examples"])
    assert examples and "financial_year" in examples[0]
    with duckdb.connect() as con:  # lands in DuckDB as the warehouse would store it
        con.register("frame", frame)
        assert con.execute("SELECT count(*) FROM frame WHERE NOT success").fetchone() == (3,)


def test_an_unknown_gx_expectation_stops_validation_naming_the_suite(tmp_path):
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "typo.yaml").write_text(
        "suite: typo\ntable: t\nexpectations:\n"
        "- {expectation: expect_column_values_to_be_positive, kwargs: {column: a}, severity: critical, why: w,"
        " says: s, do: d}\n"
    )
    with pytest.raises(ValueError, match="typo.yaml.*expect_column_values_to_be_positive"):
        quality.validate({"t": pd.DataFrame({"a": [1]})}, quality.load_suites(tmp_path / "expectations"))
