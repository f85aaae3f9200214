"""Issue 10's Must show: one refresh over a round of careless and hostile replies beside
clean ones finishes, within 10 minutes and 2 GiB, publishes the clean replies' figures,
and lists every hostile file with its status and a message naming it, none of its
figures published.

The real Prefect flow (prefect_harness) and a real DuckDB file in tmp_path. The clean
replies are the simulator's (eight forces' folders of its sample round, compared with
its Truth); the hostile ones are tests/hostile.py's, each in a force folder of its own,
plus a force folder that is a symbolic link to a folder outside the raw folder.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from flows.discover import discover_raw
from flows.forces import match_force
from flows.limits import LIMITS_YAML
from flows.simulate import simulate_round
from hostile import (LOADED, OUTSIDE_FIGURES, ROUND_LIMITS, SYMLINKED_FOLDER, hostile_files, process_tree,
                     rss_bytes, symlinked_folder, totals_of)

# Eight forces whose simulated replies stay: one of each layout family the simulator
# writes (offence x year xlsx and xls, record lists in csv and xlsx, long csv with and
# without ages, age x year, long ods). No hostile file uses these forces.
CLEAN = {
    "E23000001": "offence_year_xlsx", "E23000002": "records_csv", "E23000003": "long_ages_csv",
    "E23000004": "offence_year_xls", "E23000006": "records_xlsx", "E23000008": "long_csv",
    "E23000010": "age_year_xlsx", "E23000012": "long_ods",
}
# The genuine record list's size in this round. The 320,000 rows load within
# the shipped limits in about 90 s on the 2-core machine (bench/hostile.py measures it),
# too long for the test suite, which stays within a few minutes.
ROUND_LIST_ROWS = 20_000
CASES = hostile_files(ROUND_LIST_ROWS)
WALL_SECONDS = 600
PEAK_BYTES = 2 << 30


class PeakRSS(threading.Thread):
    """The peak of the summed VmRSS of this process and all its descendants, sampled
    from /proc every `interval` seconds."""

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak, self.peak_processes, self.samples = interval, 0, 0, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            pids = process_tree(os.getpid())
            total = sum(rss_bytes(pid) for pid in pids)
            if total > self.peak:
                self.peak, self.peak_processes = total, len(pids)
            self.samples += 1
            self._done.wait(self.interval)

    def stop(self) -> int:
        self._done.set()
        self.join(5)
        return self.peak


class Round:
    pass


@pytest.fixture(scope="module")
def hostile_round(tmp_path_factory, prefect_harness) -> Round:
    root = tmp_path_factory.mktemp("hostile-round")
    raw, db = root / "raw", root / "warehouse" / "foi.duckdb"
    truth = simulate_round(raw)
    round_dir = raw / truth.round_name
    # keep the eight clean forces' folders, drop the rest
    [rnd], _ = discover_raw(raw)
    keep = {f.force_folder for f in rnd.files if f.force_code in CLEAN}
    assert len(keep) == len(CLEAN), keep
    for folder in round_dir.iterdir():
        if folder.is_dir() and folder.name not in keep:  # files (round.yaml) stay
            shutil.rmtree(folder)
    folders: dict[str, set[str]] = {}
    for case in CASES:
        folders.setdefault(match_force(case.force_folder).code, set()).add(case.force_folder)
    assert all(len(names) == 1 for names in folders.values()), "one folder per force"
    written = {}
    for case in CASES:
        code = match_force(case.force_folder).code
        assert code not in CLEAN, f"{case.name} would share a clean force's folder"
        folder = round_dir / case.force_folder
        folder.mkdir(exist_ok=True)
        before = set(folder.iterdir())
        written[case.name] = case.write(folder)
        assert written[case.name] not in before, f"{case.name} overwrote a file"
        if before:
            assert case.status != LOADED
    symlinked_folder(round_dir, root / "outside" / "gwent")
    limits = dict(yaml.safe_load(LIMITS_YAML.read_text(encoding="utf-8")), **ROUND_LIMITS)
    limits_path = root / "limits.yaml"
    limits_path.write_text(yaml.safe_dump(limits, sort_keys=False))

    from flows.refresh import run_refresh

    sampler = PeakRSS()
    sampler.start()
    started = time.monotonic()
    try:
        result = run_refresh(raw, db, limits_path=limits_path)
    finally:
        wall = time.monotonic() - started
        peak = sampler.stop()
    print(f"\nhostile round: {len(CASES)} hostile files + {len(keep)} clean force folders; "
          f"wall {wall:.1f} s; peak RSS of the process tree {peak / 2**20:,.0f} MiB "
          f"({sampler.peak_processes} processes, {sampler.samples} samples)")
    r = Round()
    r.raw, r.db, r.truth, r.result, r.wall, r.peak, r.written = raw, db, truth, result, wall, peak, written
    r.round_name = truth.round_name
    return r


def query(db: Path, sql: str, *params):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def rel(r: Round, path: Path) -> str:
    return f"{r.round_name}/{path.parent.name}/{path.name}"


def test_the_round_finishes_within_10_minutes_and_2_gib(hostile_round):
    r = hostile_round
    assert r.wall < WALL_SECONDS, f"the refresh took {r.wall:.0f} s"
    assert r.peak < PEAK_BYTES, f"the process tree peaked at {r.peak / 2**20:,.0f} MiB"


def test_the_round_is_published(hostile_round):
    result = hostile_round.result
    shrink = [b for b in result.blocked_reasons if b.startswith("shrink_guard")]
    assert not shrink, f"the shrink guard blocked the publish: {shrink}"
    assert result.published, f"blocked: {result.blocked_reasons}"
    assert hostile_round.db.exists()


def test_the_clean_replies_figures_are_published(hostile_round):
    r = hostile_round
    expected = {k: v for k, v in r.truth.known.items() if k[0] in CLEAN}
    assert {f for f, _ in expected} == set(CLEAN)
    found = {(f, y): int(n) for f, y, n in query(
        r.db, "SELECT force_code, financial_year, offences FROM force_year_totals "
              "WHERE force_code IN (SELECT unnest(?))", list(CLEAN))}
    assert found == expected


def test_the_hostile_files_that_load_are_published_exactly(hostile_round):
    r = hostile_round
    for case in (c for c in CASES if c.status == LOADED):
        path = rel(r, r.written[case.name])
        got = {y: int(n) for y, n in query(
            r.db, "SELECT financial_year, sum(offences) FROM offences WHERE path = ? AND in_totals GROUP BY 1",
            path)}
        assert got == case.totals, f"{case.name} ({path})"


def test_every_hostile_file_is_in_returns_with_its_status(hostile_round):
    r = hostile_round
    returns = {p: (s, m or "") for p, s, m in query(r.db, "SELECT path, status, message FROM returns")}
    wrong = []
    for case in CASES:
        path = rel(r, r.written[case.name])
        if path not in returns:
            wrong.append(f"{case.name}: {path} is not in returns")
            continue
        status, message = returns[path]
        if status != case.status:
            wrong.append(f"{case.name}: {status}, expected {case.status}: {message[:200]}")
        elif status != LOADED and path not in message:
            wrong.append(f"{case.name}: the message does not name the file: {message[:200]}")
        elif case.reason and case.reason.startswith("limit:") and "|" not in case.reason \
                and case.reason.split(":", 1)[1] not in message:
            wrong.append(f"{case.name}: the message does not name the limit: {message[:200]}")
        if "root:x:0:0" in message:
            wrong.append(f"{case.name}: /etc/passwd is in the message")
    assert not wrong, "\n".join(wrong)


def test_no_hostile_figures_are_published(hostile_round):
    r = hostile_round
    not_loaded = [c for c in CASES if c.status != LOADED]
    paths = [rel(r, r.written[c.name]) for c in not_loaded]
    leaked = query(r.db, "SELECT path, count(*) FROM offences WHERE path IN (SELECT unnest(?)) GROUP BY 1", paths)
    assert leaked == []
    # forces whose only files are hostile and not loaded have no figures at all
    codes = sorted({match_force(c.force_folder).code for c in not_loaded}
                   - {match_force(c.force_folder).code for c in CASES if c.status == LOADED})
    with_rows = query(r.db, "SELECT DISTINCT force_code FROM offences WHERE force_code IN (SELECT unnest(?))", codes)
    assert with_rows == []
    # the genuine reply behind a link (a file link, and the linked folder) is never read
    outside = totals_of(OUTSIDE_FIGURES)
    assert query(r.db, "SELECT count(*) FROM offences WHERE force_code = ?",
                 match_force(SYMLINKED_FOLDER).code) == [(0,)]
    totals = query(r.db, "SELECT force_code, financial_year, offences FROM force_year_totals")
    assert not [t for t in totals if outside.get(t[1]) == t[2]], "the linked reply's figures were read"


def test_the_symlinked_force_folder_is_reported_not_read(hostile_round):
    r = hostile_round
    assert any(SYMLINKED_FOLDER in p and "symbolic link" in p for p in r.result.round_problems), \
        r.result.round_problems
    assert query(r.db, "SELECT count(*) FROM returns WHERE force_folder = ?", SYMLINKED_FOLDER) == [(0,)]
    [(reply,)] = query(r.db, "SELECT reply FROM force_replies WHERE force_code = ? AND round = ?",
                       match_force(SYMLINKED_FOLDER).code, r.round_name)
    assert reply == "no_reply"


def test_every_file_of_the_round_has_a_status(hostile_round):
    r = hostile_round
    round_dir = r.raw / r.round_name
    on_disk = [p for p in round_dir.rglob("*")  # the files in force folders (not round.yaml)
               if not p.is_dir() and len(p.relative_to(round_dir).parts) > 1
               and p.relative_to(round_dir).parts[0] != SYMLINKED_FOLDER]
    assert query(r.db, "SELECT count(*) FROM returns")[0][0] == len(on_disk)
