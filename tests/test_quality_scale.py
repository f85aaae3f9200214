"""flows/quality.py at scale: DuckDB reduces each table to what an expectation reads, GX
validates the reduction, and the results must be those of GX seeing every row.

Real DuckDB files, real GX, no mocks.
"""
from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from flows import quality

CUMBRIA, LANCASHIRE = "E23000002", "E23000003"
ROWS = 50_000
BAD = {123: "E99999999", 25_000: "E99999998", ROWS - 1: "E99999999"}  # row -> unknown force


def offences(n: int) -> pd.DataFrame:
    """`n` valid counts across two forces, three years and three offence codes, each from
    its own cell; the values repeat, the cells do not."""
    i = pd.RangeIndex(n)
    codes = pd.Series(["17A", "19D", "86"]).take(i % 3).to_numpy()
    groups = pd.Series(["sexual assault", "rape", "indecent images"]).take(i % 3).to_numpy()
    age = (i % 18).to_numpy()
    frame = pd.DataFrame({
        "round": "2017-online",
        "force_code": [CUMBRIA if k % 2 else LANCASHIRE for k in range(n)],
        "financial_year": pd.Series(["2016/17", "2017/18", "2018/19"]).take((i // 7) % 3).to_numpy(),
        "offence_code": codes, "offence_description": "as written", "offence_group": groups,
        "offence_classes": codes, "offence_as_written": "as written",
        "victim_age_min": age, "victim_age_max": age, "offences": (i % 9).to_numpy(),
        "suppressed": False, "offences_lower": (i % 9).to_numpy(), "offences_upper": (i % 9).to_numpy(),
        "sha256": "ab" * 32, "path": [f"force{k % 40}/reply.xlsx" for k in range(n)],
        "source": [f"Data!D{k}" for k in range(n)], "table_ref": "Data!B4:F20",
        "in_totals": True, "in_age_figures": True,
    })
    for col in ("victim_age_min", "victim_age_max", "offences", "offences_lower", "offences_upper"):
        frame[col] = frame[col].astype("Int64")
    return frame


def write(path, **tables: pd.DataFrame) -> None:
    with duckdb.connect(str(path)) as con:
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            con.unregister("frame")


@pytest.fixture(scope="module")
def suites() -> dict[str, quality.SuiteSpec]:
    return {s.name: s for s in quality.load_suites()}


@pytest.fixture(scope="module")
def planted(tmp_path_factory, suites):
    """50,000 counts, three with an unknown force and two more with no cell."""
    frame = offences(ROWS)
    for row, code in BAD.items():
        frame.loc[row, ["force_code", "source"]] = [code, f"Bad!A{row}"]
    frame.loc[[7, 40_000], "source"] = None
    path = tmp_path_factory.mktemp("scale") / "foi.duckdb"
    write(path, offences=frame)
    kept: list[quality.GxValidation] = []
    results = quality.validate_warehouse(path, [suites["offences"]], kept)
    return frame, results, kept


def test_planted_rows_among_50000_are_counted_and_named(planted):
    frame, results, _ = planted
    failed = {(r.expectation, r.column): r for r in results if not r.success}
    assert set(failed) == {("expect_column_values_to_be_in_set", "force_code"),
                           ("expect_column_values_to_not_be_null", "source")}
    forces = failed[("expect_column_values_to_be_in_set", "force_code")]
    assert forces.unexpected_count == 3 and forces.severity == "critical"
    # the bad rows themselves, in table order, with the columns that locate them
    assert forces.unexpected_examples == [
        {"path": frame.at[row, "path"], "source": f"Bad!A{row}", "force_code": code}
        for row, code in sorted(BAD.items())
    ]
    nulls = failed[("expect_column_values_to_not_be_null", "source")]
    assert nulls.unexpected_count == 2
    assert nulls.unexpected_examples == [{"path": frame.at[row, "path"], "source": None} for row in (7, 40_000)]
    assert all(r.unexpected_count == 0 for r in results if r.success)
    assert quality.blocking(results) == list(failed.values())


def test_gx_results_kept_for_data_docs_count_the_whole_table(planted):
    _, results, kept = planted
    [validation] = kept
    [run] = validation.runs  # one GX run for the suite, as before
    assert len(run.results) == len(results)
    by_column = {(r.expectation_config.type, r.expectation_config.kwargs["column"]): r.result
                 for r in run.results if "column" in r.expectation_config.kwargs}
    forces = by_column[("expect_column_values_to_be_in_set", "force_code")]
    assert forces["element_count"] == ROWS and forces["unexpected_count"] == 3
    assert forces["unexpected_percent"] == pytest.approx(3 / ROWS * 100)
    assert [i["__row__"] for i in forces["partial_unexpected_index_list"]] == sorted(BAD)
    assert forces["partial_unexpected_list"] == [code for _, code in sorted(BAD.items())]
    assert forces["partial_unexpected_counts"] == [{"value": "E99999999", "count": 2},
                                                   {"value": "E99999998", "count": 1}]
    ages = by_column[("expect_column_values_to_be_between", "victim_age_min")]
    assert (ages["element_count"], ages["unexpected_count"], ages["missing_count"]) == (ROWS, 0, 0)


# --- the reduction equals GX on every row ----------------------------------------------

PARITY = """
suite: {name}
table: t
identify_rows_by: [src]
expectations:
{rules}
"""
ROW_BY_ROW_RULES = """
- {expectation: expect_column_values_to_be_in_set, kwargs: {column: code, value_set: [A, B, C]}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_values_to_not_be_in_set, kwargs: {column: code, value_set: [Z]}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_values_to_be_null, kwargs: {column: note}, severity: warning, why: w, says: s, do: d}
- {expectation: expect_column_values_to_not_be_null, kwargs: {column: src}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_values_to_be_between, kwargs: {column: n, min_value: 0, max_value: 10}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_values_to_match_regex, kwargs: {column: year, regex: '^\\d{4}/\\d{2}$'}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_values_to_not_match_regex, kwargs: {column: year, regex: 'x'}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_values_to_match_regex_list, kwargs: {column: year, regex_list: ['^2016', '^2017'], match_on: any}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_value_lengths_to_be_between, kwargs: {column: code, min_value: 1, max_value: 1}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_pair_values_to_be_equal, kwargs: {column_A: a, column_B: b}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_pair_values_a_to_be_greater_than_b, kwargs: {column_A: b, column_B: a, or_equal: true, ignore_row_if: either_value_is_missing}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_pair_values_to_be_in_set, kwargs: {column_A: code, column_B: grp, value_pairs_set: [[A, x], [B, y], [C, z]], ignore_row_if: either_value_is_missing}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_multicolumn_sum_to_equal, kwargs: {column_list: [a, b], sum_total: 4}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_select_column_values_to_be_unique_within_record, kwargs: {column_list: [a, b]}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_values_to_be_unique, kwargs: {column: key}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_compound_columns_to_be_unique, kwargs: {column_list: [code, year]}, severity: critical, why: w, says: s, do: d}
- {check: consecutive_financial_year, kwargs: {column: year}, severity: critical, why: w, says: s, do: d}
- {check: null_together, kwargs: {columns: [a, b]}, severity: critical, why: w, says: s, do: d}
- {check: null_exactly_when, kwargs: {column: n, flag: flag}, severity: critical, why: w, says: s, do: d}
- {check: whole_numbers, kwargs: {column: n}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_values_to_be_between, kwargs: {column: no_such_column, min_value: 0}, severity: critical, why: w, says: s, do: d}
"""
# Not judged row by row: these get every row, and so does the rest of their suite.
WHOLE_TABLE_RULES = """
- {expectation: expect_column_values_to_be_in_set, kwargs: {column: code, value_set: [A, B, C], mostly: 0.5}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_table_row_count_to_be_between, kwargs: {min_value: 1}, severity: critical, why: w, says: s, do: d}
- {expectation: expect_column_max_to_be_between, kwargs: {column: n, max_value: 5}, severity: warning, why: w, says: s, do: d}
- {expectation: expect_column_values_to_be_in_set, kwargs: {column: code, value_set: [A, B, C]}, severity: critical, why: w, says: s, do: d}
"""


def parity_table(n: int = 3_000) -> pd.DataFrame:
    """Values that repeat, NULLs, and failures of every rule above; 250 distinct bad codes
    so that more groups fail than GX lists values for (200)."""
    i = pd.Series(range(n))
    code = pd.Series(["A", "B", "C"]).take(i % 3).reset_index(drop=True)
    code[i % 11 == 0] = "Z" + (i % 250).astype(str)
    code[i % 97 == 0] = None
    a = (i % 5).astype("Int64")
    b = (4 - i % 5).astype("Int64")
    a[i % 13 == 0], b[i % 17 == 0] = pd.NA, pd.NA
    n_ = (i % 12).astype("float64")
    n_[i % 19 == 0], n_[i % 23 == 0] = float("nan"), 2.5
    year = pd.Series(["2016/17", "2017/18", "2018/19"]).take(i % 3).reset_index(drop=True)
    year[i % 29 == 0], year[i % 31 == 0] = "2016/18", "16/17"
    return pd.DataFrame({
        "key": i.where(i % 37 != 0, 0).astype("Int64"),  # 0 repeated
        "code": code, "grp": pd.Series(["x", "y", "z"]).take(i % 3).reset_index(drop=True),
        "a": a, "b": b, "n": n_, "flag": n_.isna() | (i % 41 == 0), "year": year,
        "note": pd.Series([None] * n).where(i % 43 != 0, "a note"),
        "src": pd.Series([f"S!A{k}" for k in range(n)]).where(i % 47 != 0, None),
    })


def gx_results(kept: list[quality.GxValidation]) -> list:
    """GX's results as JSON. GX counts the partial list's values with a Counter, where a
    value holding NaN is never equal to another (NaN != NaN): seeing every row it counts
    each such row apart, the reduction reuses one value per group. The counts are compared
    per value written out."""
    out = []
    for v in kept:
        for run in v.runs:
            for r in run.results:
                result = json.loads(json.dumps(r.result, default=str, sort_keys=True))
                if "partial_unexpected_counts" in result:
                    merged: dict[str, int] = {}
                    for item in result["partial_unexpected_counts"]:
                        key = json.dumps(item["value"])
                        merged[key] = merged.get(key, 0) + item["count"]
                    result["partial_unexpected_counts"] = sorted(merged.items())
                out.append([r.success, result])
    return out


@pytest.mark.parametrize("rules", [ROW_BY_ROW_RULES, WHOLE_TABLE_RULES], ids=["row_by_row", "whole_table"])
def test_reduced_validation_equals_gx_on_every_row(tmp_path, rules):
    (tmp_path / "expectations").mkdir()
    name = "parity_rows" if rules is ROW_BY_ROW_RULES else "parity_whole"
    (tmp_path / "expectations" / "t.yaml").write_text(PARITY.format(name=name, rules=rules))
    suites = quality.load_suites(tmp_path / "expectations")
    path = tmp_path / "t.duckdb"
    write(path, t=parity_table())
    reduced_kept: list[quality.GxValidation] = []
    every_kept: list[quality.GxValidation] = []
    reduced = quality.validate_warehouse(path, suites, reduced_kept)
    every = quality.validate_warehouse(path, suites, every_kept, reduce=False)
    assert reduced == every
    assert gx_results(reduced_kept) == gx_results(every_kept)  # what Data Docs show, too
    failed = [r for r in reduced if not r.success]
    assert len(failed) >= len(suites[0].expectations) - 3  # the table breaks nearly every rule
    codes = next(r for r in reduced if r.expectation == "expect_column_values_to_be_in_set"
                 and r.column == "code" and r.severity == "critical" and r.unexpected_count)
    assert codes.unexpected_count == sum(1 for k in range(3_000) if k % 11 == 0 and k % 97 != 0)


def test_a_view_is_validated_like_a_table(tmp_path, suites):
    """A view has no rowids: it is copied into a temporary table, and the file is untouched."""
    frame = offences(2_000)
    frame.loc[1_500, ["force_code", "source"]] = ["E99999999", "Bad!A1"]
    table, view = tmp_path / "table.duckdb", tmp_path / "view.duckdb"
    write(table, offences=frame)
    write(view, base=frame)
    with duckdb.connect(str(view)) as con:
        con.execute("CREATE VIEW offences AS SELECT * FROM base")
    before = view.read_bytes()
    from_view = quality.validate_warehouse(view, [suites["offences"]])
    assert view.read_bytes() == before
    assert from_view == quality.validate_warehouse(table, [suites["offences"]])
    (bad,) = quality.blocking(from_view)
    assert bad.unexpected_examples == [{"path": frame.at[1_500, "path"], "source": "Bad!A1",
                                        "force_code": "E99999999"}]
