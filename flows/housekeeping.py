"""Old run logs and run reports pruned by the rule in schemas/housekeeping.yaml.

A yearly refresh runs unattended, and a blocked or unchanged run leaves a record every
time it is tried: without a rule the records grow for ever. A run is kept if it is one
of the last `keep_last`, or if it published within `keep_published_days`; the rest go,
its run log and report together. Only whole records are touched: staged ones belong to
the refresh running now or to a killed one (flows.refresh.clear_leftovers).
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from flows import SCHEMAS

HOUSEKEEPING_YAML = SCHEMAS / "housekeeping.yaml"


@dataclass(frozen=True)
class Rule:
    keep_last: int
    keep_published_days: int


def load_rule(path: Path | None = None) -> Rule:
    raw = yaml.safe_load(Path(path or HOUSEKEEPING_YAML).read_text(encoding="utf-8")) or {}
    rule = Rule(int(raw["keep_last"]), int(raw["keep_published_days"]))
    if rule.keep_last < 1 or rule.keep_published_days < 0:
        raise ValueError(f"{path or HOUSEKEEPING_YAML}: keep_last must be at least 1 and keep_published_days not negative")
    return rule


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    status: str
    finished_at: datetime | None


def run_records(runs_dir: Path) -> list[RunRecord]:
    """Every whole run log, newest first (by finish time, then id)."""
    out = []
    for path in Path(runs_dir).glob("*.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # not a run log we wrote whole: left alone
        finished = record.get("finished_at")
        try:
            when = datetime.fromisoformat(finished) if finished else None
        except ValueError:
            when = None
        out.append(RunRecord(path.stem, str(record.get("status")), when))
    return sorted(out, key=lambda r: (r.finished_at or datetime.min.replace(tzinfo=timezone.utc), r.run_id),
                  reverse=True)


def prune(target: Path, rule: Rule | None = None, now: datetime | None = None) -> list[str]:
    """Delete the run logs and reports the rule does not keep; returns the run ids gone.
    `now` is for tests; the rule is read from schemas/housekeeping.yaml by default."""
    rule = rule or load_rule()
    now = now or datetime.now(timezone.utc)
    runs_dir, reports = Path(target).parent / "runs", Path(target).parent / "reports"
    records = run_records(runs_dir)
    since = now - timedelta(days=rule.keep_published_days)
    keep = {r.run_id for r in records[:rule.keep_last]}
    keep |= {r.run_id for r in records if r.status == "published" and r.finished_at and r.finished_at >= since}
    gone = []
    for record in records:
        if record.run_id in keep:
            continue
        (runs_dir / f"{record.run_id}.json").unlink(missing_ok=True)
        shutil.rmtree(reports / record.run_id, ignore_errors=True)
        gone.append(record.run_id)
    return gone
