"""Time a full refresh read on threads and on local Dask clusters (not a test: prints).

    .venv/bin/python bench/dask.py                         # 3 rounds, scale 3, half record lists
    .venv/bin/python bench/dask.py --rounds 1 --scale 1    # the size of the sample round
    .venv/bin/python bench/dask.py --workers 1 2 4 --repeat 3

Simulates a corpus once (`foi simulate`), then runs `foi refresh --full` on it as a whole
process for each runner: the default threads, and `--runner dask --dask-workers N` for
each N. Each refresh is its own process tree (the CLI, its temporary Prefect server, the
fork server and every reading process), timed from start to exit, with the tree's
memory polled from /proc: the peak of the summed RSS (counts pages the forked readers
share with the fork server once per process, so it overstates), the peak of the summed
PSS (shared pages split between their sharers: what the tree costs the machine) and the
largest single process's peak RSS (wait4's ru_maxrss). Every run's marts and returns are
compared with the threads run's: a runner that changed a figure is reported.

One untimed refresh first migrates the temporary Prefect home the runs share, so no run
pays for that; `--full` makes every run read every file again.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOI = ROOT / ".venv" / "bin" / "foi"
MARTS = ["current_offences", "force_year_totals", "age_distribution", "offence_group_totals",
         "headline_figures", "force_year_changes"]
POLL_SECONDS = 0.1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scale", type=float, default=3.0)
    ap.add_argument("--records", type=float, default=0.5, help="share of forces sending record-level lists")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="local Dask cluster sizes to time")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each runner (the median is reported)")
    ap.add_argument("--keep", type=Path, default=None, help="work here and keep it (default: a temporary folder)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="foi-bench-dask-"))
    raw = work / "raw"
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect")}
    for name in ("FOI_TASK_RUNNER", "FOI_DASK_ADDRESS", "FOI_DASK_WORKERS"):
        env.pop(name, None)  # each run says its runner on the command line
    try:
        if not raw.is_dir():
            subprocess.run([str(FOI), "simulate", "--out", str(raw), "--rounds", str(args.rounds),
                            "--scale", str(args.scale), "--records", str(args.records)],
                           check=True, env=env, stdout=subprocess.DEVNULL)
        files = sum(1 for p in raw.rglob("*") if p.is_file())
        warm = run([], raw, work / "warm" / "foi.duckdb", env)  # migrates the Prefect home: untimed
        configs = [("threads", [])] + [(f"dask, {n} worker{'s' * (n > 1)}",
                                        ["--runner", "dask", "--dask-workers", str(n)]) for n in args.workers]
        results, baseline = [], None
        for label, flags in configs:
            runs = [run(flags, raw, work / label.replace(", ", "-").replace(" ", "") / f"{i}" / "foi.duckdb", env)
                    for i in range(args.repeat)]
            figures = [r.pop("figures") for r in runs]
            baseline = figures[0] if baseline is None else baseline
            results.append({
                "runner": label,
                "seconds": round(statistics.median(r["seconds"] for r in runs), 1),
                "tree_peak_rss_mb": round(statistics.median(r["tree_peak_rss_mb"] for r in runs)),
                "tree_peak_pss_mb": round(statistics.median(r["tree_peak_pss_mb"] for r in runs)),
                "largest_process_mb": round(statistics.median(r["largest_process_mb"] for r in runs)),
                "same_figures_as_threads": all(f == baseline for f in figures),
                "runs": runs,
            })
        report = {"corpus": {"rounds": args.rounds, "scale": args.scale, "records": args.records,
                             "files": files}, "warm_up_seconds": warm["seconds"], "results": results,
                  "cores": os.cpu_count(), "load_average_after": os.getloadavg()}
        print(json.dumps(report, indent=2))
        print()
        print(f"{'runner':<18} {'seconds':>8} {'tree RSS':>9} {'tree PSS':>9} {'largest':>8}  same figures")
        for r in results:
            print(f"{r['runner']:<18} {r['seconds']:>8.1f} {r['tree_peak_rss_mb']:>6} MB {r['tree_peak_pss_mb']:>6} MB "
                  f"{r['largest_process_mb']:>5} MB  {'yes' if r['same_figures_as_threads'] else 'NO'}")
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
        if not all(r["same_figures_as_threads"] for r in results):
            sys.exit(1)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def run(flags: list[str], raw: Path, target: Path, env: dict) -> dict:
    """One `foi refresh --full` as a process tree: seconds, memory, and its figures."""
    target.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(FOI), "refresh", "--raw", str(raw), "--warehouse", str(target), "--full", *flags]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = {"rss": 0, "pss": 0}
    done = threading.Event()
    poller = threading.Thread(target=poll_tree, args=(proc.pid, peak, done), daemon=True)
    poller.start()
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    poller.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{output[-4000:]}")
    return {"seconds": round(seconds, 2), "tree_peak_rss_mb": peak["rss"] / 2**20,
            "tree_peak_pss_mb": peak["pss"] / 2**20, "largest_process_mb": usage.ru_maxrss / 1024,
            "figures": figures(target)}


def poll_tree(root: int, peak: dict, done: threading.Event) -> None:
    while not done.is_set():
        rss = pss = 0
        for pid in tree(root):
            r, p = memory(pid)
            rss, pss = rss + r, pss + p
        peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
        done.wait(POLL_SECONDS)


def tree(root: int) -> list[int]:
    """`root` and every process descended from it, from /proc's parent links."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; (0, 0) if it has gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return rss, pss


def figures(target: Path) -> dict:
    import duckdb

    with duckdb.connect(str(target), read_only=True) as con:
        found = {m: con.execute(f"SELECT * FROM {m} ORDER BY ALL").fetchall() for m in MARTS}
        found["returns"] = con.execute("SELECT path, status, reason, message, rows_loaded FROM returns "
                                       "ORDER BY path").fetchall()
    return found


if __name__ == "__main__":
    main()
