"""The refresh read on Dask (prefect-dask's DaskTaskRunner) gives exactly the figures,
returns and readings of a refresh read on threads; and the runner refuses Dask workers
that could not read as the flow's own process does (flows/runners.py)."""
from __future__ import annotations

import duckdb
import pytest

ROUND = "2017-dask"
MARTS = ["current_offences", "force_year_totals", "age_distribution", "offence_group_totals",
         "headline_figures", "force_year_changes"]
LOOPBACK = {"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"}  # test clusters listen on loopback only
RETURNS = "SELECT path, force_code, status, reason, message, personal_data, rows_loaded FROM returns ORDER BY path"


def write(raw, folder: str, name: str, data: str | bytes) -> None:
    d = raw / ROUND / folder
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def tables(path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        found = {m: con.execute(f"SELECT * FROM {m} ORDER BY ALL").fetchall() for m in MARTS}
        found["returns"] = con.execute(RETURNS).fetchall()
    return found


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """A small round: three data replies, a covering letter and a file no reader can open."""
    raw = tmp_path_factory.mktemp("dask") / "raw"
    write(raw, "Kent", "reply.csv", "Year,Offence,Count\n2015/16,Sexual grooming,30\n2016/17,Sexual grooming,41\n")
    write(raw, "Durham", "reply.csv", "Year,Offence,Count\n2015/16,88A,7\n2016/17,88A,9\n")
    write(raw, "Essex", "reply.csv", "Year,Offence,Count\n2016/17,86,5\n2016/17,Sexual grooming,*\n")
    write(raw, "Essex", "covering letter.txt", "Please find attached our response.\n")
    write(raw, "Surrey", "reply.xlsx", b"PK\x03\x04 not really a workbook" * 20)
    return raw


@pytest.fixture(scope="module")
def on_threads(raw, tmp_path_factory, prefect_harness):
    """The refresh with the default runner: what every Dask run must equal."""
    from flows.refresh import run_refresh

    target = tmp_path_factory.mktemp("threads") / "foi.duckdb"
    result = run_refresh(raw, target, full=True)
    assert result.published
    found = tables(target)
    assert len(found["returns"]) == 5 and len({r[2] for r in found["returns"]}) >= 3  # statuses vary
    assert found["force_year_totals"] and found["headline_figures"]
    return result, found


def test_a_local_dask_cluster_gives_the_same_figures(raw, on_threads, tmp_path, prefect_harness):
    from prefect_dask import DaskTaskRunner

    from flows.refresh import run_refresh
    from flows.runners import task_runner

    runner = task_runner("dask", workers=2)
    assert isinstance(runner, DaskTaskRunner) and runner.cluster_kwargs["n_workers"] == 2
    result = run_refresh(raw, tmp_path / "foi.duckdb", full=True, task_runner=runner)
    threads, expected = on_threads
    assert result.published
    assert tables(tmp_path / "foi.duckdb") == expected
    assert result.summary == threads.summary  # the same files loaded, and not loaded for the same reasons


@pytest.fixture(scope="module")
def cluster():
    """A separate Dask scheduler on loopback with two worker *processes*, started as
    docs/operations.md says remote workers must be: not daemonic."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.worker.daemon": False}):  # read as each worker starts
        c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, **LOOPBACK)
    with c:
        yield c


def test_a_cluster_at_an_address_gives_the_same_figures(raw, on_threads, cluster, tmp_path, prefect_harness):
    """Reading in other processes (the tasks and their readings pickled both ways, each
    worker starting its own reading processes) as a remote cluster does."""
    from flows.refresh import run_refresh
    from flows.runners import task_runner

    result = run_refresh(raw, tmp_path / "foi.duckdb", full=True,
                         task_runner=task_runner("dask", address=cluster.scheduler_address))
    threads, expected = on_threads
    assert result.published
    assert tables(tmp_path / "foi.duckdb") == expected
    assert result.summary == threads.summary


def test_daemonic_workers_are_refused_before_anything_is_read(raw):
    """A nanny's worker is daemonic by default and cannot start reading processes: the
    run stops at once naming the fix, rather than failing every file."""
    from distributed import Client, LocalCluster

    from flows.runners import DaskWorkersUnfit, check_workers

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, **LOOPBACK) as daemonic, Client(daemonic) as client:
        with pytest.raises(DaskWorkersUnfit, match="DASK_DISTRIBUTED__WORKER__DAEMON=False"):
            check_workers(client, daemonic.scheduler_address)


def test_a_runner_at_an_address_is_built_cold():
    """Building the runner contacts nothing: the flow run starts (connects) it."""
    from prefect_dask import DaskTaskRunner

    from flows.runners import task_runner

    address = "tcp://192.0.2.10:8786"  # TEST-NET-1: nothing answers there, and nothing is sent
    runner = task_runner("dask", address=address)
    assert isinstance(runner, DaskTaskRunner)
    assert runner.address == address and not runner.cluster_kwargs
    assert runner._client is None and runner._cluster is None and not runner._started
    again = runner.duplicate()  # what Prefect's flow engine enters
    assert type(again) is type(runner) and again.address == address and again == runner


def test_the_runner_is_chosen_from_the_environment():
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from flows.limits import load_limits
    from flows.runners import choose

    default = choose(environ={})
    assert isinstance(default, ThreadPoolTaskRunner) and not isinstance(default, DaskTaskRunner)
    remote = choose(environ={"FOI_TASK_RUNNER": "dask", "FOI_DASK_ADDRESS": "tcp://scheduler:8786"})
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://scheduler:8786"
    local = choose(environ={"FOI_TASK_RUNNER": "dask"})
    assert local.address is None and local.cluster_kwargs["n_workers"] == load_limits().parallel_readers
    assert local.cluster_kwargs["processes"] is False  # see flows/runners.py: reading under Dask
    assert choose(environ={"FOI_DASK_WORKERS": "3"}).cluster_kwargs["n_workers"] == 3
    # what is given beats the environment
    assert isinstance(choose("threads", environ={"FOI_TASK_RUNNER": "dask", "FOI_DASK_ADDRESS": "tcp://x:1"}),
                      ThreadPoolTaskRunner)
    assert choose(workers=1, environ={"FOI_DASK_ADDRESS": "tcp://x:1"}).cluster_kwargs["n_workers"] == 1
    for env in ({"FOI_TASK_RUNNER": "ray"}, {"FOI_DASK_WORKERS": "two"}, {"FOI_DASK_WORKERS": "0"}):
        with pytest.raises(ValueError, match="FOI_|at least 1"):
            choose(environ=env)
    with pytest.raises(ValueError, match="not both"):
        choose("dask", address="tcp://x:1", workers=2, environ={})


def test_foi_refresh_refuses_a_runner_it_cannot_build(tmp_path, capsys):
    from flows.cli import main

    (tmp_path / "raw").mkdir()
    assert main(["refresh", "--raw", str(tmp_path / "raw"), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--runner", "threads", "--dask-workers", "2"]) == 2
    assert "threads runner" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()
