"""Analysts reading while a refresh runs: every read sees the whole old warehouse or the
whole new one, never a half-built state, no read fails, and none waits on the refresh.

A thread opens read-only DuckDB connections in a loop (connect, three queries, close),
as an analyst's script would, throughout a real `python -m flows.cli refresh` in another
process (against the session's Prefect test server) that changes the figures. A
session opened before the refresh and kept open across the swap (in a process of its
own: within one process DuckDB shares one open database per path, so while any
connection to it is open, new ones see what it sees) goes on reading the old
warehouse, whole.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

from flows.cli import main

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = PROJECT / ".venv" / "bin" / "python"
ROUND = "2017-readers-test"
FORCES = {"TVP": 12, "Kent": 30, "Essex": 7, "Surrey": 4}
SLOWEST_READ_SECONDS = 3.0

QUERIES = (
    "SELECT run_id FROM runs",
    "SELECT sum(offences) FROM offences WHERE in_totals",
    "SELECT sum(offences) FROM force_year_totals",
)


def write_raw(raw: Path, kent: int) -> int:
    """The raw folder, with Kent's counts set; the offences it holds."""
    counts = {**FORCES, "Kent": kent}
    for force, count in counts.items():
        folder = raw / ROUND / force
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "reply.csv").write_text(
            f"Year,Offence,Count\n2016/17,Sexual grooming,{count}\n2015/16,Sexual grooming,{count - 1}\n")
    return sum(2 * c - 1 for c in counts.values())


# An analyst's session: reads once, waits for a line on stdin, reads again on the same connection.
SESSION = f"""
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
queries = {list(QUERIES)!r}
def read():
    return [con.execute(q).fetchone()[0] for q in queries]
print(json.dumps(read()), flush=True)
sys.stdin.readline()
print(json.dumps(read()), flush=True)
"""


def read(con) -> tuple:
    return tuple(con.execute(sql).fetchone()[0] for sql in QUERIES)


def reader(db: Path, stop: threading.Event, reads: list, failures: list) -> None:
    """Connect read-only, read the run and the two sums, close; again until stopped."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            con = duckdb.connect(str(db), read_only=True)
            try:
                run_id, offences, totals = read(con)
            finally:
                con.close()
        except Exception as exc:  # noqa: BLE001: every failure is the test's finding
            failures.append(f"{type(exc).__name__}: {exc}")
            continue
        reads.append((started, time.monotonic() - started, run_id, int(offences), int(totals)))
        time.sleep(0.01)  # a core for the refresh too (this machine has two)


def test_readers_see_the_old_warehouse_or_the_new_one_whole_and_are_not_held_up(
        tmp_path, prefect_harness, capsys):
    from prefect.settings import PREFECT_API_URL

    raw, db = tmp_path / "raw", tmp_path / "warehouse" / "foi.duckdb"
    old_sum = write_raw(raw, 30)
    assert main(["refresh", "--raw", str(raw), "--warehouse", str(db)]) == 0
    old_run = re.search(r"^Run (\S+) over", capsys.readouterr().out, re.M).group(1)
    kept = subprocess.Popen([sys.executable, "-c", SESSION, str(db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert json.loads(kept.stdout.readline()) == [old_run, old_sum, old_sum]

    new_sum = write_raw(raw, 45)
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    stop, reads, failures = threading.Event(), [], []
    thread = threading.Thread(target=reader, args=(db, stop, reads, failures), daemon=True)
    thread.start()
    refresh_started = time.monotonic()
    done = subprocess.run([str(PYTHON), "-m", "flows.cli", "refresh", "--raw", str(raw), "--warehouse", str(db)],
                          cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
    refresh_ended = time.monotonic()
    time.sleep(0.5)  # and a little after it has gone
    stop.set()
    thread.join(30)
    assert done.returncode == 0, done.stdout + done.stderr
    new_run = re.search(r"^Run (\S+) over", done.stdout, re.M).group(1)

    assert failures == []
    states = [(run_id, offences, totals) for _, _, run_id, offences, totals in reads]
    assert set(states) == {(old_run, old_sum, old_sum), (new_run, new_sum, new_sum)}
    # once a read has seen the new warehouse, no later read sees the old one
    first_new = states.index((new_run, new_sum, new_sum))
    assert all(s[0] == new_run for s in states[first_new:])
    during = [r for r in reads if refresh_started <= r[0] <= refresh_ended]
    slowest = max(seconds for _, seconds, *_ in reads)
    assert slowest < SLOWEST_READ_SECONDS
    # the session opened before the refresh still reads the old warehouse, whole
    kept.stdin.write("again\n")
    kept.stdin.flush()
    assert json.loads(kept.stdout.readline()) == [old_run, old_sum, old_sum]
    assert kept.wait(30) == 0
    with capsys.disabled():
        print(f"\n{len(reads)} reads ({len(during)} while the {refresh_ended - refresh_started:.1f} s refresh "
              f"ran; {first_new} saw the old warehouse, {len(reads) - first_new} the new), none failed; "
              f"slowest read {slowest * 1000:.0f} ms, median "
              f"{sorted(s for _, s, *_ in reads)[len(reads) // 2] * 1000:.0f} ms")
