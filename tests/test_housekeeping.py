"""Old run records pruned by the documented rule: the last N, and every published run
for a year."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from flows.housekeeping import Rule, load_rule, prune

NOW = datetime(2027, 7, 1, 6, tzinfo=timezone.utc)


def write_run(target, run_id: str, status: str, days_ago: float) -> None:
    runs, reports = target.parent / "runs", target.parent / "reports" / run_id
    runs.mkdir(parents=True, exist_ok=True)
    reports.mkdir(parents=True)
    (reports / "index.html").write_text("<p>report</p>")
    finished = (NOW - timedelta(days=days_ago)).isoformat()
    (runs / f"{run_id}.json").write_text(json.dumps({"run_id": run_id, "status": status, "finished_at": finished}))


def test_keeps_the_last_runs_and_a_year_of_published_ones(tmp_path):
    target = tmp_path / "warehouse" / "foi.duckdb"
    write_run(target, "r-2025-published", "published", 700)   # published, over a year ago: pruned
    write_run(target, "r-2026-published", "published", 360)   # published within the year: kept
    write_run(target, "r-2026-blocked", "blocked", 359)       # not among the last 3: pruned
    for i in range(3):
        write_run(target, f"r-recent-{i}", "unchanged" if i else "blocked", 3 - i)
    (target.parent / "runs" / "r-staged.json.staging").write_text("{}")  # another refresh's: untouched
    (target.parent / "runs" / "notes.json").write_text("not json")        # not a run log: untouched
    gone = prune(target, Rule(keep_last=3, keep_published_days=366), now=NOW)
    assert sorted(gone) == ["r-2025-published", "r-2026-blocked"]
    left = sorted(p.name for p in (target.parent / "runs").iterdir())
    assert left == ["notes.json", "r-2026-published.json", "r-recent-0.json", "r-recent-1.json",
                    "r-recent-2.json", "r-staged.json.staging"]
    assert sorted(p.name for p in (target.parent / "reports").iterdir()) == [
        "r-2026-published", "r-recent-0", "r-recent-1", "r-recent-2"]


def test_the_shipped_rule():
    rule = load_rule()
    assert rule.keep_last >= 10 and rule.keep_published_days >= 365


def test_a_refresh_prunes(tmp_path, prefect_harness):
    from flows.refresh import run_refresh

    raw = tmp_path / "raw" / "2017-housekeeping" / "Kent"
    raw.mkdir(parents=True)
    (raw / "reply.csv").write_text("Year,Offence,Count\n2016/17,Sexual grooming,30\n")
    target = tmp_path / "warehouse" / "foi.duckdb"
    write_run(target, "r-ancient", "blocked", 3000)
    for i in range(25):
        (target.parent / "runs" / f"r-old-{i:02d}.json").write_text(json.dumps(
            {"run_id": f"r-old-{i:02d}", "status": "blocked", "finished_at": "2020-01-01T00:00:00+00:00"}))
    result = run_refresh(tmp_path / "raw", target)
    assert result.published
    left = {p.stem for p in (target.parent / "runs").glob("*.json")}
    assert result.run_id in left and "r-ancient" not in left and len(left) == load_rule().keep_last
    assert not (target.parent / "reports" / "r-ancient").exists()
