"""Issue 10 at the reader: every careless or hostile reply (tests/hostile.py) through
`read_reply` in the test process and through `read_isolated` in a worker, with the
status and reason a correct reader gives it; each limit of schemas/limits.yaml under a
small limits file; and the worker's time and memory budgets.

A file a wrong reader would take a process down with (`in_process_safe=False`) is read
by `read_reply` in a child Python instead of this one, so the failure is reported and
the test session lives on.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from flows import PROJECT_ROOT
from flows.discover import ReplyFile, discover_raw
from flows.facts import build_facts
from flows.isolation import OVER_MEMORY, OVER_TIME, WORKER_DIED, read_isolated
from flows.limits import LIMITS_YAML, load_limits
from flows.reading import read_reply
from hostile import (BIG_LIST_ROWS, LOADED, LONG_NAME, QUARANTINED, ROUND_LIMITS, SYMLINKED_FOLDER, Hostile,
                     big_list, crosstab, fifo, forged_corners, hostile_files, process_tree, reason_matches,
                     rss_bytes, symlinked_folder,
                     write_xlsx, _figures)

ROUND = "2017-hostile"
# The genuine list in the per-file cases is small (see test_a_genuine_320000_row_list_loads
# for the size): the record reader is quadratic in the rows today.
CASE_LIST_ROWS = 5_000
CASES = hostile_files(CASE_LIST_ROWS)
PASSWD = "root:x:0:0"  # /etc/passwd's first line: must never reach a message


def limits_file(folder: Path, **changes) -> Path:
    """A copy of schemas/limits.yaml with `changes`, as an analyst would edit it."""
    raw = yaml.safe_load(LIMITS_YAML.read_text(encoding="utf-8"))
    unknown = set(changes) - set(raw)
    assert not unknown, unknown
    raw.update(changes)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"limits-{abs(hash(tuple(sorted(changes.items()))))}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def round_limits_path(tmp_path_factory) -> Path:
    return limits_file(tmp_path_factory.mktemp("limits"), **ROUND_LIMITS)


def discover(raw: Path, timeout: float = 30) -> list[ReplyFile]:
    """discover_raw in a thread: a FIFO it opened would block it for ever, so past the
    timeout every FIFO under raw is opened for writing (which frees a blocked reader)
    and the test fails."""
    out: dict = {}

    def run() -> None:
        try:
            rounds, _ = discover_raw(raw)
            out["files"] = [f for rnd in rounds for f in rnd.files]
        except BaseException as exc:  # noqa: BLE001 - reported below
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        for path in raw.rglob("*"):
            if path.is_fifo():
                try:
                    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:
                    pass
        thread.join(5)
        pytest.fail(f"discover_raw({raw}) did not return within {timeout} s: it opened a FIFO")
    if "error" in out:
        raise out["error"]
    return out["files"]


def place(tmp_path: Path, case: Hostile) -> ReplyFile:
    folder = tmp_path / "raw" / ROUND / case.force_folder
    folder.mkdir(parents=True, exist_ok=True)
    written = case.write(folder)
    files = discover(tmp_path / "raw")
    [reply] = [f for f in files if f.path.name == written.name]
    assert reply.force_code is not None, reply.problem
    return reply


def totals_by_year(reply: ReplyFile, reading) -> dict[str, int]:
    """What the file adds to its force-years, through the facts stage as the warehouse has it."""
    rounds, _ = discover_raw(reply.path.parents[2]) if not reply.not_opened else ([], [])
    facts = build_facts(rounds, [reading])
    counted = facts.offences[facts.offences.in_totals]
    return {y: int(n) for y, n in counted.groupby("financial_year")["offences"].sum().items()}


def check(case: Hostile, reply: ReplyFile, status: str, reason: str | None, message: str,
          totals: dict[str, int] | None, limits_file: Path) -> None:
    assert (status, reason_matches(case.reason, reason)) == (case.status, True), (
        f"{case.name}: expected {case.status} ({case.reason}), got {status} ({reason}): {message}")
    assert PASSWD not in message
    if status != LOADED:
        assert reply.rel_path in message, f"the message does not name the file: {message}"
    if reason and reason.split(":")[0] in ("limit", "budget"):
        name = reason.split(":", 1)[1]
        assert name in message and f"({limits_file})" in message, message  # the file to raise it in
    if status == LOADED:
        assert totals == case.totals


# --- every hostile file, in this process and in a worker -----------------------------------

_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (6 << 30, resource.RLIM_INFINITY))
from pathlib import Path
from flows.discover import discover_raw
from flows.limits import load_limits
from flows.reading import read_reply
raw, name, limits = Path(sys.argv[1]), sys.argv[2], load_limits(Path(sys.argv[3]))
rounds, _ = discover_raw(raw)
[reply] = [f for r in rounds for f in r.files if f.path.name == name]
try:
    r = read_reply(reply, limits)
    print(json.dumps({"status": r.status, "reason": r.reason, "message": r.message}))
except BaseException as exc:
    print(json.dumps({"raised": f"{type(exc).__name__}: {exc}"}))
"""


def read_in_child(reply: ReplyFile, limits_path: Path, timeout: float = 300) -> dict:
    """read_reply in a fresh Python (6 GiB of address space at most): what it returned,
    or how the process ended."""
    env = {**os.environ, "PYTHONPATH": f"{PROJECT_ROOT}{os.pathsep}{PROJECT_ROOT / 'tests'}",
           "RUST_BACKTRACE": "0"}
    raw = reply.path.parents[2] if not reply.not_opened else Path(reply.path).parents[2]
    done = subprocess.run([sys.executable, "-c", _CHILD, str(raw), reply.path.name, str(limits_path)],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=PROJECT_ROOT)
    if done.returncode != 0:
        return {"died": done.returncode, "stderr": done.stderr[-500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_read_reply_in_process(case: Hostile, tmp_path, round_limits_path):
    reply = place(tmp_path, case)
    limits = load_limits(round_limits_path)
    started = time.monotonic()
    if case.in_process_safe:
        reading = read_reply(reply, limits)
        status, reason, message = reading.status, reading.reason, reading.message
        totals = totals_by_year(reply, reading) if reading.status == LOADED else None
    else:
        out = read_in_child(reply, round_limits_path)
        assert "died" not in out, (f"{case.name}: read_reply took its process down (exit {out.get('died')}): "
                                   f"{out.get('stderr', '')[-300:]}")
        assert "raised" not in out, f"{case.name}: read_reply raised {out['raised']}"
        status, reason, message, totals = out["status"], out["reason"], out["message"], None
    check(case, reply, status, reason, message, totals, round_limits_path)
    assert time.monotonic() - started < (60 if case.slow else 20), "a hostile file must cost seconds at most"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_read_isolated(case: Hostile, tmp_path, round_limits_path):
    reply = place(tmp_path, case)
    started = time.monotonic()
    reading = read_isolated(reply, load_limits(round_limits_path))
    totals = totals_by_year(reply, reading) if reading.status == LOADED else None
    check(case, reply, reading.status, reading.reason, reading.message, totals, round_limits_path)
    assert time.monotonic() - started < (60 if case.slow else 20)


def test_at_least_24_kinds_and_some_load():
    assert len(CASES) >= 24
    assert len({c.name for c in CASES}) == len(CASES)
    assert sum(c.status == LOADED for c in CASES) >= 6
    assert {c.reason for c in CASES if c.reason} >= {"path", "unreadable", "layout", "limit:archive_members"}


def test_the_long_name_is_100_characters_within_255_bytes():
    assert len(LONG_NAME) == 100 and len(LONG_NAME.encode("utf-8")) <= 255
    assert any(ord(ch) > 0xFFFF for ch in LONG_NAME) and "ŵ" in LONG_NAME


def test_a_symlinked_force_folder_is_reported_and_nothing_under_it_listed(tmp_path):
    round_dir = tmp_path / "raw" / ROUND
    (round_dir / "Kent").mkdir(parents=True)
    write_xlsx(round_dir / "Kent" / "reply.xlsx", [("Data", crosstab(_figures(1, 2, 3, 4)))])
    symlinked_folder(round_dir, tmp_path / "outside")
    (rnd,), problems = discover_raw(tmp_path / "raw")
    assert [f.force_folder for f in rnd.files] == ["Kent"]
    assert any(SYMLINKED_FOLDER in p and "symbolic link" in p for p in rnd.problems), rnd.problems
    assert "W15000002" not in rnd.forces_replied


def test_the_500_empty_sheets_cost_little(tmp_path, round_limits_path):
    [case] = [c for c in CASES if c.name.startswith("500 empty sheets")]
    reply = place(tmp_path, case)
    read_reply(reply, load_limits(round_limits_path))  # warm the imports
    started = time.monotonic()
    reading = read_reply(reply, load_limits(round_limits_path))
    assert reading.status == LOADED
    assert time.monotonic() - started < 5


def test_a_file_replaced_by_a_fifo_after_discovery_is_not_opened(tmp_path):
    folder = tmp_path / "raw" / ROUND / "Kent"
    folder.mkdir(parents=True)
    path = write_xlsx(folder / "reply.xlsx", [("Data", crosstab(_figures(1, 2, 3, 4)))])
    [reply] = discover(tmp_path / "raw")
    path.unlink()
    fifo(folder).rename(path)
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(r=read_reply(reply)), daemon=True)
    thread.start()
    thread.join(20)
    if thread.is_alive():
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("read_reply opened a FIFO that replaced a file after discovery")
    assert (result["r"].status, result["r"].reason) == (QUARANTINED, "path")
    assert reply.rel_path in result["r"].message


def test_a_file_replaced_by_a_symlink_after_discovery_is_not_followed(tmp_path):
    folder = tmp_path / "raw" / ROUND / "Kent"
    folder.mkdir(parents=True)
    path = write_xlsx(folder / "reply.xlsx", [("Data", crosstab(_figures(1, 2, 3, 4)))])
    [reply] = discover(tmp_path / "raw")
    path.unlink()
    os.symlink("/etc/passwd", path)
    reading = read_reply(reply)
    assert (reading.status, reading.reason) == (QUARANTINED, "path")
    assert PASSWD not in reading.message


# --- each limit, under a small limits file --------------------------------------------------

# Each file below is a clean reply (it loads under schemas/limits.yaml) padded with a
# sheet of notes, text only, which the layouts skip but the limits count.

def _notes(n_rows: int, n_cols: int) -> list[list]:
    return [[f"note {r}.{c}" for c in range(n_cols)] for r in range(n_rows)]


def _xlsx(folder: Path, n_rows: int = 1, n_cols: int = 1, n_sheets: int = 2) -> Path:
    sheets = [("Data", crosstab(_figures(5, 6, 7, 8))), ("Notes", _notes(n_rows, n_cols))]
    sheets += [(f"Notes {i}", [["note"]]) for i in range(2, n_sheets)]
    return write_xlsx(folder / "reply.xlsx", sheets)


def _ods(folder: Path, n_rows: int, n_cols: int = 1) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in (("Data", crosstab(_figures(5, 6, 7, 8))), ("Notes", _notes(n_rows, n_cols))):
        table = Table(name=name)
        for row in rows:
            tr = TableRow()
            for v in row:
                tc = (TableCell(valuetype="float", value=v) if isinstance(v, int)
                      else TableCell(valuetype="string"))
                tc.addElement(P(text=str(v)))
                tr.addElement(tc)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    path = folder / "reply.ods"
    doc.save(str(path))
    return path


def _xls(folder: Path, n_rows: int, n_cols: int = 1) -> Path:
    import xlwt

    wb = xlwt.Workbook()
    for name, rows in (("Data", crosstab(_figures(5, 6, 7, 8))), ("Notes", _notes(n_rows, n_cols))):
        ws = wb.add_sheet(name)
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                ws.write(i, j, v)
    path = folder / "reply.xls"
    wb.save(str(path))
    return path


def _csv(folder: Path, blank_lines: int) -> Path:
    path = folder / "reply.csv"
    path.write_text("financial_year,offence,offences\n2015/16,Sexual grooming,3\n"
                    "2016/17,Sexual grooming,4\n" + "\n" * blank_lines)
    return path


SMALL = [
    ("file_bytes", lambda f: _xlsx(f, n_rows=50), {"file_bytes": 1_000}),
    ("csv_bytes", lambda f: _csv(f, 300), {"csv_bytes": 200}),
    ("csv_lines", lambda f: _csv(f, 50), {"csv_lines": 20}),
    ("archive_members", lambda f: _xlsx(f, n_sheets=4), {"archive_members": 6}),
    ("archive_member_bytes", lambda f: _xlsx(f, n_rows=300), {"archive_member_bytes": 5_000}),
    ("archive_total_bytes", lambda f: _xlsx(f, n_rows=300), {"archive_total_bytes": 8_000}),
    ("compression_ratio", lambda f: _xlsx(f, n_rows=3_000, n_cols=2),
     {"compression_ratio": 3, "compression_ratio_from_bytes": 10_000}),
    ("sheets", lambda f: _xlsx(f, n_sheets=5), {"sheets": 3}),
    ("sheet_rows", lambda f: _xlsx(f, n_rows=50), {"sheet_rows": 20}),
    ("sheet_rows", lambda f: _ods(f, 50), {"sheet_rows": 20}),
    ("sheet_rows", lambda f: _xls(f, 50), {"sheet_rows": 20}),
    ("sheet_columns", lambda f: _xlsx(f, n_cols=30), {"sheet_columns": 10}),
    ("sheet_columns", lambda f: _ods(f, 1, n_cols=30), {"sheet_columns": 10}),
    ("sheet_columns", lambda f: _xls(f, 1, n_cols=30), {"sheet_columns": 10}),
    ("sheet_cells", lambda f: _xlsx(f, n_rows=40, n_cols=3), {"sheet_cells": 60}),
    ("sheet_cells", lambda f: _ods(f, 40, n_cols=3), {"sheet_cells": 60}),
    ("sheet_cells", lambda f: _xls(f, 40, n_cols=3), {"sheet_cells": 60}),
]


@pytest.mark.parametrize("limit,write,changes", SMALL,
                         ids=[f"{lim}-{i}" for i, (lim, _, _) in enumerate(SMALL)])
def test_each_limit_under_a_small_limits_file(limit, write, changes, tmp_path):
    folder = tmp_path / "raw" / ROUND / "Kent"
    folder.mkdir(parents=True)
    written = write(folder)
    [reply] = discover(tmp_path / "raw")
    print(f"{written.name}: {written.stat().st_size:,} bytes")
    path = limits_file(tmp_path / "limits", **changes)
    small = load_limits(path)
    assert all(getattr(small, k) == v for k, v in changes.items())
    # the same file is within schemas/limits.yaml: it loads
    assert read_reply(reply).status == LOADED, read_reply(reply).message
    for reading in (read_reply(reply, small), read_isolated(reply, small)):
        assert (reading.status, reading.reason) == (QUARANTINED, f"limit:{limit}"), reading.message
        assert reply.rel_path in reading.message
        assert limit in reading.message and str(path) in reading.message


def test_a_limits_file_must_name_every_limit_with_a_positive_number(tmp_path):
    raw = yaml.safe_load(LIMITS_YAML.read_text(encoding="utf-8"))
    missing = {k: v for k, v in raw.items() if k != "sheet_cells"}
    (tmp_path / "missing.yaml").write_text(yaml.safe_dump(missing))
    with pytest.raises(ValueError, match="sheet_cells"):
        load_limits(tmp_path / "missing.yaml")
    (tmp_path / "negative.yaml").write_text(yaml.safe_dump({**raw, "read_seconds": -1}))
    with pytest.raises(ValueError, match="read_seconds"):
        load_limits(tmp_path / "negative.yaml")


# --- the worker's budgets -------------------------------------------------------------------

def _rss_mb(pid: int) -> float:
    return rss_bytes(pid) / (1 << 20)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _workers_left(before: set[int]) -> list[str]:
    """Processes under this one that were not there before, other than multiprocessing's
    fork server and resource tracker (which stay, by design) and the Prefect test server."""
    return [f"{pid}: {_cmdline(pid)[:80]}" for pid in process_tree(os.getpid()) - before - {os.getpid()}
            if not any(word in _cmdline(pid) for word in ("forkserver", "resource_tracker", "prefect"))
            and Path(f"/proc/{pid}").exists()]


@pytest.fixture(scope="module")
def big_list_reply(tmp_path_factory) -> ReplyFile:
    """The issue's genuine record-level list: 320,000 offences in one xlsx (~3 s to write)."""
    folder = tmp_path_factory.mktemp("biglist") / "raw" / ROUND / "Surrey"
    folder.mkdir(parents=True)
    big_list(folder, BIG_LIST_ROWS)
    [reply] = discover(folder.parents[1])
    return reply


@pytest.fixture
def clean_reply(tmp_path) -> ReplyFile:
    folder = tmp_path / "raw" / ROUND / "Kent"
    folder.mkdir(parents=True)
    write_xlsx(folder / "reply.xlsx", [("Data", crosstab(_figures(5, 6, 7, 8)))])
    [reply] = discover(tmp_path / "raw")
    return reply


def test_a_file_beyond_the_memory_budget_is_stopped_and_the_parent_is_unharmed(
        big_list_reply, clean_reply, tmp_path):
    budget = load_limits(limits_file(tmp_path, read_memory_mb=200, read_seconds=60))
    assert budget.source.endswith(".yaml") and budget.source != "schemas/limits.yaml"
    rss_before = _rss_mb(os.getpid())
    before = process_tree(os.getpid())
    started = time.monotonic()
    reading = read_isolated(big_list_reply, budget)
    elapsed = time.monotonic() - started
    assert reading.status == QUARANTINED
    assert reading.reason in (OVER_MEMORY, WORKER_DIED), reading.message
    assert big_list_reply.rel_path in reading.message
    assert "read_memory_mb" in reading.message and budget.source in reading.message
    assert not reading.observations
    assert elapsed < 30, "stopped by its memory, not by the clock"
    # the parent: no heavier, no worker left behind, and the next file reads as ever
    assert _rss_mb(os.getpid()) - rss_before < 100
    assert _workers_left(before) == []
    after = read_isolated(clean_reply, budget)
    assert (after.status, after.reason) == (LOADED, None), after.message


def test_a_file_beyond_the_time_budget_is_stopped_on_time(big_list_reply, clean_reply, tmp_path):
    budget = load_limits(limits_file(tmp_path, read_seconds=2))
    before = process_tree(os.getpid())
    started = time.monotonic()
    reading = read_isolated(big_list_reply, budget)
    elapsed = time.monotonic() - started
    assert (reading.status, reading.reason) == (QUARANTINED, OVER_TIME), reading.message
    assert big_list_reply.rel_path in reading.message
    assert "read_seconds" in reading.message and budget.source in reading.message
    assert 2 <= elapsed < 8, f"stopped after {elapsed:.1f} s"
    assert _workers_left(before) == [], "the worker past its time must be killed"
    after = read_isolated(clean_reply, budget)
    assert (after.status, after.reason) == (LOADED, None), after.message


def test_a_reader_that_aborts_its_process_does_not_take_the_caller_down(tmp_path, clean_reply):
    """Whatever the reader does with a forged sheet, the caller gets a quarantine."""
    folder = tmp_path / "raw2" / ROUND / "Essex"
    folder.mkdir(parents=True)
    forged_corners(folder)
    [reply] = discover(tmp_path / "raw2")
    reading = read_isolated(reply, load_limits())
    assert reading.status == QUARANTINED
    assert reading.reason.startswith("limit:") or reading.reason in (WORKER_DIED, OVER_MEMORY), reading.reason
    assert reply.rel_path in reading.message
    assert read_isolated(clean_reply, load_limits()).status == LOADED


# --- the archive check itself ---------------------------------------------------------------

def _bomb(tmp_path: Path, name: str) -> Path:
    from hostile import hostile_files as cases

    [case] = [c for c in cases(CASE_LIST_ROWS) if c.name.startswith(name)]
    folder = tmp_path / case.force_folder
    folder.mkdir(parents=True)
    return case.write(folder)


def test_check_archive_refuses_a_bomb_by_its_directory_in_milliseconds(tmp_path):
    from flows.cells.archive import check_archive
    from flows.cells.errors import LimitExceeded

    path = _bomb(tmp_path, "zip bomb: 3 MB")
    assert path.stat().st_size < 4_000_000
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as refused:
        check_archive(path, load_limits())
    assert time.monotonic() - started < 1
    assert refused.value.limit in ("archive_member_bytes", "compression_ratio", "archive_total_bytes")


def test_check_archive_sees_a_part_that_unpacks_to_more_than_it_declares(tmp_path):
    """'the declared sizes can lie' (flows/cells/archive.py): a part whose directory says
    4 KB, with the CRC of its first 4 KB, but whose deflate stream goes on to 1 GiB. The
    check must find it (a limit, or damage) before any spreadsheet library opens it."""
    from flows.cells.archive import check_archive
    from flows.cells.errors import UnreadableFile

    path = _bomb(tmp_path, "zip bomb whose directory declares 4 KB (CRC of those 4 KB)")
    with pytest.raises(UnreadableFile):  # LimitExceeded is an UnreadableFile too
        check_archive(path, load_limits())


def test_messages_name_the_limits_file_in_use(tmp_path):
    """A limit is raised in the file it came from: the shipped one by its place in the
    project, another by its path."""
    assert load_limits().source == "schemas/limits.yaml"
    other = load_limits(limits_file(tmp_path, csv_lines=3))
    folder = tmp_path / "raw" / ROUND / "Kent"
    folder.mkdir(parents=True)
    (folder / "reply.csv").write_text("Year,Offence,Count\n2016/17,88A,3\n2016/17,86,4\n2016/17,21,5\n")
    [reply] = discover(tmp_path / "raw")
    reading = read_reply(reply, other)
    assert reading.reason == "limit:csv_lines"
    assert f"({other.source})" in reading.message and "schemas/limits.yaml" not in reading.message
    assert read_reply(reply).status == LOADED
