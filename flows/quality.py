"""Data quality: the warehouse's tables checked with Great Expectations before publishing.

The rules live in schemas/expectations/*.yaml (one suite per file) so an analyst can read
and change them. Every check runs through GX, including the ones GX has no expectation
for: a named row check (ROW_CHECKS) marks each row pass/fail and GX checks the marks,
and a cross-table comparison is built as one frame (a row per key, both sides) that a GX
column-pair expectation checks. Failing rows come back with the columns that locate
them (path and cell, or the table's key) so a reviewer can find the number.

GX costs seconds to import, so it is imported on first validation, never at import.
GX cannot validate DuckDB through duckdb-engine: tables are read out as DataFrames.
GX's own result objects can be kept (`gx_validations`) for flows/report to build Data
Docs from exactly what ran.
"""
from __future__ import annotations

import csv
import json
import math
import re
import threading
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
        unknown = set(item) - {"expectation", "check", "kwargs", "severity", "why", "compare"}
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
        specs.append(
            ExpectationSpec(
                name=item.get("expectation") or item["check"], kwargs=kwargs,
                severity=severity, why=" ".join(str(item["why"]).split()),
                row_check="check" in item, compare=compare,
            )
        )
    return SuiteSpec(
        name=name, table=doc.get("table"), expectations=tuple(specs),
        identify_rows_by=tuple(doc.get("identify_rows_by") or ()), path=path,
    )


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


def validate(
    tables: dict[str, pd.DataFrame],
    suites: Iterable[SuiteSpec] | None = None,
    gx_validations: list[GxValidation] | None = None,
) -> list[CheckResult]:
    """Run the suites (all of schemas/expectations by default) on the given tables.

    A suite whose table is not given fails (critical) rather than being skipped: a
    missing table is never a passing one. Pass `suites` to check only some tables.
    Pass a list as `gx_validations` to have each suite's GX results appended to it.
    """
    results: list[CheckResult] = []
    for suite in load_suites() if suites is None else suites:
        runs: list[Any] = []
        missing = [t for t in suite.tables if t not in tables]
        results += [_missing_table(suite, t) for t in missing]
        plain = [e for e in suite.expectations if not e.compare]
        if plain and suite.table not in missing:
            results += _check_table(suite, plain, tables[suite.table], runs)
        for i, spec in enumerate(e for e in suite.expectations if e.compare):
            if spec.compare.left.table not in missing and spec.compare.right.table not in missing:
                results.append(_check_comparison(suite, spec, i, tables, runs))
        if gx_validations is not None and runs:
            gx_validations.append(GxValidation(suite.name, tuple(suite.tables), runs))
    return results


def validate_warehouse(
    path: Path | str,
    suites: Iterable[SuiteSpec] | None = None,
    gx_validations: list[GxValidation] | None = None,
) -> list[CheckResult]:
    """Validate a DuckDB warehouse file, opened read-only so checking never changes it."""
    import duckdb

    suites = load_suites() if suites is None else list(suites)
    tables: dict[str, pd.DataFrame] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for name in dict.fromkeys(t for s in suites for t in s.tables):
            try:
                tables[name] = con.table(name).df()
            except duckdb.CatalogException:
                pass  # reported by validate() as a missing table
    return validate(tables, suites, gx_validations)


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


def _missing_table(suite: SuiteSpec, table: str) -> CheckResult:
    return CheckResult(
        suite=suite.name, expectation=TABLE_PRESENT, column=None, severity="critical",
        success=False, unexpected_count=None,
        unexpected_examples=[{"error": f"table {table!r} is missing"}],
        why="A suite's table must exist; a missing table is never a passing one.",
    )


def _check_table(
    suite: SuiteSpec, specs: list[ExpectationSpec], table: pd.DataFrame, runs: list[Any]
) -> list[CheckResult]:
    table = table.reset_index(drop=True)
    frame = _gx_frame(table)
    runnable: list[tuple[ExpectationSpec, str, dict]] = []
    failed: dict[int, CheckResult] = {}
    for i, spec in enumerate(specs):
        if not spec.row_check:
            runnable.append((spec, spec.name, spec.kwargs))
            continue
        try:
            marks = ROW_CHECKS[spec.name](table, **spec.kwargs)
        except KeyError as e:
            failed[i] = _error(suite, spec, f"column {e} is missing")
            continue
        # The mark column is named after the check: Data Docs show it as the column checked.
        mark = _unused(frame, f"{spec.name}({spec.column})")
        frame[mark] = marks.to_numpy(dtype=bool)
        runnable.append((spec, "expect_column_values_to_be_in_set", {"column": mark, "value_set": [True]}))
    outcomes = iter(_run_gx(suite, suite.name, frame, [(t, kw, s.severity) for s, t, kw in runnable], runs))
    results = []
    for i, spec in enumerate(specs):
        if i in failed:
            results.append(failed[i])
        else:
            results.append(_result(suite, spec, next(outcomes), table, suite.identify_rows_by))
    return results


def _check_comparison(
    suite: SuiteSpec, spec: ExpectationSpec, i: int, tables: dict[str, pd.DataFrame], runs: list[Any]
) -> CheckResult:
    compare = spec.compare
    assert compare is not None
    try:
        both = _comparison_frame(compare, tables)
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
    (outcome,) = _run_gx(suite, f"{suite.name}_{i}", frame, [(spec.name, kwargs, spec.severity)], runs)
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

_gx_lock = threading.Lock()
_gx_state: tuple[Any, Any, Any] | None = None


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


def _gx() -> tuple[Any, Any, Any]:
    """GX, the validation context and its pandas data source."""
    global _gx_state
    if _gx_state is None:
        import great_expectations as gx

        context = quiet_context()
        _gx_state = (gx, context, context.data_sources.add_pandas(name="quality"))
    return _gx_state


def _run_gx(
    suite: SuiteSpec, name: str, frame: pd.DataFrame, expectations: list[tuple[str, dict, str]],
    runs: list[Any],
) -> list[Any]:
    """Validate `frame` against (type, kwargs, severity) triples; results in the same order.
    GX's whole result for the frame is appended to `runs`."""
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.registry import get_expectation_impl

    with _gx_lock:
        gx, context, source = _gx()
        gx_suite = gx.ExpectationSuite(name=name)
        for n, (etype, kwargs, severity) in enumerate(expectations):
            try:
                expectation = get_expectation_impl(etype)(**kwargs, severity=severity, meta={"n": n})
            except (ExpectationNotFoundError, ValueError, TypeError) as e:
                raise ValueError(f"{suite.path or suite.name}: {etype} {kwargs}: {e}") from e
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
                "partial_unexpected_count": MAX_EXAMPLES,
            },
        )
    outcomes = sorted(run.results, key=lambda r: r.expectation_config.meta["n"])
    if len(outcomes) != len(expectations):
        raise RuntimeError(f"GX returned {len(outcomes)} results for {len(expectations)} expectations")
    runs.append(run)
    return outcomes


def _gx_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy GX can compute on: nullable integers and decimals as floats (pd.NA breaks
    GX's column-pair checks), plus the row number that finds failing rows again."""
    out = df.reset_index(drop=True).copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_extension_array_dtype(col.dtype) and pd.api.types.is_numeric_dtype(col.dtype):
            if pd.api.types.is_bool_dtype(col.dtype):
                out[name] = col.astype(object).where(col.notna(), None)
            else:
                out[name] = col.astype("float64")
        elif col.dtype == object and col.map(lambda v: isinstance(v, Decimal)).any():
            out[name] = col.map(lambda v: None if _is_null(v) else float(v)).astype("float64")
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
        examples = [{"error": _exception_message(outcome)}]
    elif "observed_value" in result:
        examples = [{"observed_value": _plain(result["observed_value"])}]
    else:
        examples = []
    return CheckResult(
        suite=suite.name, expectation=spec.name, column=spec.column, severity=spec.severity,
        success=bool(outcome.success), unexpected_count=None if count is None else int(count),
        unexpected_examples=examples, why=spec.why,
    )


def _examples(df: pd.DataFrame, rows: list[int], columns: list[str]) -> list[dict]:
    columns = [c for c in dict.fromkeys(columns) if c in df.columns]
    return [{c: _plain(df.at[row, c]) for c in columns} for row in rows]


def _error(suite: SuiteSpec, spec: ExpectationSpec, message: str) -> CheckResult:
    return CheckResult(
        suite=suite.name, expectation=spec.name, column=spec.column, severity=spec.severity,
        success=False, unexpected_count=None, unexpected_examples=[{"error": message}], why=spec.why,
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
