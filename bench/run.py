"""Benchmark the refresh stages on a simulated corpus (not a test: prints timings).

    .venv/bin/python bench/run.py                       # the sample round
    .venv/bin/python bench/run.py --rounds 10 --scale 20 --records 1.0

Runs the plain stage functions (no Prefect server), so the numbers are the pipeline's
own cost; reports seconds per stage, rows, and the peak resident memory.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--records", type=float, default=None, help="share of forces sending record-level lists")
    ap.add_argument("--seed", type=int, default=2017)
    ap.add_argument("--keep", type=Path, default=None, help="write the corpus here and keep it")
    ap.add_argument("--refresh", action="store_true",
                    help="also time the real Prefect flow: a full refresh, one with nothing changed, "
                         "one after a reply changed (floor: discovering and hashing the files)")
    args = ap.parse_args()

    from flows import discover, facts, quality, warehouse
    from flows.reading import read_reply
    from flows.simulate import simulate_round, simulate_rounds

    work = args.keep or Path(tempfile.mkdtemp(prefix="foi-bench-"))
    raw, db = work / "raw", work / "bench.duckdb"
    timings: dict[str, float] = {}

    def timed(name, fn, *a, **k):
        t0 = time.perf_counter()
        out = fn(*a, **k)
        timings[name] = round(time.perf_counter() - t0, 2)
        return out

    if args.rounds == 1:
        timed("simulate", simulate_round, raw, seed=args.seed, scale=args.scale,
              record_level_share=args.records)
    else:
        timed("simulate", simulate_rounds, raw, rounds=args.rounds, seed=args.seed,
              scale=args.scale, record_level_share=args.records)
    rounds, _ = timed("discover", discover.discover_raw, raw)
    replies = [r for rnd in rounds for r in rnd.files]
    readings = timed("read", lambda: [read_reply(r) for r in replies])
    built = timed("facts", facts.build_facts, rounds, readings)
    if db.exists():
        db.unlink()
    timed("load+marts", warehouse.build, db, offences=built.offences, returns=built.returns,
          stated_totals=built.stated_totals, force_replies=built.force_replies)
    results = timed("validate", quality.validate_warehouse, db)
    report = {
        "rounds": args.rounds, "scale": args.scale, "files": len(replies),
        "data_bytes": sum(r.size_bytes for r in replies),
        "offences_rows": len(built.offences), "seconds": timings,
        "total_seconds": round(sum(timings.values()), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "checks_failed": sum(1 for r in results if not r.success),
    }
    if args.refresh:
        report["refresh_seconds"] = refresh_timings(raw, work / "flow" / "foi.duckdb", timings["discover"])
    print(json.dumps(report, indent=2))
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


def refresh_timings(raw: Path, target: Path, floor: float) -> dict:
    """The flow end to end (its temporary Prefect server started before the clock, by a
    first refresh elsewhere): full, nothing changed, one reply changed; each also as a
    ratio to the floor, the time to discover and hash the files."""
    from flows.refresh import run_refresh

    warm = target.parent / "warm"
    run_refresh(raw, warm / "foi.duckdb", full=True)  # starts the server; not timed
    out = {}
    for name, change in (("full", None), ("nothing_changed", None), ("one_reply_changed", "change")):
        if change:
            reply = next(p for p in sorted(raw.rglob("*.csv")))
            reply.write_bytes(reply.read_bytes() + b"\n")
        t0 = time.perf_counter()
        result = run_refresh(raw, target, full=name == "full")
        seconds = time.perf_counter() - t0
        out[name] = {"seconds": round(seconds, 2), "x_floor": round(seconds / max(floor, 1e-3), 1),
                     "unchanged": bool(result.unchanged_since), "published": result.published}
    out["floor_discover_seconds"] = floor
    return out


if __name__ == "__main__":
    main()
