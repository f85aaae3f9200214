"""The yearly refresh as a Prefect deployment.

The request goes out each spring and most replies are in by the summer, so the
refresh is scheduled once a year. The deployment is declared once, in `prefect.yaml`
(the schedule, parameters, work pool): `prefect deploy` registers it for a worker of
the `foi-process` pool (README.md, "Scheduling"), and `foi serve` runs the same
deployment in its own process, without a worker (and lets an operator trigger it by
hand from the Prefect UI between times).
"""
from __future__ import annotations

import importlib
from pathlib import Path

from flows import DEFAULT_RAW, DEFAULT_WAREHOUSE, PROJECT_ROOT

PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"
DEPLOYMENT = "yearly-refresh"
YEARLY_CRON = "0 6 1 7 *"  # 06:00 on 1 July, every year: prefect.yaml's schedule (tests check)
TIMEZONE = "Europe/London"
WORK_POOL = "foi-process"  # a pool of type `process`: `prefect work-pool create foi-process --type process`


def deployment_config(name: str = DEPLOYMENT, path: Path = PREFECT_YAML) -> dict:
    """The deployment `name` of prefect.yaml, validated by the model `prefect deploy`
    validates it with (when this Prefect has it), as a plain dict."""
    import yaml

    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    try:
        from prefect.cli.deploy._models import PrefectYamlModel  # what `prefect deploy` validates with
    except ImportError:  # a Prefect that moved it: the plain YAML still serves
        configs = raw.get("deployments") or []
    else:
        model = PrefectYamlModel.model_validate(raw)
        configs = [d.model_dump(exclude_unset=True, mode="json") for d in model.deployments]
    found = [c for c in configs if c.get("name") == name]
    if len(found) != 1:
        raise LookupError(f"{path}: {len(found)} deployments named {name!r}")
    return found[0]


def entrypoint_flow(entrypoint: str):
    """'flows/refresh.py:refresh' -> the flow object, imported as a module of the package
    (so it is the very flow `flows.refresh` defines, not a second copy)."""
    file, _, attr = entrypoint.partition(":")
    module = Path(file).with_suffix("").as_posix().replace("/", ".")
    return getattr(importlib.import_module(module), attr)


def _schedules(config: dict) -> list:
    """prefect.yaml's schedules, converted as `prefect deploy` converts them."""
    try:
        from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule as convert
    except ImportError:
        from prefect.schedules import Cron

        return [Cron(s["cron"], timezone=s.get("timezone")) for s in config.get("schedules") or []]
    from prefect.client.schemas.actions import DeploymentScheduleCreate

    return [DeploymentScheduleCreate(**convert(s)) for s in config.get("schedules") or []]


def yearly_deployment(
    raw_dir: Path | None = None,
    warehouse_path: Path | None = None,
    *,
    name: str = DEPLOYMENT,
    path: Path = PREFECT_YAML,
):
    """The deployment as prefect.yaml declares it, built without contacting a server, so
    it can be tested. `raw_dir`, `warehouse_path`: in place of the file's (relative)
    parameters, e.g. absolute paths for `foi serve`."""
    config = deployment_config(name, path)
    parameters = dict(config.get("parameters") or {})
    if raw_dir is not None:
        parameters["raw_dir"] = str(raw_dir)
    if warehouse_path is not None:
        parameters["warehouse_path"] = str(warehouse_path)
    pool = config.get("work_pool") or {}
    return entrypoint_flow(config["entrypoint"]).to_deployment(
        name=config["name"],
        schedules=_schedules(config),
        parameters=parameters,
        description=config.get("description"),
        tags=list(config.get("tags") or []),
        concurrency_limit=config.get("concurrency_limit"),
        work_pool_name=pool.get("name"),
        work_queue_name=pool.get("work_queue_name"),
        job_variables=pool.get("job_variables") or None,
    )


def serve(raw_dir: Path = DEFAULT_RAW, warehouse_path: Path = DEFAULT_WAREHOUSE) -> None:
    """Serve the schedule until stopped, in this process (no work pool or worker: the
    runner ignores the pool). Keeps the schedule active on SIGTERM."""
    from prefect import serve as prefect_serve

    prefect_serve(yearly_deployment(raw_dir, warehouse_path), pause_on_shutdown=False)
