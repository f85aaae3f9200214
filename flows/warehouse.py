"""The DuckDB warehouse: build a staged file, build the marts, publish atomically.

A run never writes into the published file. It builds a new file beside it, validates
it, and only then swaps it in with one rename, so a crash leaves either the old or the
new warehouse, never half of one, and a blocked run leaves the old one byte for byte.
Every table, view and column carries its meaning as a DuckDB comment, from
schemas/warehouse_docs.yaml (flows/docs.py), and every file is written in a storage
format DuckDB 1.x reads too (STORAGE_VERSION).
Imports stay light (duckdb only) so `foi headline` answers at once.
"""
from __future__ import annotations

import csv
import json
import os
import uuid
from pathlib import Path

import duckdb

from flows import SCHEMAS

MARTS = SCHEMAS / "marts"
DDL = SCHEMAS / "warehouse.sql"

# The DuckDB storage format every warehouse file is created in, so analysts on DuckDB 1.4
# or later (1.x or 2.x) can open it. DuckDB 2.0's own default (storage version 69) is
# refused by every 1.x client: "Trying to read a database file with version number 69,
# but we can only read versions between 64 and 68". A file keeps the format it was
# created in, so later writes to it (append) stay readable too. docs/warehouse.md says
# the same to analysts; tests/test_warehouse_docs.py opens a build with a 1.x CLI.
STORAGE_VERSION = "v1.4.0"

# The column lists live in flows.facts (which builds the frames); they are re-exported
# here on first use so importing this module does not import pandas.
_FACT_COLUMNS = ("OFFENCES_COLUMNS", "RETURNS_COLUMNS", "STATED_TOTALS_COLUMNS", "FORCE_REPLIES_COLUMNS")


def __getattr__(name: str):
    if name in _FACT_COLUMNS:
        from flows import facts

        return getattr(facts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def connect(path: Path | str, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=read_only)


def open_for_writing(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-write connection; a file it creates is in STORAGE_VERSION (an existing file
    keeps its own). Every warehouse file is created through here."""
    return duckdb.connect(str(path), config={"storage_compatibility_version": STORAGE_VERSION})


def build(path: Path, *, offences, returns, stated_totals, force_replies, run: dict | None = None,
          responses=None, rounds=None, strict_docs: bool = True) -> list[str]:
    """Create a NEW warehouse file at `path` from the facts, with its marts and every
    table's, view's and column's comment (flows.docs.apply_comments).
    `responses` (flows.responses): None leaves that table empty. `rounds` (flows.rounds):
    None infers every round's years from the offences.

    A table, view or column that schemas/warehouse_docs.yaml does not document (or one it
    names that the build did not make) is a defect of the code, not of the data.
    strict_docs (the default, so every test that builds a warehouse fails on it): the
    build fails and leaves no file. strict_docs=False (a refresh): the figures matter
    more than a missing comment, so the warehouse is built with every comment the YAML
    has and the disagreements are returned for the run to report as warnings.
    Returns those disagreements (always empty when strict)."""
    from flows.docs import apply_comments
    from flows.facts import (
        FORCE_REPLIES_COLUMNS, OFFENCES_COLUMNS, RETURNS_COLUMNS, STATED_TOTALS_COLUMNS,
    )
    from flows.responses import RESPONSES_COLUMNS

    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists: a warehouse is built into a new file only")
    con = open_for_writing(path)
    try:
        con.execute(DDL.read_text())
        load_reference(con)
        for table, frame, columns in (
            ("offences", offences, OFFENCES_COLUMNS),
            ("returns", returns, RETURNS_COLUMNS),
            ("stated_totals", stated_totals, STATED_TOTALS_COLUMNS),
            ("force_replies", force_replies, FORCE_REPLIES_COLUMNS),
        ):
            _insert(con, table, frame, columns)
        if rounds is None:
            from flows.rounds import rounds_frame

            rounds, _ = rounds_frame(None, offences, also=force_replies["round"])
        _insert_rounds(con, rounds)
        if responses is not None:
            _insert(con, "responses", responses, RESPONSES_COLUMNS)
        if run is not None:
            _insert_run(con, run)
        build_marts(con)
        undocumented = apply_comments(con, strict=strict_docs)
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        discard(path)
        raise
    con.close()
    return undocumented


def load_reference(con: duckdb.DuckDBPyConnection) -> None:
    with open(SCHEMAS / "forces.csv", newline="", encoding="utf-8") as fh:
        rows = [(r["force_code"], r["force_name"], r["nation"]) for r in csv.DictReader(fh)]
    con.executemany("INSERT INTO forces VALUES (?, ?, ?)", rows)
    with open(SCHEMAS / "offences.csv", newline="", encoding="utf-8") as fh:
        rows = [(r["offence_code"], r["offence_description"], r["offence_group"]) for r in csv.DictReader(fh)]
    con.executemany("INSERT INTO offence_codes VALUES (?, ?, ?)", rows)


def _insert(con, table: str, frame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table}: the frame lacks columns {missing}")
    name = f"_incoming_{table}"
    con.register(name, frame[columns])
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {name}")
    finally:
        con.unregister(name)


def _insert_rounds(con, frame) -> None:
    """The `rounds` table (flows.rounds); its year lists become VARCHAR[]."""
    from flows.rounds import ROUNDS_COLUMNS, table_rows

    if len(frame):
        con.executemany(f"INSERT INTO rounds ({', '.join(ROUNDS_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(ROUNDS_COLUMNS))})", table_rows(frame))


def _insert_run(con, run: dict) -> None:
    con.execute(
        "INSERT INTO runs VALUES (?, ?, now(), ?, 'published', ?, ?, ?)",
        [run["run_id"], run.get("started_at"), run.get("code_version"), run.get("raw_dir"),
         json.dumps(run.get("files", [])), run.get("inputs_fingerprint")],
    )


def build_marts(con: duckdb.DuckDBPyConnection) -> None:
    """Run schemas/marts/*.sql in file-name order (each file says what it depends on)."""
    for sql in sorted(MARTS.glob("*.sql")):
        try:
            con.execute(sql.read_text())
        except duckdb.Error as exc:
            raise RuntimeError(f"mart {sql.name} failed: {exc}") from exc


def append(path: Path, table: str, frame) -> None:
    """Add rows to a table of a staged (unpublished) warehouse, e.g. validation results.

    The frame's columns are matched to the table's by name, so it may leave out
    columns that are allowed to be NULL. The file must exist: this never makes one.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no staged warehouse to append to")
    con = open_for_writing(path)
    try:
        _insert(con, table, frame, list(frame.columns))
        con.execute("CHECKPOINT")
    finally:
        con.close()


def staging_path(target: Path) -> Path:
    """A new file beside the target, on the same filesystem, so the final rename is atomic."""
    target = Path(target)
    return target.with_name(f"{target.name}.staging-{uuid.uuid4().hex[:12]}")


def fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (a rename is durable once its folder is flushed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(staged: Path, target: Path) -> None:
    """Swap the staged file in: flush it, rename it over the target, flush the folder."""
    staged, target = Path(staged), Path(target)
    for leftover in (Path(str(staged) + ".wal"),):
        if leftover.exists():
            raise RuntimeError(f"{staged} still has a write-ahead log: it was not closed cleanly")
    fsync(staged)
    os.replace(staged, target)
    Path(str(target) + ".wal").unlink(missing_ok=True)  # a stale log would replay onto the new file
    fsync(target.parent)


def discard(staged: Path) -> None:
    Path(staged).unlink(missing_ok=True)
    Path(str(staged) + ".wal").unlink(missing_ok=True)


def leftovers(target: Path) -> list[Path]:
    """Staged files beside the target (and their write-ahead logs), as `staging_path` names
    them. Only a refresh that holds the warehouse's lock (flows/locking.py) may treat
    these as a killed refresh's: any other could be a running refresh's work."""
    target = Path(target)
    return sorted(target.parent.glob(f"{target.name}.staging-*"))


def discard_leftovers(target: Path) -> list[Path]:
    """Delete what killed refreshes left beside the target; the paths deleted."""
    gone = leftovers(target)
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


def published_run_ids(target: Path) -> set[str]:
    """The runs recorded in the published warehouse (empty if there is none, or it cannot
    be read): a run is published exactly when its row is in the published file."""
    if not Path(target).exists():
        return set()
    try:
        return {r["run_id"] for r in rows(target, "SELECT run_id FROM runs")}
    except duckdb.Error:
        return set()


def read_table(path: Path, table: str):
    with connect(path) as con:
        return con.execute(f"SELECT * FROM {table}").df()


def rows(path: Path, sql: str, params: list | None = None) -> list[dict]:
    """Query results as dicts, without pandas."""
    with connect(path) as con:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def headline(path: Path) -> list[dict]:
    return rows(path, "SELECT * FROM headline_figures ORDER BY financial_year")
