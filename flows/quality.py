"""Data quality: the warehouse's tables checked with Great Expectations before publishing.

The rules live in schemas/expectations/*.yaml (one suite per file) so an analyst can read
and change them. Every check runs through GX, including the ones GX has no expectation
for: a named row check (ROW_CHECKS) marks each row pass/fail and GX checks the marks,
and a cross-table comparison is built as one frame (a row per key, both sides) that a GX
column-pair expectation checks. Failing rows come back with the columns that locate
them (path and cell, or the table's key) so a reviewer can find the number.

GX costs seconds to import, so it is imported on first validation, never at import.
GX cannot validate DuckDB through duckdb-engine, and handing it a million-row fact table
as a DataFrame costs a minute and gigabytes. So DuckDB reduces each table to what each
expectation reads (a row per distinct combination of its columns, see "running" below),
GX validates those rows, and DuckDB counts and fetches the failing rows: the results are
those of GX seeing every row. GX's own result objects can be kept (`gx_validations`) for
flows/report to build Data Docs from exactly what ran, their counts rewritten as the
table's.

Every rule also says, in the team's words, what its failure means (`says`, naming the
failing cells) and what the reviewer should do (`do`); `describe` turns a failed check
into that sentence, for the run's warnings and blocked reasons.
"""
from __future__ import annotations

import csv
import json
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd
import yaml

from flows import SCHEMAS

EXPECTATIONS_DIR = SCHEMAS / "expectations"
SEVERITIES = ("critical", "warning")
MAX_EXAMPLES = 20  # failing rows kept per check; unexpected_count still counts them all
AGGREGATES = ("none", "sum", "max", "min", "count")
TABLE_PRESENT = "table_present"  # the result reported when a suite's table is missing
_ROW = "__row__"  # row number carried through GX to find the failing rows again


@dataclass
class CheckResult:
    suite: str
    expectation: str  # GX expectation type, or the name of the row check
    column: str | None
    severity: str  # critical | warning
    success: bool
    unexpected_count: int | None  # None when the check is not row by row, or could not run
    unexpected_examples: list[dict] = field(default_factory=list)
    why: str = ""
    says: str = ""  # what a failure means, in the team's words: a template ({count}, {examples})
    do: str = ""  # what the reviewer should do next


@dataclass
class GxValidation:
    """One suite's Great Expectations results as GX returned them: an
    ExpectationSuiteValidationResult per frame validated (the suite's table, then one per
    comparison). Kept so that Data Docs show what really ran, not a re-rendering."""

    suite: str
    tables: tuple[str, ...]
    runs: list[Any] = field(default_factory=list)


# --- row checks: where GX has no expectation -------------------------------------------
# Each takes the table and the YAML kwargs and says, row by row, whether the row passes.
# NULLs pass unless the check is about NULLs, as GX's own column checks do.


def consecutive_financial_year(df: pd.DataFrame, column: str, allow_span: bool = False) -> pd.Series:
    """'2016/17' passes, '2016/18' does not: the two parts must be consecutive years.
    With allow_span, a total over several years ('2015/16 to 2016/17') passes when both
    ends are years and the span runs forwards."""

    def year(text: str) -> int | None:
        m = re.fullmatch(r"(\d{4})/(\d{2})", text)
        return int(m[1]) if m and (int(m[1]) + 1) % 100 == int(m[2]) else None

    def ok(value: Any) -> bool:
        if _is_null(value):
            return True
        parts = str(value).split(" to ")
        if len(parts) == 2 and allow_span:
            start, end = year(parts[0]), year(parts[1])
            return start is not None and end is not None and start < end
        return len(parts) == 1 and year(parts[0]) is not None

    return df[column].map(ok).astype(bool)


def whole_numbers(df: pd.DataFrame, column: str) -> pd.Series:
    """Counts are whole: a fraction means a rate or a percentage was read as a count."""

    def ok(value: Any) -> bool:
        if _is_null(value):
            return True
        try:
            return float(value).is_integer()
        except (TypeError, ValueError):
            return False

    return df[column].map(ok).astype(bool)


def null_exactly_when(df: pd.DataFrame, column: str, flag: str) -> pd.Series:
    """`column` is NULL exactly in the rows where `flag` is true (and the flag is known)."""
    flags = df[flag]
    known = flags.notna()
    flagged = flags.where(known, False).astype(bool)
    return known & (df[column].isna() == flagged)


def null_together(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """The columns are all NULL or none is (e.g. both bounds of an age band)."""
    nulls = df[list(columns)].isna().sum(axis=1)
    return nulls.isin([0, len(columns)])


def classes_in_reference(df: pd.DataFrame, column: str) -> pd.Series:
    """Each '|'-separated class is one of schemas/offences.csv, and where there is one
    class the row's offence_code is it (a code that disagrees with its classes is a slip)."""
    from flows.classification import reference

    known = set(reference().classes)

    def ok(row) -> bool:
        value = row[column]
        if _is_null(value):
            return True
        classes = str(value).split("|")
        if not set(classes) <= known:
            return False
        code = row.get("offence_code")
        return (len(classes) == 1 and code == classes[0]) or (len(classes) > 1 and _is_null(code))

    return df.apply(ok, axis=1).astype(bool) if len(df) else pd.Series([], dtype=bool)


ROW_CHECKS: dict[str, Callable[..., pd.Series]] = {
    "classes_in_reference": classes_in_reference,
    "consecutive_financial_year": consecutive_financial_year,
    "whole_numbers": whole_numbers,
    "null_exactly_when": null_exactly_when,
    "null_together": null_together,
}


# --- suites as written in schemas/expectations -----------------------------------------


@dataclass(frozen=True)
class Side:
    """One side of a cross-table comparison: a table's value, aggregated per key."""

    table: str
    value: str
    aggregate: str = "none"
    not_null: tuple[str, ...] = ()

    def describe(self) -> str:
        ref = f"{self.table}.{self.value}"
        return ref if self.aggregate == "none" else f"{self.aggregate}({ref})"


@dataclass(frozen=True)
class Compare:
    key: tuple[str, ...]
    left: Side
    right: Side


@dataclass(frozen=True)
class ExpectationSpec:
    name: str  # the GX expectation type, or a ROW_CHECKS name when `row_check`
    kwargs: dict
    severity: str
    why: str
    row_check: bool = False
    compare: Compare | None = None
    says: str = ""  # a failure in the team's words; may use {count} and {examples}
    do: str = ""  # what the reviewer does about a failure

    @property
    def columns(self) -> list[str]:
        """The columns the expectation looks at, in the order they are written."""
        if self.compare:
            return ["left", "right"]
        kw = self.kwargs
        cols = [kw[k] for k in ("column", "column_A", "column_B", "flag") if k in kw]
        for k in ("column_list", "columns"):
            cols += list(kw.get(k, []))
        return cols

    @property
    def column(self) -> str | None:
        if self.compare:
            return f"{self.compare.left.describe()} vs {self.compare.right.describe()}"
        return ",".join(self.columns) or None


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    table: str | None  # None for a suite of cross-table comparisons
    expectations: tuple[ExpectationSpec, ...]
    identify_rows_by: tuple[str, ...] = ()
    path: Path | None = None

    @property
    def tables(self) -> list[str]:
        """Every table the suite reads."""
        names = [self.table] if self.table else []
        for e in self.expectations:
            if e.compare:
                names += [e.compare.left.table, e.compare.right.table]
        return list(dict.fromkeys(names))


def load_suites(dir: Path = EXPECTATIONS_DIR) -> list[SuiteSpec]:
    """Every suite under `dir`, its reference lists read from the CSVs beside it.

    A malformed suite raises ValueError naming the file: a rule that silently does not
    run is worse than a run that stops.
    """
    dir = Path(dir)
    return [_load_suite(p, dir.parent) for p in sorted(dir.glob("*.yaml"))]


def _load_suite(path: Path, schemas: Path) -> SuiteSpec:
    def fail(msg: str) -> ValueError:
        return ValueError(f"{path}: {msg}")

    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict):
        raise fail("expected a mapping with suite, table and expectations")
    unknown = set(doc) - {"suite", "table", "identify_rows_by", "expectations"}
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}")
    name = doc.get("suite") or path.stem
    specs = []
    for i, item in enumerate(doc.get("expectations") or [], start=1):
        where = f"expectation {i}"
        if not isinstance(item, dict):
            raise fail(f"{where}: expected a mapping")
        where += _naming(item)
        unknown = set(item) - {"expectation", "check", "kwargs", "severity", "why", "says", "do", "compare"}
        if unknown:
            raise fail(f"{where}: unknown keys {sorted(unknown)}")
        if ("expectation" in item) == ("check" in item):
            raise fail(f"{where}: give exactly one of 'expectation' or 'check'")
        severity = item.get("severity")
        if severity not in SEVERITIES:
            raise fail(f"{where}: severity must be one of {SEVERITIES}, not {severity!r}")
        if not str(item.get("why") or "").strip():
            raise fail(f"{where}: say why the rule matters ('why')")
        kwargs = _resolve_references(dict(item.get("kwargs") or {}), schemas, fail)
        if "check" in item:
            if item["check"] not in ROW_CHECKS:
                raise fail(f"{where}: unknown check {item['check']!r}; known: {sorted(ROW_CHECKS)}")
            if "compare" in item:
                raise fail(f"{where}: a row check cannot compare tables")
        compare = _compare(item["compare"], fail, where) if "compare" in item else None
        if compare is None and not doc.get("table"):
            raise fail(f"{where}: the suite has no table, so the expectation needs 'compare'")
        says, do = _reviewer_words(item, fail, where)
        specs.append(
            ExpectationSpec(
                name=item.get("expectation") or item["check"], kwargs=kwargs,
                severity=severity, why=" ".join(str(item["why"]).split()),
                row_check="check" in item, compare=compare, says=says, do=do,
            )
        )
    return SuiteSpec(
        name=name, table=doc.get("table"), expectations=tuple(specs),
        identify_rows_by=tuple(doc.get("identify_rows_by") or ()), path=path,
    )


def _naming(item: dict) -> str:
    """' (<type or check> on <columns>)' naming an expectation in a loader's error."""
    name = item.get("expectation") or item.get("check")
    kwargs = item.get("kwargs") if isinstance(item.get("kwargs"), dict) else {}
    cols = [kwargs[k] for k in ("column", "column_A", "column_B", "flag") if isinstance(kwargs.get(k), str)]
    for k in ("column_list", "columns"):
        if isinstance(kwargs.get(k), list):
            cols += [str(c) for c in kwargs[k]]
    if not name:
        return ""
    return f" ({name}" + (f" on {', '.join(cols)}" if cols else "") + ")"


_PLACEHOLDER = re.compile(r"\{(count|examples)\}")


def _reviewer_words(item: dict, fail: Callable[[str], ValueError], where: str) -> tuple[str, str]:
    """The expectation's `says` and `do`, whitespace folded: both required, since they are
    what a reviewer reads when the rule fails. `says` may use {count} and {examples};
    neither may name a GX expectation type (the reviewer's words, not the validator's)."""
    says = " ".join(str(item.get("says") or "").split())
    do = " ".join(str(item.get("do") or "").split())
    if not says:
        raise fail(f"{where}: say what a failure means to a reviewer ('says'), e.g. "
                   "'{count} counts are negative: {examples}'")
    if not do:
        raise fail(f"{where}: say what the reviewer should do when it fails ('do')")
    if re.search(r"[{}]", _PLACEHOLDER.sub("", says)):
        raise fail(f"{where}: 'says' may use {{count}} and {{examples}} and no other braces: {says!r}")
    if re.search(r"[{}]", do):
        raise fail(f"{where}: 'do' is plain words, not a template: {do!r}")
    for key, text in (("says", says), ("do", do)):
        if "expect_" in text:
            raise fail(f"{where}: '{key}' is for a reviewer: name what failed in the team's words, "
                       "not the expectation type")
    return says, do


def _resolve_references(kwargs: dict, schemas: Path, fail: Callable[[str], ValueError]) -> dict:
    """{from_csv: f, column: c} -> the column's values; {from_csv: f, columns: [a, b]} -> pairs."""
    for key, value in kwargs.items():
        if not (isinstance(value, dict) and "from_csv" in value):
            continue
        path = schemas / value["from_csv"]
        if not path.is_file():
            raise fail(f"{key}: no reference file {path}")
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        wanted = [value["column"]] if "column" in value else list(value.get("columns") or [])
        missing = [c for c in wanted if not rows or c not in rows[0]]
        if not wanted or missing:
            raise fail(f"{key}: {path.name} has no column(s) {missing or wanted}")
        if "column" in value:
            kwargs[key] = sorted({r[wanted[0]].strip() for r in rows if r[wanted[0]].strip()})
        else:
            kwargs[key] = sorted({tuple(r[c].strip() for c in wanted) for r in rows})
    return kwargs


def _compare(raw: Any, fail: Callable[[str], ValueError], where: str) -> Compare:
    if not isinstance(raw, dict) or not {"key", "left", "right"} <= set(raw):
        raise fail(f"{where}: compare needs key, left and right")

    def side(s: Any) -> Side:
        if not isinstance(s, dict) or not {"table", "value"} <= set(s):
            raise fail(f"{where}: each side needs table and value")
        if s.get("aggregate", "none") not in AGGREGATES:
            raise fail(f"{where}: aggregate must be one of {AGGREGATES}")
        return Side(s["table"], s["value"], s.get("aggregate", "none"), tuple(s.get("not_null") or ()))

    key = raw["key"]
    return Compare(tuple([key] if isinstance(key, str) else key), side(raw["left"]), side(raw["right"]))


# --- running -----------------------------------------------------------------------------
# Every suite runs on DuckDB: the warehouse file, or the frames handed to validate() loaded
# into an in-memory database. GX never sees a whole fact table. For each expectation DuckDB
# groups the table by what the expectation reads (one group per distinct combination of its
# columns, or just NULL / not NULL where only that matters), and GX validates the table's
# first row of each group, all expectations of the suite in one run as before. A rule that
# judges each row by its own values fails on those rows exactly when it fails on the table,
# so success is GX's own. A failing group's rows are then counted and the first failing rows
# fetched from DuckDB, so unexpected_count counts rows and the examples are the table's first
# failing rows, as when GX saw every row. An expectation that is not row by row (a table
# aggregate, `mostly`, a row_condition) gets every row: correct, only slower.

# Expectations that judge each row by the values of the columns they name.
ROW_BY_ROW = frozenset({
    "expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_be_null", "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex",
    "expect_column_values_to_match_regex_list", "expect_column_values_to_not_match_regex_list",
    "expect_column_value_lengths_to_be_between", "expect_column_value_lengths_to_equal",
    "expect_column_pair_values_to_be_equal", "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_column_pair_values_to_be_in_set",
    "expect_multicolumn_sum_to_equal", "expect_select_column_values_to_be_unique_within_record",
})
# Expectations that judge a row by whether another row repeats its values: GX is given a
# second row of every repeated combination.
REPEATS = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})
# Expectations for which a value matters only as NULL or not.
NULL_ONLY = frozenset({"expect_column_values_to_not_be_null"})
# Columns a row check reads beyond those its kwargs name. The table is grouped by the
# columns a check reads, so a check must declare every column it looks at.
ROW_CHECK_READS: dict[str, tuple[str, ...]] = {"classes_in_reference": ("offence_code",)}


def validate(
    tables: dict[str, pd.DataFrame],
    suites: Iterable[SuiteSpec] | None = None,
    gx_validations: list[GxValidation] | None = None,
    *,
    reduce: bool = True,
) -> list[CheckResult]:
    """Run the suites (all of schemas/expectations by default) on the given tables.

    A suite whose table is not given fails (critical) rather than being skipped: a
    missing table is never a passing one. Pass `suites` to check only some tables.
    Pass a list as `gx_validations` to have each suite's GX results appended to it.
    The frames are copied into an in-memory DuckDB and checked as a warehouse file is;
    `reduce=False` hands GX every row (the slow reference the reduced run must equal).
    """
    import duckdb

    with duckdb.connect() as con:
        for name, frame in tables.items():
            con.register("__quality_frame", frame)
            try:
                con.execute(f"CREATE TABLE {_q(name)} AS SELECT * FROM __quality_frame")
            finally:
                con.unregister("__quality_frame")
        return _validate(_Tables(con), suites, gx_validations, reduce)


def validate_warehouse(
    path: Path | str,
    suites: Iterable[SuiteSpec] | None = None,
    gx_validations: list[GxValidation] | None = None,
    *,
    reduce: bool = True,
) -> list[CheckResult]:
    """Validate a DuckDB warehouse file, opened read-only so checking never changes it."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return _validate(_Tables(con), suites, gx_validations, reduce)


def _validate(
    tables: _Tables, suites: Iterable[SuiteSpec] | None, gx_validations: list[GxValidation] | None,
    reduce: bool,
) -> list[CheckResult]:
    results: list[CheckResult] = []
    session = _Gx()
    for suite in load_suites() if suites is None else list(suites):
        runs: list[Any] = []
        missing = [t for t in suite.tables if tables.relation(t) is None]
        results += [_missing_table(suite, t) for t in missing]
        plain = [e for e in suite.expectations if not e.compare]
        if plain and suite.table not in missing:
            results += _check_table(session, tables, suite, plain, runs, reduce)
        for i, spec in enumerate(e for e in suite.expectations if e.compare):
            if spec.compare.left.table not in missing and spec.compare.right.table not in missing:
                results.append(_check_comparison(session, tables, suite, spec, i, runs))
        if gx_validations is not None and runs:
            gx_validations.append(GxValidation(suite.name, tuple(suite.tables), runs))
    return results


def blocking(results: Iterable[CheckResult]) -> list[CheckResult]:
    """The failures that stop a warehouse being published."""
    return [r for r in results if not r.success and r.severity == "critical"]


def results_frame(results: Iterable[CheckResult], run_id: str) -> pd.DataFrame:
    """The rows of the warehouse's validation_results table."""
    rows = [
        {
            "run_id": run_id, "suite": r.suite, "expectation": r.expectation,
            "column_name": r.column, "severity": r.severity, "success": bool(r.success),
            "unexpected_count": r.unexpected_count,
            "unexpected_examples": json.dumps(r.unexpected_examples, default=str, sort_keys=True),
        }
        for r in results
    ]
    columns = ["run_id", "suite", "expectation", "column_name", "severity", "success",
               "unexpected_count", "unexpected_examples"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["success"] = frame["success"].astype(bool)
    frame["unexpected_count"] = frame["unexpected_count"].astype("Int64")
    return frame


# --- what a reviewer reads ----------------------------------------------------------------

SHOWN_EXAMPLES = 3  # failing rows a message names; the rest are counted ("and 4 more")
_NOTES = ("message", "personal_data")  # free text written for people: shown as written


def describe(check: CheckResult) -> str:
    """The failed check as the reviewer reads it: its `says` filled in (the count, and the
    first failing rows as cells to open: 'path!Sheet!B7', 'path line 12'), then
    "What to do: " and its `do`. A check that could not run says so, and what to do.

    A function of the CheckResult alone: it reads the result's fields, never the text
    of a message, and nothing decides anything by the sentence it returns."""
    errors = [str(e["error"]) for e in check.unexpected_examples if isinstance(e, dict) and e.get("error")]
    if not check.success and check.unexpected_count is None and errors:
        return _could_not_run(check, errors)
    rows = [e for e in check.unexpected_examples if isinstance(e, dict)]
    examples = _examples_text(check, rows)
    if check.says:
        text = _PLACEHOLDER.sub(
            lambda m: _count_text(check, rows) if m[1] == "count" else examples or "none listed",
            check.says)
        if examples and "{examples}" not in check.says:
            text = _sentence(text, end="") + f": {examples}"
    else:  # a result built outside a suite (the shrink guard's): its own messages, if any
        messages = [str(e["message"]) for e in rows if e.get("message")]
        text = "; ".join(messages) or (f"a check failed: {examples}" if examples else "a check failed")
    do = check.do or f"see the {check.suite} checks in the run report"
    return f"{check.suite}: {_sentence(text)} What to do: {_sentence(do)}"


def _could_not_run(check: CheckResult, errors: list[str]) -> str:
    if check.expectation == TABLE_PRESENT:
        text, do = check.says or f"a table is missing ({'; '.join(errors)})", check.do
    else:
        text = (f"a check could not run ({'; '.join(errors)}), so this was not checked: "
                + (check.why or check.says or "(the rule gives no reason)"))
        do = (f"the rule in the {check.suite} suite (schemas/expectations/) reads a column or "
              f"table the warehouse does not have, or the rule itself is wrong: fix whichever it "
              "is and run again. Until it runs, treat what it guards as unchecked")
    return f"{check.suite}: {_sentence(text)} What to do: {_sentence(do or 'fix the cause and run again')}"


def _count_text(check: CheckResult, rows: list[dict]) -> str:
    if check.unexpected_count is not None:
        return str(check.unexpected_count)
    return str(len(rows)) if rows else "some"


def _examples_text(check: CheckResult, rows: list[dict]) -> str:
    """The first SHOWN_EXAMPLES failing rows, each where to find it, and how many more."""
    shown = [t for t in (_example_text(check, e) for e in rows[:SHOWN_EXAMPLES]) if t]
    total = max(check.unexpected_count or 0, len(rows))
    more = total - len(shown) if shown else 0
    return "; ".join(shown) + (f" and {more} more" if more > 0 else "")


def _example_text(check: CheckResult, example: dict) -> str:
    """One failing row as a person finds it: the file and cell ('path!Data!D7', 'path line
    12'), else who and when ('Kent, 2016/17, round 2017-...'); then the values the rule
    read, and any note written for people (a reason, where personal data was seen)."""
    checked = set((check.column or "").split(","))
    path, source = example.get("path"), example.get("source")
    rest = {k: v for k, v in example.items() if k not in ("error", "path", "source", *_NOTES)}
    missing = [k for k in ("path", "source") if k in example and not example[k]]
    if path or source:
        if path and source:
            place = f"{path} {source}" if str(source).startswith("line") else f"{path}!{source}"
        else:
            place = str(path or source)
        rest.pop("round", None)  # a path starts with its round
    else:
        force = example.get("force_name") or example.get("force_code")
        who = [str(force)] if force else []
        who += [str(example["financial_year"])] if example.get("financial_year") else []
        who += [f"round {example['round']}"] if example.get("round") else []
        place = ", ".join(who)
        for k in ("force_name", "financial_year", "round"):
            rest.pop(k, None)
        if example.get("force_code") == force:
            rest.pop("force_code", None)
    if example.get("force_name") and "force_code" not in checked:
        rest.pop("force_code", None)  # the name says which force
    values = [f"no {_words(k)}" for k in missing]
    if "left" in rest and "right" in rest:  # a comparison: its two sides
        values.append(f"{_value(rest.pop('left'))} vs {_value(rest.pop('right'))}")
    values += [f"{_words(k)} {_value(v)}" if v is not None else f"no {_words(k)}"
               for k, v in rest.items() if v is not None or k in checked]
    notes = [str(example[k]) for k in _NOTES if example.get(k)]
    text = f"{place} ({', '.join(values)})" if place and values else place or ", ".join(values)
    return text + (f": {'; '.join(notes)}" if notes else "")


def _words(column: str) -> str:
    return {"observed_value": "found"}.get(column, column.replace("_", " "))


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _sentence(text: str, end: str = ".") -> str:
    """`text` with its first letter capitalised, ending in one full stop (or, with
    end='', in none: for a colon to follow)."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    if end:
        return text if text.endswith((".", "!", "?")) else text + end
    return text.rstrip(".:; ")


def _missing_table(suite: SuiteSpec, table: str) -> CheckResult:
    return CheckResult(
        suite=suite.name, expectation=TABLE_PRESENT, column=None, severity="critical",
        success=False, unexpected_count=None,
        unexpected_examples=[{"error": f"table {table!r} is missing"}],
        why="A suite's table must exist; a missing table is never a passing one.",
        says=f"the warehouse has no table {table}, so none of the {suite.name} checks ran",
        do=(f"a stage before validation did not build {table}: read this run's errors and log "
            "(a failed load, or a renamed table in schemas/warehouse.sql or schemas/marts/), fix "
            "the cause and run again; a missing table is never taken as a passing one"),
    )


class _Tables:
    """The tables of a DuckDB connection, each as a relation with rowids (a view is copied
    into a temporary table: rowids are how rows are found again)."""

    def __init__(self, con: Any):
        self.con = con
        self._relations: dict[str, str | None] = {}
        self._columns: dict[str, list[str]] = {}

    def relation(self, name: str) -> str | None:
        """The SQL name to read `name` from, None if there is no such table."""
        import duckdb

        if name not in self._relations:
            relation: str | None = _q(name)
            try:
                self.con.execute(f"SELECT rowid FROM {relation} LIMIT 0")
            except duckdb.CatalogException:
                relation = None  # reported as a missing table
            except duckdb.BinderException:  # a view
                relation = _q(f"__quality_{name}")
                self.con.execute(f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT * FROM {_q(name)}")
            self._relations[name] = relation
        return self._relations[name]

    def columns(self, name: str) -> list[str]:
        if name not in self._columns:
            cursor = self.con.execute(f"SELECT * FROM {self.relation(name)} LIMIT 0")
            self._columns[name] = [d[0] for d in cursor.description]
        return self._columns[name]

    def frame(self, name: str, columns: Iterable[str]) -> pd.DataFrame:
        """The table's rows in order, with those of `columns` it has."""
        have = [c for c in dict.fromkeys(columns) if c in self.columns(name)]
        select = ", ".join(_q(c) for c in have) or "NULL AS __none"
        df = self.con.execute(f"SELECT {select} FROM {self.relation(name)} ORDER BY rowid").df()
        return df[have]


@dataclass
class _Plan:
    """How one expectation of a table suite runs: the SQL it groups the table by, and the
    groups (first and last rowid, rows, whether GX counts them as missing)."""

    spec: ExpectationSpec
    keys: tuple[str, ...]
    repeats: bool = False
    missing: str | None = None  # SQL: the rows GX leaves out as missing; None if unknown
    expectation: Any = None  # the GX expectation (for a row check: made once marks exist)
    groups: pd.DataFrame | None = None


def _check_table(
    session: _Gx, tables: _Tables, suite: SuiteSpec, specs: list[ExpectationSpec], runs: list[Any], reduce: bool
) -> list[CheckResult]:
    con, relation, columns = tables.con, tables.relation(suite.table), tables.columns(suite.table)
    plans = [_plan(suite, spec, n, columns, reduce) for n, spec in enumerate(specs)]
    grouped: dict[tuple, pd.DataFrame] = {}
    for plan in plans:
        by = (plan.keys, plan.missing)
        if by not in grouped:
            group_by = f"GROUP BY {', '.join(plan.keys)}" if plan.keys else "HAVING count(*) > 0"
            grouped[by] = con.execute(
                f"SELECT min(rowid) AS gid, max(rowid) AS gid2, count(*) AS n, "
                f"bool_or({plan.missing or 'FALSE'}) AS missing FROM {relation} {group_by}"
            ).df()
        plan.groups = grouped[by]
    total = int(con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0])
    # GX's rows: the first of each group, and a second of each repeated one where repeats count
    rows = set().union(*(set(p.groups["gid"].tolist()) for p in plans),
                       *(set(p.groups["gid2"].tolist()) for p in plans if p.repeats))
    predicates = list(dict.fromkeys(p.missing for p in plans if p.missing))
    flags = "".join(f", ({p}) AS __missing_{i}" for i, p in enumerate(predicates))
    where = "" if len(rows) == total else "WHERE rowid IN (SELECT unnest(?::BIGINT[]))"
    sample = con.execute(
        f"SELECT *, rowid AS {_q(_ROW)}{flags} FROM {relation} {where} ORDER BY rowid",
        [sorted(rows)] if where else [],
    ).df()
    # how many of GX's rows are missing by our reckoning, to check GX reckons the same
    sample_missing = {p: int(sample.pop(f"__missing_{i}").sum()) for i, p in enumerate(predicates)}
    table = sample.drop(columns=[_ROW])
    frame = _gx_frame(sample)

    failed: dict[int, CheckResult] = {}
    for i, plan in enumerate(plans):
        spec = plan.spec
        if not spec.row_check:
            continue
        try:
            marks = ROW_CHECKS[spec.name](table, **spec.kwargs)
        except KeyError as e:
            failed[i] = _error(suite, spec, f"column {e} is missing")
            continue
        # The mark column is named after the check: Data Docs show it as the column checked.
        mark = _unused(frame, f"{spec.name}({spec.column})")
        frame[mark] = marks.to_numpy(dtype=bool)
        plan.expectation = _expectation(suite, "expect_column_values_to_be_in_set",
                                        {"column": mark, "value_set": [True]}, spec.severity, i)
    runnable = [p for i, p in enumerate(plans) if i not in failed]
    outcomes = iter(_run_gx(session, suite.name, frame, [p.expectation for p in runnable], runs,
                            partial_count=max(len(frame), MAX_EXAMPLES)))
    results = []
    for i, plan in enumerate(plans):
        if i in failed:
            results.append(failed[i])
            continue
        outcome = next(outcomes)
        if "partial_unexpected_index_list" in (outcome.result or {}):
            results.append(_counted_result(tables, suite, plan, outcome, columns, total,
                                           sample_missing.get(plan.missing)))
        else:
            results.append(_result(suite, plan.spec, outcome, table, suite.identify_rows_by))
    return results


def _plan(suite: SuiteSpec, spec: ExpectationSpec, n: int, columns: list[str], reduce: bool) -> _Plan:
    """What `spec` reads, as the SQL to group the table by: each row its own group where
    the expectation is not judged row by row (or `reduce` is off)."""
    kwargs = spec.kwargs
    if spec.row_check:
        reads = [*spec.columns, *ROW_CHECK_READS.get(spec.name, ())]
        keys = tuple(_q(c) for c in dict.fromkeys(reads) if c in columns)
        return _Plan(spec, keys if reduce else ("rowid",), missing="FALSE")
    expectation = _expectation(suite, spec.name, kwargs, spec.severity, n)
    missing = _missing_sql(expectation, columns)
    row_by_row = (
        spec.name in ROW_BY_ROW | REPEATS
        and kwargs.get("mostly", 1) in (None, 1)
        and not {"row_condition", "condition_parser"} & set(kwargs)
    )
    if not (reduce and row_by_row):
        return _Plan(spec, ("rowid",), missing=missing, expectation=expectation)
    keys = tuple(f"({_q(c)} IS NULL)" if spec.name in NULL_ONLY else _q(c)
                 for c in dict.fromkeys(spec.columns) if c in columns)
    return _Plan(spec, keys, repeats=spec.name in REPEATS, missing=missing, expectation=expectation)


def _missing_sql(expectation: Any, columns: list[str]) -> str | None:
    """The rows GX leaves out of a map expectation as missing (NULLs, or as ignore_row_if
    says), as SQL; None where that is not known. Only for the counts Data Docs show."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    ignore = getattr(expectation, "ignore_row_if", None)
    if isinstance(expectation, ColumnMapExpectation):
        names, join = [expectation.column], " AND "
    elif isinstance(expectation, ColumnPairMapExpectation):
        names = [expectation.column_A, expectation.column_B]
        join = {"both_values_are_missing": " AND ", "either_value_is_missing": " OR ", "neither": ""}.get(
            ignore if isinstance(ignore, str) else "")
    elif isinstance(expectation, MulticolumnMapExpectation):
        names = list(expectation.column_list)
        join = {"all_values_are_missing": " AND ", "any_value_is_missing": " OR ", "never": ""}.get(
            ignore if isinstance(ignore, str) else "")
    else:
        return None
    if join is None or any(c not in columns for c in names):
        return None
    return "(" + join.join(f"{_q(c)} IS NULL" for c in names) + ")" if join else "FALSE"


def _counted_result(tables: _Tables, suite: SuiteSpec, plan: _Plan, outcome: Any, columns: list[str],
                    total: int, sample_missing: int | None) -> CheckResult:
    """A map expectation's result counted over the table: GX flagged the first row of each
    failing group; the groups' rows are counted and the first of them fetched."""
    result = outcome.result
    index = result["partial_unexpected_index_list"]
    if result.get("unexpected_count") is not None and len(index) < result["unexpected_count"]:
        raise RuntimeError(f"{suite.name}: GX listed {len(index)} of {result['unexpected_count']} "
                           "failing rows; every one is needed to count the table's")
    groups = plan.groups
    failing = groups[groups["gid"].isin({int(item[_ROW]) for item in index})]
    count = int(failing["n"].sum())
    shown = [c for c in dict.fromkeys([*suite.identify_rows_by, *plan.spec.columns]) if c in columns]
    rows = _failing_rows(tables, suite.table, plan.keys, failing["gid"].tolist(), shown) if count else None
    examples = [] if rows is None else [
        {c: _plain(row[c]) for c in shown} for row in rows.to_dict("records")]
    missing = None
    if sample_missing is not None and sample_missing == result.get("missing_count"):
        missing = int(groups.loc[groups["missing"].astype(bool), "n"].sum())
    _count_rows(result, total, count, missing, rows)
    return CheckResult(
        suite=suite.name, expectation=plan.spec.name, column=plan.spec.column,
        severity=plan.spec.severity, success=bool(outcome.success), unexpected_count=count,
        unexpected_examples=examples, why=plan.spec.why, says=plan.spec.says, do=plan.spec.do,
    )


def _failing_rows(tables: _Tables, table: str, keys: tuple[str, ...], groups: list[int],
                  columns: list[str]) -> pd.DataFrame:
    """The first MAX_EXAMPLES rows (in table order) in the groups whose first rows are
    `groups`, with `columns`, their rowid (__rowid) and their group's (__gid)."""
    relation = tables.relation(table)
    named = "".join(f", {k} AS __k{i}" for i, k in enumerate(keys))
    on = " AND ".join(f"x.__k{i} IS NOT DISTINCT FROM g.__k{i}" for i in range(len(keys))) or "TRUE"
    return tables.con.execute(
        f"""WITH g AS (SELECT rowid AS __gid{named} FROM {relation}
                       WHERE rowid IN (SELECT unnest(?::BIGINT[]))),
                 x AS (SELECT rowid AS __rowid{named}{''.join(', ' + _q(c) for c in columns)} FROM {relation})
            SELECT x.__rowid, g.__gid{''.join(', x.' + _q(c) for c in columns)}
            FROM x JOIN g ON {on} ORDER BY x.__rowid LIMIT {MAX_EXAMPLES}""",
        [groups],
    ).df()


def _count_rows(result: dict, total: int, count: int, missing: int | None, rows: pd.DataFrame | None) -> None:
    """GX's summary of the rows it saw, rewritten as that of the whole table (for Data
    Docs): counts and percentages as GX computes them, and the partial lists of the first
    failing rows, as GX would have listed them had it seen every row."""
    index = result["partial_unexpected_index_list"]
    values = result.get("partial_unexpected_list")
    by_row = {int(item[_ROW]): item for item in index}
    value_of = {} if values is None else dict(zip((int(item[_ROW]) for item in index), values))
    pairs = [] if rows is None else list(zip(rows["__rowid"].tolist(), rows["__gid"].tolist()))
    result["partial_unexpected_index_list"] = [  # the row number keeps the type GX gave it
        {**by_row[g], _ROW: type(by_row[g][_ROW])(r)} for r, g in pairs]
    if values is not None and all(g in value_of for _, g in pairs):
        values = [value_of[g] for _, g in pairs]
        result["partial_unexpected_list"] = values
        if "partial_unexpected_counts" in result:
            hashable = [tuple(v.values()) if isinstance(v, dict) else v for v in values]
            try:
                common = Counter(hashable).most_common(MAX_EXAMPLES)
                result["partial_unexpected_counts"] = [
                    {"value": value, "count": n} for value, n in sorted(common, key=lambda x: (-x[1], x[0]))]
            except TypeError:
                result.pop("partial_unexpected_counts")
    elif values is not None:
        result["partial_unexpected_list"] = values[:MAX_EXAMPLES]

    def percent(part: int, whole: int) -> float | None:
        return part / whole * 100 if whole else None

    result["element_count"], result["unexpected_count"] = total, count
    if "missing_count" in result and missing is not None:
        result["missing_count"] = missing
        result["missing_percent"] = percent(missing, total)
        result["unexpected_percent_total"] = percent(count, total)
        nonmissing = percent(count, total - missing) if total else None
        result["unexpected_percent_nonmissing"] = result["unexpected_percent"] = nonmissing
    else:  # not known for the table: shown as GX shows an expectation without missing values
        for key in ("missing_count", "missing_percent", "unexpected_percent_total",
                    "unexpected_percent_nonmissing"):
            result.pop(key, None)
        result["unexpected_percent"] = percent(count, total)


def _check_comparison(
    session: _Gx, tables: _Tables, suite: SuiteSpec, spec: ExpectationSpec, i: int, runs: list[Any]
) -> CheckResult:
    compare = spec.compare
    assert compare is not None
    needed: dict[str, list[str]] = {}
    for s in (compare.left, compare.right):
        needed.setdefault(s.table, []).extend([*compare.key, s.value, *s.not_null])
    try:
        both = _comparison_frame(compare, {t: tables.frame(t, cols) for t, cols in needed.items()})
    except KeyError as e:
        return _error(suite, spec, f"column {e} is missing")
    # GX sees the sides under their own names ('sum(force_year_totals.offences)'), so Data
    # Docs say what was compared; the examples keep `left` and `right`.
    frame = _gx_frame(both)
    left = _unused(frame, compare.left.describe())
    frame = frame.rename(columns={"left": left})
    right = _unused(frame, compare.right.describe())
    frame = frame.rename(columns={"right": right})
    kwargs = {**spec.kwargs, "column_A": left, "column_B": right}
    expectation = _expectation(suite, spec.name, kwargs, spec.severity, 0)
    (outcome,) = _run_gx(session, f"{suite.name}_{i}", frame, [expectation], runs)
    return _result(suite, spec, outcome, both, compare.key)


def _unused(frame: pd.DataFrame, name: str) -> str:
    """`name`, or `name #2`, `name #3`... if the frame already has a column by that name."""
    candidate, n = name, 1
    while candidate in frame.columns:
        n += 1
        candidate = f"{name} #{n}"
    return candidate


def _comparison_frame(compare: Compare, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per key with the two sides as columns `left` and `right`."""
    key = list(compare.key)

    def side(s: Side, as_name: str) -> pd.DataFrame:
        df = tables[s.table]
        if s.not_null:
            df = df.dropna(subset=list(s.not_null))
        df = df[key].assign(**{as_name: pd.to_numeric(df[s.value], errors="coerce").astype("float64")})
        if s.aggregate == "none":
            return df
        grouped = df.groupby(key, dropna=False, sort=True)[as_name]
        if s.aggregate == "sum":
            out = grouped.sum(min_count=1)  # all NULL stays NULL: no known count is not 0
        else:
            out = getattr(grouped, s.aggregate)()
        return out.astype("float64").reset_index()

    both = side(compare.left, "left").merge(side(compare.right, "right"), on=key, how="outer")
    return both.sort_values(key, na_position="last").reset_index(drop=True)


# --- GX --------------------------------------------------------------------------------

def quiet_context() -> Any:
    """A new ephemeral GX context (nothing written to disk) that prints nothing: GX
    announces its temporary docs folder at INFO and draws progress bars on every run,
    noise in `foi refresh`. Validation keeps one; each run's Data Docs get their own."""
    import logging

    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")]:
        logging.getLogger(name).setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


# GX is not documented as safe to run from several threads at once: validations in
# threads (a refresh, a test) take turns at it, each with its own context.
_gx_lock = threading.Lock()


class _Gx:
    """GX, a validation context and its pandas data source: one per validation of a
    warehouse, so no state is shared between validations (a refresh's threads, a test's
    many warehouses) and a context never fills with earlier runs' suites (each added
    expectation would then be written to its store again)."""

    def __init__(self) -> None:
        import great_expectations as gx

        self.gx = gx
        self.context = quiet_context()
        self.source = self.context.data_sources.add_pandas(name="quality")


def _expectation(suite: SuiteSpec, etype: str, kwargs: dict, severity: str, n: int) -> Any:
    """The GX expectation of type `etype`; a type or kwargs GX refuses stop validation,
    naming the suite's file. `n` (kept in meta) orders the results as the suite does."""
    import great_expectations  # noqa: F401 - registers the expectation types
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        return get_expectation_impl(etype)(**kwargs, severity=severity, meta={"n": n})
    except (ExpectationNotFoundError, ValueError, TypeError) as e:
        raise ValueError(f"{suite.path or suite.name}: {etype} {kwargs}: {e}") from e


def _run_gx(
    session: _Gx, name: str, frame: pd.DataFrame, expectations: list[Any], runs: list[Any],
    partial_count: int = MAX_EXAMPLES,
) -> list[Any]:
    """Validate `frame` against the expectations; results in the same order. GX's whole
    result for the frame is appended to `runs`. GX lists up to `partial_count` failing rows."""
    gx, context, source = session.gx, session.context, session.source
    with _gx_lock:
        gx_suite = gx.ExpectationSuite(name=name)
        for expectation in expectations:
            gx_suite.add_expectation(expectation)
        try:
            asset = source.get_asset(name)
        except LookupError:
            asset = source.add_dataframe_asset(name=name)
        try:
            batch = asset.get_batch_definition("whole")
        except KeyError:
            batch = asset.add_batch_definition_whole_dataframe("whole")
        gx_suite = context.suites.add_or_update(gx_suite)
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)
        )
        run = definition.run(
            batch_parameters={"dataframe": frame},
            result_format={
                "result_format": "SUMMARY",
                "unexpected_index_column_names": [_ROW],
                "partial_unexpected_count": partial_count,
            },
        )
    outcomes = sorted(run.results, key=lambda r: r.expectation_config.meta["n"])
    if len(outcomes) != len(expectations):
        raise RuntimeError(f"GX returned {len(outcomes)} results for {len(expectations)} expectations")
    runs.append(run)
    return outcomes


def _gx_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy GX can compute on: nullable integers and decimals as floats (pd.NA breaks
    GX's column-pair checks), plus the row number that finds failing rows again (the
    rowid, where the frame has one already)."""
    out = df.reset_index(drop=True).copy()
    for name in out.columns:
        if name == _ROW:
            continue
        col = out[name]
        if pd.api.types.is_extension_array_dtype(col.dtype) and pd.api.types.is_numeric_dtype(col.dtype):
            if pd.api.types.is_bool_dtype(col.dtype):
                out[name] = col.astype(object).where(col.notna(), None)
            else:
                out[name] = col.astype("float64")
        elif col.dtype == object and col.map(lambda v: isinstance(v, Decimal)).any():
            out[name] = col.map(lambda v: None if _is_null(v) else float(v)).astype("float64")
    if _ROW not in out.columns:
        out[_ROW] = range(len(out))
    return out


def _result(suite: SuiteSpec, spec: ExpectationSpec, outcome: Any, original: pd.DataFrame,
            identify: Iterable[str]) -> CheckResult:
    result = dict(outcome.result or {})
    count = result.get("unexpected_count")
    if "partial_unexpected_index_list" in result:
        rows = [int(item[_ROW]) for item in result["partial_unexpected_index_list"]][:MAX_EXAMPLES]
        examples = _examples(original, rows, [*identify, *spec.columns])
    elif not outcome.success and _exception_message(outcome):
        # a column the rule reads that the table lacks is said so, in words a person reads
        absent = [c for c in spec.columns if c not in original.columns]
        error = (f"the table {suite.table or suite.name} has no column {', '.join(absent)}" if absent
                 else _exception_message(outcome))
        examples = [{"error": error}]
    elif "observed_value" in result:
        examples = [{"observed_value": _plain(result["observed_value"])}]
    else:
        examples = []
    return CheckResult(
        suite=suite.name, expectation=spec.name, column=spec.column, severity=spec.severity,
        success=bool(outcome.success), unexpected_count=None if count is None else int(count),
        unexpected_examples=examples, why=spec.why, says=spec.says, do=spec.do,
    )


def _examples(df: pd.DataFrame, rows: list[int], columns: list[str]) -> list[dict]:
    columns = [c for c in dict.fromkeys(columns) if c in df.columns]
    return [{c: _plain(df.at[row, c]) for c in columns} for row in rows]


def _error(suite: SuiteSpec, spec: ExpectationSpec, message: str) -> CheckResult:
    return CheckResult(
        suite=suite.name, expectation=spec.name, column=spec.column, severity=spec.severity,
        success=False, unexpected_count=None, unexpected_examples=[{"error": message}], why=spec.why,
        says=spec.says, do=spec.do,
    )


def _exception_message(outcome: Any) -> str:
    info = outcome.exception_info or {}
    if "exception_message" in info:
        return str(info.get("exception_message") or "") if info.get("raised_exception") else ""
    messages = [str(v.get("exception_message")) for v in info.values() if isinstance(v, dict)]
    return "; ".join(dict.fromkeys(m for m in messages if m and m != "None"))


def _is_null(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """A JSON-friendly value: numpy scalars unwrapped, NULLs as None, whole floats as ints."""
    if _is_null(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        value = value.item()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _q(name: str) -> str:
    """`name` as a DuckDB identifier."""
    return '"' + str(name).replace('"', '""') + '"'
