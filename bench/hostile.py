"""The issue-10 genuine big reply, timed (not a test: prints JSON).

    .venv/bin/python bench/hostile.py [--rows 320000]

Writes a record-level xlsx of --rows offences (tests/hostile.py's writer), then reads it
three ways: the floor (python-calamine to Python rows, nothing else), read_reply in
this process, and read_isolated (a worker process within schemas/limits.yaml's budget).
Reports seconds, the ratio to the floor, and peak memory.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=320_000)
    args = ap.parse_args()

    import python_calamine

    from flows.discover import discover_raw
    from flows.isolation import read_isolated
    from flows.limits import load_limits
    from flows.reading import read_reply
    from hostile import big_list

    work = Path(tempfile.mkdtemp(prefix="foi-bench-big-"))
    folder = work / "raw" / "2017-bench" / "Surrey"
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    path = big_list(folder, args.rows)
    written = time.perf_counter() - t0
    [reply] = discover_raw(work / "raw")[0][0].files

    t0 = time.perf_counter()
    book = python_calamine.CalamineWorkbook.from_path(path)
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python()
    floor = time.perf_counter() - t0

    t0 = time.perf_counter()
    isolated = read_isolated(reply, load_limits())
    worker = time.perf_counter() - t0
    t0 = time.perf_counter()
    in_process = read_reply(reply)
    here = time.perf_counter() - t0
    print(json.dumps({
        "rows": args.rows, "file_mb": round(path.stat().st_size / 1e6, 1), "write_seconds": round(written, 1),
        "floor_calamine_seconds": round(floor, 2),
        "read_reply_seconds": round(here, 1), "read_reply_x_floor": round(here / floor, 1),
        "read_isolated_seconds": round(worker, 1), "read_isolated_x_floor": round(worker / floor, 1),
        "status": [in_process.status, isolated.status], "observations": len(in_process.observations),
        "peak_rss_mb_this_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "peak_rss_mb_worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
    }, indent=2))


if __name__ == "__main__":
    main()
