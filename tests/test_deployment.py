"""The yearly deployment: declared in prefect.yaml, built without a server as
`prefect deploy` builds it, for a worker of a process work pool."""
from __future__ import annotations

import re

import yaml

from flows import PROJECT_ROOT
from flows.deployment import (
    DEPLOYMENT, PREFECT_YAML, TIMEZONE, WORK_POOL, YEARLY_CRON, deployment_config, entrypoint_flow,
    yearly_deployment,
)


def test_yearly_deployment(tmp_path):
    d = yearly_deployment(tmp_path / "raw", tmp_path / "w.duckdb")
    assert d.name == "yearly-refresh"
    assert d.parameters == {"raw_dir": str(tmp_path / "raw"), "warehouse_path": str(tmp_path / "w.duckdb")}
    [schedule] = d.schedules
    assert schedule.schedule.cron == YEARLY_CRON
    assert schedule.schedule.timezone == "Europe/London"


def test_prefect_yaml_declares_the_yearly_refresh():
    """Read as plain YAML: the file a person edits says what the code expects."""
    doc = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    [config] = [d for d in doc["deployments"] if d["name"] == DEPLOYMENT]
    from flows.refresh import refresh

    flow = entrypoint_flow(config["entrypoint"])
    assert config["entrypoint"] == "flows/refresh.py:refresh"
    assert flow is refresh and flow.name == refresh.name == "refresh"
    [schedule] = config["schedules"]
    assert schedule == {"cron": YEARLY_CRON, "timezone": TIMEZONE}
    assert YEARLY_CRON == "0 6 1 7 *"  # 06:00 on 1 July
    assert config["work_pool"]["name"] == WORK_POOL == "foi-process"
    assert config["parameters"] == {"raw_dir": "raw", "warehouse_path": "warehouse/foi.duckdb"}
    # every parameter is one the flow takes
    import inspect

    assert set(config["parameters"]) <= set(inspect.signature(refresh.fn).parameters)


def test_the_deployment_builds_as_prefect_deploy_builds_it():
    """prefect.yaml validated by Prefect's own model, its schedule converted by the
    function `prefect deploy` uses, the flow loaded from the entrypoint's file as a
    worker loads it; no server is contacted."""
    from prefect.flows import load_flow_from_entrypoint

    config = deployment_config()
    d = yearly_deployment()
    assert (d.name, d.flow_name, d.entrypoint) == ("yearly-refresh", "refresh", "flows/refresh.py:refresh")
    assert (d.work_pool_name, d.work_queue_name) == ("foi-process", "default")
    assert d.parameters == {"raw_dir": "raw", "warehouse_path": "warehouse/foi.duckdb"}
    [schedule] = d.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == (YEARLY_CRON, TIMEZONE, True)
    assert d.concurrency_limit == config["concurrency_limit"] == 1
    assert sorted(d.tags) == ["foi", "yearly"]
    # what the worker does with the entrypoint, from the project folder
    loaded = load_flow_from_entrypoint(str(PROJECT_ROOT / config["entrypoint"]))
    assert loaded.name == "refresh"
    # the flow's parameter schema accepts the file's parameters
    assert {"raw_dir", "warehouse_path"} <= set(d._parameter_openapi_schema.properties)


def test_the_work_pool_is_a_process_pool():
    """prefect.yaml names the pool; its type is given when the pool is created (README's
    command), and the job variables the file sets must be a process worker's."""
    from prefect.workers.process import ProcessWorker

    config = deployment_config()
    assert ProcessWorker.type == "process"
    allowed = set(ProcessWorker.job_configuration_variables.model_fields)
    assert set(config["work_pool"].get("job_variables") or {}) <= allowed
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"prefect work-pool create {WORK_POOL} --type process", readme)
    assert re.search(rf"prefect worker start --pool {WORK_POOL}", readme)
    assert "prefect deploy" in readme and "prefect server start" in readme
