"""The project against the floor, as whole processes (issue 12; not a test: prints a table).

    .venv/bin/python bench/floor.py                          # the bundled sample round
    .venv/bin/python bench/floor.py --corpus scale --rounds 3 [--json out.json]

Builds a corpus (the sample: raw/ copied to a temporary folder; scale: `foi simulate
--rounds N --scale 10 --records 1.0`), then runs, one after another, each as its own
process with its own empty PREFECT_HOME (so nothing is shared or cached between them)
and no PREFECT_API_URL (Prefect's temporary local server, as `foi refresh` uses):

  project  `foi refresh --full`; `foi refresh` again with nothing changed; for the
           sample also `foi headline`.
  floor    a  a Prefect 3 flow running as many no-op tasks as the refresh ran (counted
              in the refresh's own Prefect database: one read task per file and the
              other stages), read tasks submitted to the same thread pool size;
           b  python-calamine (xlsx/xls/ods: every sheet's to_python()) and the csv
              module reading every data file to Python rows;
           c  DuckDB loading every cell read in b into one table from one pandas frame:
              a process that reads as b does and then loads; c is its wall time less
              b's, and its peak memory counts as it is (the rows are held while loading);
           for the no-change refresh: a with the tasks it ran, and h, hashing every file;
           for the headline: d, DuckDB reading headline_figures.

`--at REV` runs the project as committed at REV (`git archive` into the work folder, put
first on PYTHONPATH) instead of the working tree: the no-change refresh's fingerprint
covers flows/ and schemas/, so an edit there between the two refreshes makes the second
one rebuild. `--migrated`: each PREFECT_HOME is still new and empty of runs and caches,
but holds a copy of a Prefect database already migrated (made once, before any clock),
so no process pays the first-run migration.

Each process is timed from start to exit; its CPU seconds are its own and those of the
descendants it waited for (getrusage via wait4), or the process tree's as last scanned in
/proc (every 0.2 s) if that is more (the readers' fork server is never waited for); its memory is the peak, over polls every
50 ms, of the summed VmRSS of the process and all its descendants (the Prefect server,
the reader workers; the tree is found again every 0.2 s), or the largest single
process's peak if that is higher. Floor
seconds are summed; floor memory is the largest peak of its processes. `--repeat N`
measures every process N times (whole passes, one after another) and keeps the least
seconds and the largest peak: on a shared machine, the least is the least disturbed.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POLL_SECONDS = 0.05  # VmRSS of the process tree read this often
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SCAN_EVERY = 4  # polls between scans of /proc for the tree's processes (a scan costs ~5-10 ms)
DATA_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".csv"}  # flows.discover.DATA_TYPES
RECORD_WAIT_SECONDS = 120  # the floor flow waits at most this long for its task runs to be recorded
REFRESH_STAGE_TASKS = 7  # discover, normalise, load, validate, shrink-guard, report, publish


# --- measuring a process tree ---------------------------------------------------------------

def _scan() -> tuple[dict[int, list[int]], dict[int, int]]:
    """Every process's children, and its CPU ticks: its own and its waited-for children's."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        ticks[int(entry)] = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return children, ticks


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pids(root: int) -> tuple[list[int], float]:
    """`root` and its descendants (a scan of /proc: a few milliseconds), and the CPU
    seconds they have used so far, with the children they have waited for. Exact at the
    scan while every descendant that ended was waited for by one still in the tree."""
    children, ticks = _scan()
    todo, seen = [root], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo.extend(children.get(pid, ()))
    return seen, sum(ticks.get(pid, 0) for pid in seen) / CLOCK_TICKS


def measure(name: str, cmd: list[str], env: dict, log_dir: Path) -> dict:
    """Run `cmd` to its end: wall seconds, the process tree's peak RSS, its stdout."""
    out_path, err_path = log_dir / f"{name}.out", log_dir / f"{name}.err"
    load = os.getloadavg()[0]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        peak_kb, most, polls, pids, cpu_seen = 0, 1, 0, [proc.pid], 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                seconds = time.perf_counter() - t0
                break
            if polls % SCAN_EVERY == 0:  # new descendants found every SCAN_EVERY polls
                pids, cpu_now = tree_pids(proc.pid)
                cpu_seen = max(cpu_seen, cpu_now)
            polls += 1
            peak_kb, most = max(peak_kb, sum(_rss_kb(p) for p in pids)), max(most, len(pids))
            time.sleep(POLL_SECONDS)
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss: the child's own peak, or a waited-for descendant's, whichever is larger (KB)
    peak_kb = max(peak_kb, usage.ru_maxrss)
    # CPU: the process's own and its waited-for descendants' at its end (getrusage), or the
    # tree's as last scanned, if more: a descendant not waited for (multiprocessing's fork
    # server, which forks the reader workers) is only in the scan
    cpu = max(usage.ru_utime + usage.ru_stime, cpu_seen)
    result = {"cmd": " ".join(str(c) for c in cmd), "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
              "peak_rss_mb": round(peak_kb / 1024), "processes": most, "rc": proc.returncode,
              "loadavg_before": round(load, 2), "stdout": out_path.read_text(errors="replace"),
              "stderr_file": str(err_path)}
    print(f"  {name:<28} {seconds:8.2f} s  cpu {cpu:7.2f} s  {peak_kb / 1024:6.0f} MB  "
          f"({most} processes, rc {proc.returncode}, load {load:.1f})",
          file=sys.stderr, flush=True)
    return result


def check(result: dict, name: str, ok=(0,)) -> dict:
    if result["rc"] not in ok:
        err = Path(result["stderr_file"]).read_text(errors="replace")[-3000:]
        raise SystemExit(f"{name} failed (rc {result['rc']}): {result['cmd']}\n{result['stdout'][-3000:]}\n{err}")
    return result


# --- the floor's processes (run as `floor.py _floor KIND ...`) --------------------------------

def _quiet_prefect_env() -> None:
    # as flows/refresh.py sets them before prefect is imported
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


def floor_prefect(reads: int, stages: int, workers: int) -> dict:
    """A flow shaped like the refresh: one stage task, `reads` tasks submitted to a
    thread pool of `workers` and waited for, then the other stage tasks, all doing nothing."""
    _quiet_prefect_env()
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.task_runners import ThreadPoolTaskRunner

    @task(name="noop", cache_policy=NO_CACHE)
    def noop(i: int) -> None:
        return None

    @flow(name="floor", task_runner=ThreadPoolTaskRunner(max_workers=workers))
    def floor() -> int:
        ran = 0
        if stages:
            noop(0)
            ran += 1
        futures = [noop.submit(i) for i in range(reads)]
        for future in futures:
            future.result()
        ran += len(futures)
        for i in range(stages - 1):
            noop(i)
            ran += 1
        return ran

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):  # as run_refresh
        ran = floor()
    # The refresh goes on working after its tasks, and its server records every task run;
    # this flow would exit at once and stop the server with most of them unrecorded (its
    # bookkeeping skipped): wait until the server has them all, as it does for the refresh.
    from prefect.client.orchestration import get_client

    t0, recorded = time.perf_counter(), 0
    with get_client(sync_client=True) as client:
        while time.perf_counter() - t0 < RECORD_WAIT_SECONDS:
            recorded = client._client.post("/task_runs/count", json={}).json()
            if recorded >= ran:
                break
            time.sleep(0.25)
    return {"tasks": ran, "recorded": recorded, "waited_for_records": round(time.perf_counter() - t0, 2)}


def read_rows(paths: list[Path]) -> list[tuple[str, str, list]]:
    """Every sheet of every file as Python rows: (file, sheet, rows)."""
    from python_calamine import CalamineWorkbook

    sheets = []
    for path in paths:
        if path.suffix.lower() == ".csv":
            data = path.read_bytes()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="replace")
            first = text[:text.find("\n")]
            delimiter = ";" if first.count(";") > first.count(",") else ","
            sheets.append((str(path), "", list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))))
            continue
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            sheets.append((str(path), name, book.get_sheet_by_name(name).to_python()))
    return sheets


def floor_read(paths: list[Path]) -> dict:
    t0 = time.perf_counter()
    sheets = read_rows(paths)
    return {"files": len(paths), "sheets": len(sheets), "rows": sum(len(r) for _, _, r in sheets),
            "cells": sum(len(row) for _, _, rows in sheets for row in rows),
            "read_seconds": round(time.perf_counter() - t0, 3)}


def floor_read_load(paths: list[Path], db: Path) -> dict:
    """Read as floor_read, then every cell (as text; empty cells NULL) into one frame of
    file, sheet, row, c0..cN (rows padded to the widest), loaded into one DuckDB table."""
    t0 = time.perf_counter()
    sheets = read_rows(paths)
    t1 = time.perf_counter()
    import duckdb
    import pandas as pd

    width = max((len(row) for _, _, sheet in sheets for row in sheet), default=0)

    def text(v):
        return None if v == "" or v is None else v if isinstance(v, str) else str(v)

    columns = {"file": [f for f, _, sheet in sheets for _ in sheet],
               "sheet": [s for _, s, sheet in sheets for _ in sheet],
               "row": [i for _, _, sheet in sheets for i in range(len(sheet))]}
    for j in range(width):
        columns[f"c{j}"] = [text(row[j]) if j < len(row) else None for _, _, sheet in sheets for row in sheet]
    del sheets
    frame = pd.DataFrame(columns)
    del columns
    t2 = time.perf_counter()
    con = duckdb.connect(str(db))
    con.register("frame", frame)
    con.execute("CREATE TABLE cells AS SELECT * FROM frame")
    loaded = con.execute("SELECT count(*) FROM cells").fetchone()[0]
    con.close()
    t3 = time.perf_counter()
    return {"rows": loaded, "columns": width + 3, "read_seconds": round(t1 - t0, 3),
            "frame_seconds": round(t2 - t1, 3), "load_seconds": round(t3 - t2, 3)}


def floor_hash(raw: Path) -> dict:
    """What a refresh with nothing changed must do at least: list and hash every file."""
    import hashlib

    count = 0
    for top, _, files in os.walk(raw):
        for name in sorted(files):
            digest = hashlib.sha256()
            with open(os.path.join(top, name), "rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
            count += 1
    return {"files": count}


def floor_headline(db: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT * FROM headline_figures ORDER BY financial_year").fetchall()
    con.close()
    for row in rows:
        print(row)
    return {"rows": len(rows)}


def floor_main(argv: list[str]) -> None:
    kind, rest = argv[0], argv[1:]
    if kind == "prefect":
        out = floor_prefect(*(int(a) for a in rest))
    elif kind == "read":
        out = floor_read([Path(p) for p in Path(rest[0]).read_text().splitlines()])
    elif kind == "read-load":
        out = floor_read_load([Path(p) for p in Path(rest[0]).read_text().splitlines()], Path(rest[1]))
    elif kind == "hash":
        out = floor_hash(Path(rest[0]))
    elif kind == "headline":
        out = floor_headline(Path(rest[0]))
    else:
        raise SystemExit(f"unknown floor step {kind}")
    print(json.dumps(out))


def last_json(result: dict) -> dict:
    return json.loads(result["stdout"].strip().splitlines()[-1])


# --- the benchmark ------------------------------------------------------------------------------

def base_env(src: Path | None) -> dict:
    """No PREFECT_API_URL (Prefect starts its temporary local server); with a snapshot,
    its flows/ first on the path (ahead of the editable install's finder)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_API_KEY",
                                                            "PREFECT_PROFILE", "PREFECT_HOME")}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def prefect_env(work: Path, name: str, src: Path | None, template: Path | None) -> dict:
    """The environment for one measured process: its own new PREFECT_HOME (with a copy
    of the migrated, empty database when `template` is given)."""
    env = base_env(src)
    home = work / "prefect-homes" / name
    home.mkdir(parents=True)
    if template is not None:
        shutil.copy2(template, home / "prefect.db")
    env["PREFECT_HOME"] = str(home)
    return env


def migrated_database(work: Path, src: Path | None) -> Path:
    """An empty Prefect database with every migration applied (not timed)."""
    env = base_env(src)
    env["PREFECT_HOME"] = str(work / "prefect-template")
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    subprocess.run([str(BIN / "prefect"), "server", "database", "upgrade", "-y"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return work / "prefect-template" / "prefect.db"


def snapshot(rev: str, work: Path) -> tuple[Path, str]:
    """The repository's files as committed at `rev`, and its description."""
    src = work / "src"
    src.mkdir()
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev], check=True,
                         capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=tar, check=True)
    vendor = Path("flows/report/vendor/node_modules")  # npm's, not in git: the report's assets
    if (ROOT / vendor).is_dir() and not (src / vendor).exists():
        (src / vendor).symlink_to(ROOT / vendor)
    return src, git_describe(rev)


def git_describe(rev: str | None = None) -> str:
    cmd = ["git", "-C", str(ROOT), "describe", "--always"] + ([rev] if rev else ["--dirty"])
    out = subprocess.run(cmd, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def counted_tasks(home: Path) -> tuple[int, int] | None:
    """(all task runs, read tasks) in a finished refresh's Prefect database, or None."""
    db = home / "prefect.db"
    if not db.is_file():
        return None
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        total = con.execute("SELECT count(*) FROM task_run").fetchone()[0]
        reads = con.execute("SELECT count(*) FROM task_run WHERE name LIKE 'read %'").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        con.close()
    return total, reads


def build_corpus(args, work: Path, log_dir: Path, src: Path | None) -> tuple[Path, dict]:
    raw = work / "raw"
    if args.corpus == "sample":
        shutil.copytree((src or ROOT) / "raw", raw)
        return raw, {"corpus": "sample", "source": "raw/ (bundled sample round)"}
    cmd = [str(BIN / "foi"), "simulate", "--out", str(raw), "--rounds", str(args.rounds),
           "--scale", str(args.scale), "--records", str(args.records), "--seed", str(args.seed)]
    sim = check(measure("simulate", cmd, base_env(src), log_dir), "foi simulate")
    return raw, {"corpus": "scale", "rounds": args.rounds, "scale": args.scale, "records": args.records,
                 "seed": args.seed, "simulate_seconds": sim["seconds"]}


def run(args) -> dict:
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="foi-floor-"))
    work.mkdir(parents=True, exist_ok=True)
    log_dir = work / "logs"
    log_dir.mkdir(exist_ok=True)
    print(f"corpus {args.corpus} in {work}", file=sys.stderr, flush=True)
    src, code = snapshot(args.at, work) if args.at else (None, f"working tree {git_describe()}")
    template = migrated_database(work, src) if args.migrated else None
    sys.path.insert(0, str(src or ROOT))  # the code measured: discovery and limits as it has them
    from flows.discover import discover_raw
    from flows.limits import load_limits

    raw, corpus = build_corpus(args, work, log_dir, src)
    rounds, _ = discover_raw(raw)
    replies = [r for rnd in rounds for r in rnd.files]
    data = [r.path for r in replies if r.is_data and not r.not_opened]
    assert all(p.suffix.lower() in DATA_SUFFIXES for p in data)
    file_list = work / "data-files.txt"
    file_list.write_text("\n".join(str(p) for p in data))
    corpus.update(files=len(replies), data_files=len(data),
                  data_mb=round(sum(r.size_bytes for r in replies if r.is_data) / 1e6, 1))
    wh = work / "warehouse" / "foi.duckdb"
    foi, py, me = str(BIN / "foi"), sys.executable, str(Path(__file__).resolve())
    workers = load_limits().parallel_readers
    sample = args.corpus == "sample"
    tasks: dict[str, dict] = {}

    def one_pass(i: int) -> dict[str, dict]:
        procs: dict[str, dict] = {}

        def proc(name, cmd, ok=(0,)):
            env = prefect_env(work / f"pass-{i}", name, src, template)
            procs[name] = check(measure(name, cmd, env, log_dir / f"pass-{i}"), name, ok)
            procs[name]["prefect_home"] = env["PREFECT_HOME"]
            return procs[name]

        (log_dir / f"pass-{i}").mkdir()
        print(f" pass {i + 1} of {args.repeat}", file=sys.stderr, flush=True)
        # the project
        proc("refresh_full", [foi, "refresh", "--raw", str(raw), "--warehouse", str(wh), "--full"], ok=(0, 1))
        again = proc("refresh_unchanged", [foi, "refresh", "--raw", str(raw), "--warehouse", str(wh)], ok=(0, 1))
        again["unchanged"] = "Nothing changed since run" in again["stdout"]
        if not again["unchanged"]:
            print("  ! the second refresh rebuilt: did flows/ or schemas/ change meanwhile? (--at HEAD "
                  "measures a committed revision)", file=sys.stderr)
        if sample:
            proc("headline", [foi, "headline", "--warehouse", str(wh)])
        if not tasks:  # how many tasks each refresh ran, in its own Prefect database
            for name, expected in (("refresh_full", (len(replies) + REFRESH_STAGE_TASKS, len(replies))),
                                   ("refresh_unchanged", (1, 0))):
                found = counted_tasks(Path(procs[name]["prefect_home"]))
                if found != expected:
                    print(f"  ! {name}: task runs in its Prefect database {found}, expected {expected}",
                          file=sys.stderr)
                total, reads = found or expected
                tasks[name] = {"tasks": total, "read_tasks": reads, "expected": list(expected)}
        # the floor
        for name, runs in (("a_prefect_noop", tasks["refresh_full"]),
                           ("a_prefect_noop_unchanged", tasks["refresh_unchanged"])):
            proc(name, [py, me, "_floor", "prefect", str(runs["read_tasks"]),
                        str(runs["tasks"] - runs["read_tasks"]), str(workers)])
            found = counted_tasks(Path(procs[name]["prefect_home"]))
            procs[name]["task_runs_recorded"] = found[0] if found else None
            if name == "a_prefect_noop":
                proc("b_calamine_read", [py, me, "_floor", "read", str(file_list)])
                proc("c_read_and_duckdb_load", [py, me, "_floor", "read-load", str(file_list),
                                                str(work / f"cells-{i}.duckdb")])
        proc("h_hash_files", [py, me, "_floor", "hash", str(raw)])
        if sample:
            proc("d_duckdb_headline", [py, me, "_floor", "headline", str(wh)])
        return procs

    passes = [one_pass(i) for i in range(args.repeat)]

    import duckdb

    con = duckdb.connect(str(wh), read_only=True)
    corpus["offences_rows"] = con.execute("SELECT count(*) FROM offences").fetchone()[0]
    con.close()
    read_out = last_json(passes[0]["b_calamine_read"])
    corpus.update(sheets=read_out["sheets"], cell_rows=read_out["rows"], cells=read_out["cells"])
    corpus["unchanged_detected"] = all(p["refresh_unchanged"]["unchanged"] for p in passes)
    # over the passes: the least wall and CPU seconds, the largest peak
    best = {name: {"seconds": min(p[name]["seconds"] for p in passes),
                   "cpu_seconds": min(p[name]["cpu_seconds"] for p in passes),
                   "peak_rss_mb": max(p[name]["peak_rss_mb"] for p in passes)} for name in passes[0]}

    def total(key, *names):
        return round(sum(best[n][key] for n in names), 2)

    def peak(*names):
        return max(best[n]["peak_rss_mb"] for n in names)

    b, c = best["b_calamine_read"], best["c_read_and_duckdb_load"]
    floor_parts = {
        "a": {"what": f"Prefect flow, {plural(tasks['refresh_full']['tasks'], 'no-op task')}",
              **best["a_prefect_noop"]},
        "b": {"what": f"calamine/csv read of {len(data)} data files to Python rows", **b},
        "c": {"what": "DuckDB load of every cell from one pandas frame (read+load process less b)",
              "seconds": round(max(c["seconds"] - b["seconds"], 0.0), 2),
              "cpu_seconds": round(max(c["cpu_seconds"] - b["cpu_seconds"], 0.0), 2),
              "peak_rss_mb": c["peak_rss_mb"]},
    }

    def row(work_name, project, floor_names, floor_text):
        return {"work": work_name, "floor": floor_text,
                "project_seconds": best[project]["seconds"], "floor_seconds": total("seconds", *floor_names),
                "project_cpu_seconds": best[project]["cpu_seconds"],
                "floor_cpu_seconds": total("cpu_seconds", *floor_names),
                "project_peak_rss_mb": best[project]["peak_rss_mb"], "floor_peak_rss_mb": peak(*floor_names)}

    full = row(f"refresh --full ({plural(tasks['refresh_full']['tasks'], 'task')})", "refresh_full",
               ["a_prefect_noop", "b_calamine_read"], "a + b + c")
    full["floor_seconds"] = round(sum(p["seconds"] for p in floor_parts.values()), 2)
    full["floor_cpu_seconds"] = round(sum(p["cpu_seconds"] for p in floor_parts.values()), 2)
    full["floor_peak_rss_mb"] = max(p["peak_rss_mb"] for p in floor_parts.values())
    table = [full, row(f"refresh, nothing changed ({plural(tasks['refresh_unchanged']['tasks'], 'task')})",
                       "refresh_unchanged", ["a_prefect_noop_unchanged", "h_hash_files"],
                       f"Prefect flow, {plural(tasks['refresh_unchanged']['tasks'], 'no-op task')} "
                       "+ hash every file")]
    if sample:
        table.append(row("headline", "headline", ["d_duckdb_headline"], "DuckDB: SELECT * FROM headline_figures"))
    for r in table:
        r["ratio"] = round(r["project_seconds"] / max(r["floor_seconds"], 0.01), 1)
        r["cpu_ratio"] = round(r["project_cpu_seconds"] / max(r["floor_cpu_seconds"], 0.01), 1)
        r["memory_ratio"] = round(r["project_peak_rss_mb"] / max(r["floor_peak_rss_mb"], 1), 1)
    for procs in passes:
        for p in procs.values():
            p.pop("stdout")
    report = {"machine": machine(), "code": code, "prefect_home": "migrated copy" if template else "fresh",
              "repeat": args.repeat, "corpus": corpus, "tasks": tasks, "table": table,
              "floor_parts": floor_parts, "processes": best, "passes": passes,
              "work_dir": str(work) if args.keep else None}
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return report


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def machine() -> dict:
    from importlib.metadata import version

    mem = {}
    with open("/proc/meminfo") as fh:
        for line in fh:
            key, value = line.split(":")
            mem[key] = int(value.split()[0])
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(), "mem_total_gb": round(mem["MemTotal"] / 2**20, 1),
        "python": platform.python_version(), "platform": platform.platform(),
        "versions": {p: version(p) for p in ("prefect", "duckdb", "pandas", "python-calamine",
                                            "great_expectations")},
    }


def render(report: dict) -> str:
    c = report["corpus"]
    if c["corpus"] == "sample":
        title = f"sample round ({c['files']} files, {c['data_files']} data files)"
    else:
        title = (f"{c['rounds']} round(s), scale {c['scale']}, records {c['records']} "
                 f"({c['files']} files, {c['data_files']} data files, {c['data_mb']} MB)")
    title += f": {c['offences_rows']:,} offence rows; {c['cells']:,} cells in {c['cell_rows']:,} rows"
    best = "best" if report["repeat"] > 1 else "one"
    lines = [title, f"code: {report['code']}; each process a new PREFECT_HOME ({report['prefect_home']} "
                    f"database); {best} of {report['repeat']} pass(es)", "",
             "| work | project | floor | ratio | project CPU | floor CPU | ratio | project peak | floor peak | ratio |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in report["table"]:
        lines.append(f"| {r['work']} | {r['project_seconds']:.2f} s | {r['floor_seconds']:.2f} s | {r['ratio']:.1f}x "
                     f"| {r['project_cpu_seconds']:.2f} s | {r['floor_cpu_seconds']:.2f} s | {r['cpu_ratio']:.1f}x "
                     f"| {r['project_peak_rss_mb']} MB | {r['floor_peak_rss_mb']} MB | {r['memory_ratio']:.1f}x |")
    lines += ["", "floor of the full refresh (wall, CPU, peak):"]
    for key, part in report["floor_parts"].items():
        lines.append(f"  {key}  {part['seconds']:7.2f} s  {part['cpu_seconds']:7.2f} s  {part['peak_rss_mb']:5} MB"
                     f"  {part['what']}")
    for r in report["table"][1:]:
        lines.append(f"  floor of '{r['work']}': {r['floor']}")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_floor":
        floor_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", choices=["sample", "scale"], default="sample")
    ap.add_argument("--rounds", type=int, default=1, help="scale corpus: yearly rounds (1, 3, 10)")
    ap.add_argument("--scale", type=float, default=10.0, help="scale corpus: volumes multiplied")
    ap.add_argument("--records", type=float, default=1.0, help="scale corpus: share sending record lists")
    ap.add_argument("--seed", type=int, default=2017)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--at", metavar="REV", default=None,
                    help="run the project as committed at REV (git archive), not the working tree")
    ap.add_argument("--migrated", action="store_true",
                    help="each new PREFECT_HOME gets a copy of an already-migrated, empty Prefect database")
    ap.add_argument("--repeat", type=int, default=1,
                    help="measure every process this many times over (passes one after another); "
                         "report the least seconds and the largest peak")
    ap.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it (logs, corpus)")
    args = ap.parse_args()
    report = run(args)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
