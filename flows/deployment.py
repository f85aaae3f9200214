"""The yearly refresh as a Prefect deployment.

The request goes out each spring and most replies are in by the summer, so the
refresh is scheduled once a year; `foi serve` runs it on that schedule (and lets an
operator trigger it by hand from the Prefect UI between times).
"""
from __future__ import annotations

from pathlib import Path

from flows import DEFAULT_RAW, DEFAULT_WAREHOUSE

YEARLY_CRON = "0 6 1 7 *"  # 06:00 on 1 July, every year
TIMEZONE = "Europe/London"


def yearly_deployment(
    raw_dir: Path = DEFAULT_RAW,
    warehouse_path: Path = DEFAULT_WAREHOUSE,
    *,
    name: str = "yearly-refresh",
    cron: str = YEARLY_CRON,
):
    """Builds the deployment without contacting a server, so it can be tested."""
    from prefect.schedules import Cron

    from flows.refresh import refresh

    return refresh.to_deployment(
        name=name,
        schedules=[Cron(cron, timezone=TIMEZONE)],
        parameters={"raw_dir": str(raw_dir), "warehouse_path": str(warehouse_path)},
        description="Read every FOI reply under raw/, validate, publish the warehouse.",
        tags=["foi", "yearly"],
    )


def serve(raw_dir: Path = DEFAULT_RAW, warehouse_path: Path = DEFAULT_WAREHOUSE) -> None:
    """Serve the schedule until stopped. Keeps the schedule active on SIGTERM."""
    from prefect import serve as prefect_serve

    prefect_serve(yearly_deployment(raw_dir, warehouse_path), pause_on_shutdown=False)
