"""Which task runner the refresh reads its files with: threads here, or a Dask cluster.

Only the read tasks are submitted to the runner (flows/refresh.py's read_all); every
other stage runs in the flow's own process. Either way each file is read in its own
budgeted process (flows/isolation.py), so what the runner decides is where the tasks
that start and wait on those processes live:

- `threads` (the default): a ThreadPoolTaskRunner of `parallel_readers` threads
  (schemas/limits.yaml) in the flow's process.
- `dask` with `workers=N`: a temporary distributed.LocalCluster of N workers, one
  thread each, created when the flow run starts and closed when it ends.
- `dask` with `address="tcp://host:8786"`: the workers of a running Dask scheduler
  (docs/operations.md, "Running on Dask").

Chosen by `task_runner(kind, address, workers)`, or from the environment by
`choose()` (FOI_TASK_RUNNER = threads | dask, FOI_DASK_ADDRESS, FOI_DASK_WORKERS), which
is how a scheduled deployment picks it: flows/refresh.py defines the flow with
`choose()` and `run_refresh` takes a runner in its place (`flow.with_options`).

Reading under Dask, and why the local cluster's workers are threads
--------------------------------------------------------------------
read_isolated starts a child process per file. A Dask worker started by a nanny (the
default for LocalCluster(processes=True) and for `dask worker`) is a *daemonic*
process, and multiprocessing refuses to start children from one ("daemonic processes
are not allowed to have children"): every read would fail. Reading in the task itself
instead would drop the time and memory budget a hostile file is held to, so the read
task has no such fallback. Instead:

- The local cluster runs its workers as threads of the flow's process
  (`processes=False`). Nothing is lost: a Dask worker here only waits on a pipe while
  the file is parsed in its own process, with its own CPU and RLIMIT_AS, so N
  workers read N files at once on N cores, exactly as N worker processes would, without
  N more interpreters importing Prefect and a fork server each. `memory_limit=0`: the
  budget is per reading process (read_memory_mb), not Dask's per worker.
- A remote cluster's workers must be started non-daemonic:
  `DASK_DISTRIBUTED__WORKER__DAEMON=False dask worker tcp://...` (the nanny still
  restarts a worker that dies) or `dask worker --no-nanny tcp://...`.
- Before the first file is submitted, the runner asks every worker whether it can start
  reading processes and whether it reads with the same code and reference files as
  this flow (flows.reading.reader_fingerprint: readings are cached under the flow's
  fingerprint, so a worker with other code would cache readings under the wrong key).
  A worker that cannot, or none at all within WORKERS_WAIT_SECONDS, stops the run
  with DaskWorkersUnfit before any file is read, naming the fix. Connected by address
  with no PREFECT_API_URL, it warns: Prefect's settings travel with each task, so each
  worker process would start a temporary Prefect server of its own.

Nothing here starts anything: a runner is built cold and started by the flow run.
Nothing is kept at module level.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

# Prefect is imported only when a runner is built: flows/refresh.py sets Prefect's
# environment before Prefect is first imported.
THREADS = "threads"
DASK = "dask"
KINDS = (THREADS, DASK)
# The environment a scheduled deployment (or any run without explicit choices) reads.
ENV_RUNNER = "FOI_TASK_RUNNER"
ENV_ADDRESS = "FOI_DASK_ADDRESS"
ENV_WORKERS = "FOI_DASK_WORKERS"
# How long a run waits for a remote scheduler to have at least one worker.
WORKERS_WAIT_SECONDS = 60


class DaskWorkersUnfit(RuntimeError):
    """The Dask workers cannot read this flow's files as a local run would."""


class RunnerChoiceError(ValueError):
    """A runner asked for that cannot be built (an unknown kind, options that clash)."""


def task_runner(kind: str = THREADS, address: str | None = None, workers: int | None = None):
    """A task runner for the refresh, not started. `kind`: 'threads' (the default:
    `parallel_readers` threads) or 'dask'. For 'dask', `address` (a running scheduler,
    e.g. 'tcp://10.0.0.5:8786') or `workers` (a local cluster of that many workers;
    default `parallel_readers`), not both."""
    if kind not in KINDS:
        raise RunnerChoiceError(f"task runner {kind!r}: expected one of {', '.join(KINDS)}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise RunnerChoiceError(f"Dask workers must be a whole number of at least 1, not {workers!r}")
    if kind == THREADS:
        if address or workers is not None:
            raise RunnerChoiceError("a Dask address or number of workers was given with the threads runner "
                             "(choose the dask runner)")
        from prefect.task_runners import ThreadPoolTaskRunner

        from flows.limits import load_limits

        return ThreadPoolTaskRunner(max_workers=load_limits().parallel_readers)
    if address and workers is not None:
        raise RunnerChoiceError("give a Dask scheduler's address or a number of local workers, not both: "
                         "a remote cluster's workers are started with it")
    runner = isolating_dask_runner_class()
    if address:
        return runner(address=address)
    if workers is None:
        from flows.limits import load_limits

        workers = load_limits().parallel_readers
    return runner(cluster_kwargs=local_cluster_kwargs(workers))


def local_cluster_kwargs(workers: int) -> dict:
    """distributed.LocalCluster's arguments: `workers` threads of this process, one task
    each (see the module's docstring for why not processes). The scheduler's HTTP server
    (health and metrics; the dashboard needs bokeh, which is not installed) on a free
    loopback port: Dask's default, 8787 on every interface, may be taken or exposed."""
    return {"n_workers": workers, "threads_per_worker": 1, "processes": False,
            "memory_limit": 0, "dashboard_address": "127.0.0.1:0"}


def choose(kind: str | None = None, address: str | None = None, workers: int | None = None,
           environ: Mapping[str, str] | None = None):
    """task_runner() from what is given, what is not given read from the environment:
    FOI_TASK_RUNNER for the kind; FOI_DASK_ADDRESS or FOI_DASK_WORKERS for where, when
    neither an address nor workers is given and the kind is not 'threads'. An address or
    a number of workers alone means the dask runner. An empty variable is unset."""
    env = os.environ if environ is None else environ
    named = None
    if kind is None and env.get(ENV_RUNNER, "").strip():
        kind = env[ENV_RUNNER].strip().lower()
        named = f"{ENV_RUNNER}={kind!r}: "
    if address is None and workers is None and kind != THREADS:
        address = env.get(ENV_ADDRESS, "").strip() or None
        text = env.get(ENV_WORKERS, "").strip()
        if text:
            try:
                workers = int(text)
            except ValueError:
                raise RunnerChoiceError(f"{ENV_WORKERS}={text!r}: expected a whole number of workers") from None
    if kind is None:
        kind = DASK if address or workers is not None else THREADS
    if named and kind not in KINDS:
        raise RunnerChoiceError(f"{named}expected one of {', '.join(KINDS)}")
    return task_runner(kind, address=address, workers=workers)


def isolating_dask_runner_class():
    """prefect_dask.DaskTaskRunner that checks its workers before the first file is
    submitted (check_workers). Built on call so that a threads-only run never imports
    Dask; the class keeps DaskTaskRunner's constructor, so Prefect's duplicate() works."""
    from prefect_dask import DaskTaskRunner
    from prefect_dask.task_runners import PrefectDaskFuture

    class IsolatingDaskTaskRunner(DaskTaskRunner):
        __doc__ = DaskTaskRunner.__doc__

        def __enter__(self):
            super().__enter__()
            self._workers_checked = False
            return self

        def submit(self, task, parameters, wait_for=None, dependencies=None):
            if not self._started:
                return super().submit(task, parameters, wait_for=wait_for, dependencies=dependencies)
            # Lazily, like the client itself: a run with nothing to read starts no cluster.
            if not getattr(self, "_workers_checked", False):
                check_workers(self.client, self.address or "the local Dask cluster")
                self._workers_checked = True
            # DaskTaskRunner.submit, with pure=False: each task run has its own id, so the
            # Dask key needs no hash of the task and its serialised run context, which
            # cost the flow's thread more than the read's own submission.
            future = self.client.submit(
                task, parameters=self._optimize_futures(parameters),
                wait_for=self._optimize_futures(wait_for) if wait_for else None,
                dependencies=dependencies, return_type="state", pure=False)
            return PrefectDaskFuture(wrapped_future=future, task_run_id=future.task_run_id)

    IsolatingDaskTaskRunner.__module__ = __name__
    return IsolatingDaskTaskRunner


def worker_facts() -> dict:
    """Run on each Dask worker: can it start reading processes, and with what reader."""
    import multiprocessing

    from flows.reading import reader_fingerprint

    return {"daemon": bool(multiprocessing.current_process().daemon),
            "fingerprint": reader_fingerprint(), "pid": os.getpid()}


def check_workers(client, where: str, wait: float = WORKERS_WAIT_SECONDS) -> dict:
    """Every worker of `client`'s cluster can read as this process would (the module's
    docstring), else DaskWorkersUnfit naming the fix. Returns each worker's facts."""
    from prefect.settings import PREFECT_API_URL

    from flows.reading import reader_fingerprint

    try:
        client.wait_for_workers(1, timeout=wait)
    except TimeoutError:
        raise DaskWorkersUnfit(f"{where}: no Dask worker connected within {wait:.0f} s; "
                               "start workers (docs/operations.md, 'Running on Dask')") from None
    try:
        facts = client.run(worker_facts)
    except Exception as exc:
        raise DaskWorkersUnfit(
            f"{where}: a Dask worker could not run this project's code ({type(exc).__name__}: {exc}); "
            "every worker needs the project installed at the same version (pip install -e <project>)"
        ) from exc
    if client.cluster is None and not PREFECT_API_URL.value():
        _warn(f"{where}: no PREFECT_API_URL is set, so each Dask worker process starts a temporary "
              "Prefect server of its own and records its reads there, not beside this flow run; set "
              "PREFECT_API_URL to a Prefect server the workers can reach (docs/operations.md)")
    mine = reader_fingerprint()
    daemonic = sorted(w for w, f in facts.items() if f["daemon"])
    if daemonic:
        raise DaskWorkersUnfit(
            f"{where}: worker(s) {', '.join(daemonic)} are daemonic processes, which cannot start the "
            "process each file is read in (flows/isolation.py); start them with "
            "DASK_DISTRIBUTED__WORKER__DAEMON=False dask worker ... (or dask worker --no-nanny ...)")
    other = sorted(w for w, f in facts.items() if f["fingerprint"] != mine)
    if other:
        raise DaskWorkersUnfit(
            f"{where}: worker(s) {', '.join(other)} read with other code or reference files than this "
            "flow (flows.reading.reader_fingerprint differs); install the same version of the project "
            "and schemas/ on every worker")
    return facts


def _warn(message: str) -> None:
    """To the flow run's log when there is one (the runner is started by a flow run)."""
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_logger, get_run_logger

    try:
        get_run_logger().warning(message)
    except MissingContextError:
        get_logger("flows.runners").warning(message)
