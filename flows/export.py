"""`foi export`: the marts and `offences` as csv, parquet or one xlsx workbook.

Every format gets the same frames: read from the warehouse (opened read-only, so an
export can run beside analysts' sessions and never changes the published file), then
the small-count rule and formula neutralising of flows/disclosure.py. Each file is
written beside its final name and renamed into place, so a failed export never leaves a
half-written file that looks whole.
"""
from __future__ import annotations

import fnmatch
import os
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import duckdb
import pandas as pd

from flows import disclosure
from flows.disclosure import DisclosureRule
from flows.warehouse import DDL, MARTS

FORMATS = ("csv", "xlsx", "parquet")
NOTES_SHEET = "Notes"
XLSX_MAX_ROWS = 1_048_576   # Excel's limit, header included
XLSX_MAX_TEXT = 32_767      # characters in one cell
_CREATED = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)",
                      re.IGNORECASE)


class ExportError(Exception):
    """An export that cannot be made as asked (no warehouse, an unknown table)."""


def export(warehouse: Path, out_dir: Path, fmt: str, tables: list[str] | None = None,
           rule: DisclosureRule | None = None) -> list[Path]:
    """Write the chosen tables (default: every mart and `offences`) under `out_dir`.

    csv and parquet: a file per table, `<table>.<fmt>`; xlsx: `<warehouse stem>.xlsx`
    with a 'Notes' sheet (the rule, the caveats, the run id, the date) and a sheet per
    table. `tables` are names or shell patterns (`force_*`), each must match a table.
    Returns the files written.
    """
    warehouse, out_dir = Path(warehouse), Path(out_dir)
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    if not warehouse.is_file():
        raise ExportError(f"no warehouse at {warehouse}; run `foi refresh` first")
    rule = rule if rule is not None else disclosure.load_rule()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = select(exportable(con), tables)
        frames = {name: prepare(read(con, name), rule) for name in names}
        runs = _runs(con)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        path = out_dir / f"{warehouse.stem}.xlsx"
        notes = notes_lines(rule, runs, {n: (len(f), rule.level_of(f.columns)) for n, f in frames.items()},
                            warehouse)
        _atomic(path, lambda tmp: write_xlsx(tmp, frames, notes))
        return [path]
    written = []
    for name, frame in frames.items():
        path = out_dir / f"{name}.{fmt}"
        _atomic(path, lambda tmp, frame=frame: (write_csv if fmt == "csv" else write_parquet)(tmp, frame))
        written.append(path)
    return written


def exportable(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The warehouse's marts (every table or view that schemas/warehouse.sql does not
    declare) and `offences`: offences first, then the marts in the order
    schemas/marts/*.sql builds them, then any others by name."""
    found = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    base = set(_CREATED.findall(DDL.read_text()))
    order = ["offences"] + [n for sql in sorted(MARTS.glob("*.sql")) for n in _CREATED.findall(sql.read_text())]
    names = [n for n in found if n == "offences" or n not in base]
    rank = {n: i for i, n in reversed(list(enumerate(order)))}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def select(available: list[str], wanted: Iterable[str] | None) -> list[str]:
    """The tables asked for, in the warehouse's order; a name matching none is an error."""
    if not wanted:
        return list(available)
    chosen: set[str] = set()
    for pattern in wanted:
        matched = fnmatch.filter(available, pattern)
        if not matched:
            raise ExportError(f"no table matches {pattern!r}; the tables are: {', '.join(available)}")
        chosen.update(matched)
    return [n for n in available if n in chosen]


def read(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    return con.execute(f'SELECT * FROM "{table}"').df()


def prepare(frame: pd.DataFrame, rule: DisclosureRule) -> pd.DataFrame:
    """What every format writes: the rule applied, then text neutralised."""
    return disclosure.neutralise_frame(disclosure.apply(frame, rule))


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """UTF-8, a header row, NULL as an empty field, RFC 4180 line ends. CRLF, not LF:
    the csv writer quotes a field holding any line-end character, so a carriage return
    inside reply text is quoted instead of splitting the row."""
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n")


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """With DuckDB's own writer (no pyarrow). A count column the rule turned to text is
    VARCHAR throughout ('12', '0', '[c]'), since a parquet column has one type."""
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = pd.Series([None if v is None else (v if isinstance(v, str) else str(v))
                                    for v in frame[col].tolist()], index=frame.index, dtype=object)
    con = duckdb.connect()
    try:
        con.register("export_frame", frame)
        target = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM export_frame) TO '{target}' (FORMAT parquet)")
    finally:
        con.close()


def write_xlsx(path: Path, frames: dict[str, pd.DataFrame], notes: list[str]) -> None:
    """A 'Notes' sheet then a sheet per table. Every text cell is stored as a string
    (data type 's'): openpyxl stores any str starting with '=' as a formula, so the
    data type is set after the value, on top of the neutralising already done."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def cell(sheet, value: Any, header: bool = False):
        c = WriteOnlyCell(sheet, value=_xlsx_value(value))
        if isinstance(c.value, str):
            c.data_type = "s"
        if header:
            c.font = bold
        return c

    sheet = workbook.create_sheet(NOTES_SHEET)
    for line in notes:
        sheet.append([cell(sheet, disclosure.neutralise(line))])
    used = {NOTES_SHEET.lower()}
    for name, frame in frames.items():
        if len(frame) + 1 > XLSX_MAX_ROWS:
            raise ExportError(f"{name} has {len(frame):,} rows, more than an xlsx sheet holds; "
                              "export it as csv or parquet")
        sheet = workbook.create_sheet(_sheet_name(name, used))
        sheet.freeze_panes = "A2"
        sheet.append([cell(sheet, str(c), header=True) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            sheet.append([cell(sheet, v) for v in row])
    workbook.save(path)


def _xlsx_value(value: Any) -> Any:
    value = disclosure._plain(value)
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()  # openpyxl cannot store a time zone
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # control characters are not XML
        if len(value) > XLSX_MAX_TEXT:
            value = value[:XLSX_MAX_TEXT - 15] + " ...[truncated]"
    return value


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel: at most 31 characters, none of []:*?/\\, unique ignoring case."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
    candidate, n = base, 1
    while candidate.lower() in used:
        n += 1
        candidate = f"{base[:31 - len(str(n)) - 1]}~{n}"
    used.add(candidate.lower())
    return candidate


def _runs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    try:
        cur = con.execute("SELECT run_id, status, started_at, finished_at, code_version FROM runs "
                          "ORDER BY finished_at NULLS FIRST, run_id")
    except duckdb.Error:
        return []
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def notes_lines(rule: DisclosureRule, runs: list[dict], tables: dict[str, tuple[int, Any]],
                warehouse: Path, now: datetime | None = None) -> list[str]:
    """The Notes sheet: what was exported, from which run, and how to read it."""
    now = now or datetime.now(timezone.utc)
    lines = ["FOI warehouse export", "",
             f"Date exported: {now.date().isoformat()} ({now.isoformat(timespec='seconds')})",
             f"Warehouse: {warehouse.name}"]
    if runs:
        for r in runs:
            lines.append(f"Run id: {r['run_id']} ({r.get('status') or 'status unknown'}"
                         + (f", finished {_iso(r['finished_at'])}" if r.get("finished_at") else "")
                         + (f", code {r['code_version']}" if r.get("code_version") else "") + ")")
    else:
        lines.append("Run id: unknown (the warehouse's runs table has no row)")
    marker = rule.marker
    lines += ["", "Disclosure rule applied:", *rule.describe(), "", "Caveats:",
              f"'{marker}': a count withheld, either by this export's rule (1 to 4 at force-by-age level "
              "or finer) or by the force in its reply (a suppressed cell). It is never a 0.",
              "Totals (offences) add up the known counts only: suppressed cells are not in them; "
              "offences_upper adds the most each suppressed cell could hold.",
              f"The rule does no secondary suppression: before publishing a table of cells, check "
              f"that no '{marker}' can be worked out by subtraction from a total.",
              "Text starting with = + - @, a tab or a carriage return has a ' put in front so that "
              "spreadsheets show it rather than run it; the ' is not part of the reply's text.",
              "", "Tables:"]
    for name, (count, level) in tables.items():
        lines.append(f"{name}: {count:,} rows; "
                     + (f"{level.name} level: rule applied" if level else "counts shown as they are"))
    return lines


def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else str(value)


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
