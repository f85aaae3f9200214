"""The yearly deployment builds without a server and carries the schedule."""
from __future__ import annotations

from flows.deployment import YEARLY_CRON, yearly_deployment


def test_yearly_deployment(tmp_path):
    d = yearly_deployment(tmp_path / "raw", tmp_path / "w.duckdb")
    assert d.name == "yearly-refresh"
    assert d.parameters == {"raw_dir": str(tmp_path / "raw"), "warehouse_path": str(tmp_path / "w.duckdb")}
    [schedule] = d.schedules
    assert schedule.schedule.cron == YEARLY_CRON
    assert schedule.schedule.timezone == "Europe/London"
