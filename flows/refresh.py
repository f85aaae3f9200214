"""The Prefect flow `refresh`: one task per stage, reading top to bottom.

raw files -> discover -> read (cached on file hash) -> normalise -> load (a staged
DuckDB file) -> validate (Great Expectations) -> report (HTML, published or blocked)
-> publish (atomic) or block.
The stages are plain functions elsewhere; Prefect adds retries, caching, logging and
scheduling around them. Nothing else in the package imports Prefect.
"""
from __future__ import annotations

import functools
import inspect
import json
import os
import shutil
import sys
import subprocess
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from flows import DEFAULT_RAW, DEFAULT_WAREHOUSE, PROJECT_ROOT

# Quiet, local, offline Prefect (see docs/operations.md): set before prefect is imported.
os.environ.setdefault("PREFECT_HOME", str(PROJECT_ROOT / ".prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
# The first run on a new machine migrates the temporary server's database: allow it time.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings  # noqa: E402

from flows import discover as discovery  # noqa: E402
from flows import facts as fact_stage  # noqa: E402
from flows import locking, preload, runners  # noqa: E402
from flows import guard, incremental, quality, report, warehouse  # noqa: E402
from flows.reviews import REVIEWS_CSV, load_reviews  # noqa: E402
from flows.isolation import BUDGET_REASONS, read_isolated  # noqa: E402
from flows.limits import Limits, load_limits  # noqa: E402
from flows.reading import ReplyReading, reader_fingerprint, reading_cache_key  # noqa: E402


@dataclass
class RefreshResult:
    run_id: str
    published: bool
    warehouse: Path
    raw_dir: Path
    blocked_reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    round_problems: list[str] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    report: Path | None = None  # warehouse/reports/<run_id>/index.html; None if not built
    report_problems: list[str] = field(default_factory=list)  # why it is missing or incomplete
    shrink_blocked: bool = False  # blocked by the shrink guard: --accept-shrink would publish
    unchanged_since: str | None = None  # nothing changed since this published run: nothing rebuilt


def _read_key(context, parameters) -> str:
    # schemas/limits.yaml is in the fingerprint; limits given in its place are not
    limits = parameters.get("limits")
    extra = "" if limits is None else repr(limits)
    return reading_cache_key(parameters["reply"], parameters["fingerprint"] + extra)


# Only reading is cached (on file hashes). The other stages take whole rounds of
# observations as inputs: hashing those for a cache key would cost more than the stage.
@task(name="discover", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)  # lists and hashes: safe to retry
def discover_task(raw_dir: Path) -> list[discovery.Round]:
    rounds, problems = discovery.discover_raw(raw_dir)
    for problem in problems:
        get_run_logger().warning(problem)
    return rounds


@task(
    name="read-reply",
    task_run_name="read {reply.rel_path}",
    cache_key_fn=_read_key,
    persist_result=True,
    retries=1,
    retry_delay_seconds=1,
)
def read_task(reply: discovery.ReplyFile, fingerprint: str, limits: Limits | None = None,
              run_id: str = "") -> ReplyReading:
    """One file in a worker process within its time and memory budget (flows.isolation).
    `run_id` is not in the cache key: a cached reading carries the run that made it."""
    return replace(read_isolated(reply, limits if limits is not None else load_limits()), read_in_run=run_id)


def read_all(replies: list[discovery.ReplyFile], fingerprint: str, limits: Limits | None,
             run_id: str, full: bool = False, progress: bool = False) -> list[ReplyReading]:
    """Every reply's reading, cached on its bytes (`full`: every file read again). A
    budget verdict from an earlier run (stopped for time or memory: it may have been
    the machine, not the file) is never reused: that file is read again, once.
    `progress`: a line on stderr as each file is read (`foi refresh` without --quiet)."""
    from prefect.futures import as_completed

    reader = read_task.with_options(refresh_cache=True) if full else read_task
    futures = [reader.submit(reply, fingerprint, limits, run_id) for reply in replies]
    if progress:
        index = {id(f): reply for f, reply in zip(futures, replies)}
        for done, future in enumerate(as_completed(futures), 1):
            reading = future.result()
            again = "" if reading.read_in_run == run_id else ", read before"
            print(f"[{done}/{len(futures)}] {index[id(future)].rel_path}: {reading.status}"
                  f"{' (' + reading.layout + ')' if reading.layout else ''}{again}", file=sys.stderr, flush=True)
    readings = [at_its_place(f.result(), reply) for f, reply in zip(futures, replies)]
    again = [i for i, r in enumerate(readings) if r.read_in_run != run_id and r.reason in BUDGET_REASONS]
    fresh = read_task.with_options(refresh_cache=True)
    for i, future in [(i, fresh.submit(replies[i], fingerprint, limits, run_id)) for i in again]:
        readings[i] = at_its_place(future.result(), replies[i])
    return readings


def at_its_place(reading: ReplyReading, reply: discovery.ReplyFile) -> ReplyReading:
    """A reading cached on a file's bytes, given back the file where it is now: its
    messages and notes name the path it was first read at, which may be another round's
    or force's folder."""
    old, new = reading.reply.rel_path, reply.rel_path
    if old == new:
        return replace(reading, reply=reply)
    return replace(reading, reply=reply, message=reading.message.replace(old, new),
                   notes=[n.replace(old, new) for n in reading.notes])


@task(name="normalise", cache_policy=NO_CACHE)
def normalise_task(rounds, readings, reviews_path: Path | None = None) -> fact_stage.Facts:
    reviews, problems = load_reviews(reviews_path or REVIEWS_CSV)
    facts = fact_stage.build_facts(rounds, readings, reviews)
    facts.messages.extend(problems)
    return facts


@task(name="load", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)  # a failed build removes its file
def load_task(facts: fact_stage.Facts, staged: Path, run: dict) -> list[str]:
    """The staged warehouse; returns what schemas/warehouse_docs.yaml fails to document
    (a code defect the tests catch: in a refresh it is a warning, never a lost figure)."""
    undocumented = warehouse.build(
        staged,
        offences=facts.offences,
        returns=facts.returns,
        stated_totals=facts.stated_totals,
        force_replies=facts.force_replies,
        responses=facts.responses,
        rounds=facts.rounds,
        run=run,
        strict_docs=False,
    )
    for problem in undocumented:
        get_run_logger().warning(f"warehouse docs: {problem}")
    return undocumented


@task(name="validate", cache_policy=NO_CACHE)
def validate_task(
    staged: Path, run_id: str, suites: list[quality.SuiteSpec]
) -> tuple[list[quality.CheckResult], list[quality.GxValidation]]:
    """The checks, and GX's own results for the report's Data Docs."""
    kept: list[quality.GxValidation] = []
    results = quality.validate_warehouse(staged, suites, kept)
    warehouse.append(staged, "validation_results", quality.results_frame(results, run_id))
    return results, kept


@task(name="shrink-guard", cache_policy=NO_CACHE)
def guard_task(published: Path | None, staged: Path, rounds: list[discovery.Round], raw_dir: Path,
               accept: bool, run_id: str) -> list[quality.CheckResult]:
    """What the staged warehouse would drop from the published one (flows/guard.py),
    recorded in the staged file's validation_results like the other checks."""
    results = guard.shrink_checks(published=published, staged=staged, rounds=rounds,
                                  raw_dir=raw_dir, accept=accept)
    warehouse.append(staged, "validation_results", quality.results_frame(results, run_id))
    return results


@task(name="report", cache_policy=NO_CACHE)
def report_task(staged: Path, target: Path, run: dict, checks, validations, blocked: list[str],
                warnings: list[str], round_problems: list[str], summary: dict,
                suites: list[quality.SuiteSpec]) -> tuple[Path | None, list[str]]:
    """The run's HTML report, built from the staged file before it is published or
    discarded, into a staging folder (staged_report) that record_run moves into place
    after the swap; returns where its index will be then. Never raises: a report that
    cannot be written must not stop a good warehouse being published, nor hide a block."""
    from concurrent.futures import ThreadPoolExecutor

    folder = staged_report(target, run["run_id"]) / run["run_id"]
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the headline report (published runs only) is drawn while the run report is built
        headline = None if blocked else pool.submit(headline_report, staged, folder)
        try:
            built = report.build_report(
                staged_report(target, run["run_id"]), run_id=run["run_id"],
                status="blocked" if blocked else "published", warehouse_file=staged,
                checks=checks, validations=validations,
                suites=suites,
                blocked_reasons=blocked, warnings=warnings, round_problems=round_problems,
                started_at=run["started_at"], details=report_details(run, summary),
                links=[("Headline figures", HEADLINE_PAGE)] if headline is not None else [],
            )
        except Exception as exc:
            message = f"the run report could not be written: {type(exc).__name__}: {exc}"
            get_run_logger().error(message)
            return None, [message]
        problems = list(built.problems)
        if headline is not None and (failed := headline.result()):
            problems.append(failed)
    for problem in problems:
        get_run_logger().warning(f"run report: {problem}")
    return report.reports_dir(target) / run["run_id"] / built.index.name, problems


HEADLINE_PAGE = "headline.html"


def headline_report(staged: Path, folder: Path) -> str | None:
    """The headline figures with their caveats and charts (flows/headline.py), written
    beside the run report so they are moved into place with it after the swap. Returns
    why it could not be written, or None: it never stops a publication."""
    try:
        from flows.headline import build_headline_report

        folder.mkdir(parents=True, exist_ok=True)
        build_headline_report(staged, folder, run_report=folder / "index.html")
    except Exception as exc:
        return f"the headline report could not be written: {type(exc).__name__}: {exc}"
    return None


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(staged: Path, target: Path, blocked: list[str]) -> bool:
    """The swap (one rename: readers see the old file or the new one), or the discard."""
    if blocked:
        warehouse.discard(staged)
        return False
    warehouse.publish(staged, target)
    get_run_logger().info(f"published {target}")
    return True


def one_at_a_time(body):
    """The flow's body, run holding `<warehouse>.lock` (flows/locking.py) from before it
    reads anything until its run log is written, after clearing what killed refreshes
    left (no refresh that is still running can own any of it while this one holds the
    lock). `lock_wait`: how long to wait for a refresh that holds it; 0 refuses at once
    with locking.RefreshLocked. Every way into the flow (foi refresh, the deployment, a
    direct call) goes through this."""
    signature = inspect.signature(body)

    @functools.wraps(body)
    def locked(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        target = Path(bound.arguments["warehouse_path"]).resolve()
        with locking.refresh_lock(target, bound.arguments["lock_wait"], on_wait=get_run_logger().warning):
            clear_leftovers(target)
            return body(*args, **kwargs)

    return locked


# Readers wait on their worker processes: by default one thread per worker the limits
# allow; FOI_TASK_RUNNER=dask (FOI_DASK_ADDRESS, FOI_DASK_WORKERS) reads on a Dask cluster
# instead, so a deployment can choose it (flows/runners.py). run_refresh takes a runner.
@flow(name="refresh", log_prints=False, task_runner=runners.choose())
@one_at_a_time
def refresh(
    raw_dir: Path = DEFAULT_RAW,
    warehouse_path: Path = DEFAULT_WAREHOUSE,
    expectations_dir: Path | None = None,
    reviews_path: Path | None = None,
    accept_shrink: bool = False,
    limits_path: Path | None = None,
    full: bool = False,
    lock_wait: float = 0.0,
    progress: bool = False,
) -> RefreshResult:
    """`limits_path`: a limits file in place of schemas/limits.yaml (its parallel_readers
    is read from schemas/limits.yaml when the flow is defined). `full`: read every file
    again and rebuild, even if nothing changed (flows/incremental.py). `lock_wait`: seconds
    to wait for another refresh of the same warehouse (one_at_a_time)."""
    raw_dir, target = Path(raw_dir).resolve(), Path(warehouse_path).resolve()
    limits = load_limits(limits_path) if limits_path is not None else None
    run = new_run(raw_dir)
    rounds = discover_task(raw_dir)
    run["inputs_fingerprint"], since = incremental.matching_run(
        raw_dir, rounds, target, full=full, extra_files=[expectations_dir, reviews_path, limits_path])
    if since is not None:
        return unchanged(run, target, raw_dir, since=since)
    replies = [reply for rnd in rounds for reply in rnd.files]
    preload.start()  # validation's and the report's libraries, while the files are read
    fingerprint = reader_fingerprint()
    readings = read_all(replies, fingerprint, limits, run["run_id"], full=full, progress=progress)
    facts = normalise_task(rounds, readings, reviews_path)

    target.parent.mkdir(parents=True, exist_ok=True)
    staged = warehouse.staging_path(target)
    run["files"] = [
        {"path": r.rel_path, "sha256": r.sha256, "force_code": r.force_code} for r in replies
    ]
    undocumented = load_task(facts, staged, run)
    # Read once: the checks and the report's notes come from the same suites.
    suites = quality.load_suites(expectations_dir or quality.EXPECTATIONS_DIR)
    checks, validations = validate_task(staged, run["run_id"], suites)
    # Read-only on the published file: a blocked run leaves it byte for byte.
    checks = checks + guard_task(target if target.exists() else None, staged, rounds, raw_dir,
                                 accept_shrink, run["run_id"])
    blocked = [_reason(c) for c in quality.blocking(checks)]
    warnings = [_reason(c) for c in checks if not c.success and c.severity != "critical"]
    warnings += [f"warehouse docs: {p}" for p in undocumented]
    round_problems = list(facts.messages)  # the rounds' filing problems and reviews.csv's
    summary = summarise(facts)
    report_path, report_problems = report_task(
        staged, target, run, checks, validations, blocked, warnings, round_problems, summary, suites)
    # The report and the run log are staged, then moved into place after the swap (or the
    # discard): a refresh killed before the swap leaves nothing that claims a publication,
    # and one killed after it has them moved into place by the next refresh (clear_leftovers).
    write_run_log(target, run, not blocked, blocked, warnings, report_path, report_problems, staged=True)
    published = publish_task(staged, target, blocked)
    record_run(target, run["run_id"])
    attach_artifacts(target if published else None, run["run_id"], published, blocked, warnings,
                     len(checks), summary, report_path)
    tidy(target)
    return RefreshResult(
        run_id=run["run_id"], published=published, warehouse=target, raw_dir=raw_dir,
        blocked_reasons=blocked, warnings=warnings, round_problems=round_problems,
        summary=summary, report=report_path, report_problems=report_problems,
        shrink_blocked=any(c.suite == guard.SUITE for c in quality.blocking(checks)),
    )


def attach_artifacts(published_file: Path | None, run_id: str, published: bool, blocked: list[str],
                     warnings: list[str], checks_run: int, summary: dict, report_path: Path | None) -> None:
    """The headline table and the quality summary on this flow run, for the Prefect UI
    (flows/artifacts.py). Never fails a refresh: the warehouse is already published."""
    from flows import artifacts

    try:
        artifacts.attach(published_file, artifacts.quality_markdown(
            run_id=run_id, published=published, blocked=blocked, warnings=warnings,
            checks_run=checks_run, summary=summary, report=report_path))
    except Exception as exc:
        get_run_logger().warning(f"Prefect artifacts not attached: {type(exc).__name__}: {exc}")


def unchanged(run: dict, target: Path, raw_dir: Path, since: str) -> RefreshResult:
    """Nothing this refresh would build from has changed since the published run
    `since`: no file is read, nothing rebuilt, the published warehouse stays as it is."""
    from types import SimpleNamespace

    get_run_logger().info(f"nothing changed since run {since}: the published warehouse is current")
    write_run_log(target, {**run, "unchanged_since": since}, True, [], [], status="unchanged")
    published = SimpleNamespace(returns=warehouse.read_table(target, "returns"),
                                force_replies=warehouse.read_table(target, "force_replies"))
    return RefreshResult(run_id=run["run_id"], published=True, warehouse=target, raw_dir=raw_dir,
                         summary=summarise(published), unchanged_since=since)


def summarise(facts: fact_stage.Facts) -> dict:
    """What a person needs to see after a run, from the facts (so a blocked run has it too)."""
    returns, replies = facts.returns, facts.force_replies
    latest = replies[replies["round"] == replies["round"].max()] if len(replies) else replies
    not_loaded = returns[returns["status"] != "loaded"]
    return {
        "files": len(returns),
        "loaded_files": int((returns["status"] == "loaded").sum()),
        "not_loaded": not_loaded[["path", "status", "message"]].to_dict("records"),
        "forces_with_data": sorted(latest.loc[latest["reply"] == "data", "force_code"]),
        "replies": latest["reply"].value_counts().to_dict(),
        "not_replied": sorted(latest.loc[latest["reply"] == "no_reply", "force_name"]),
    }


def report_details(run: dict, summary: dict) -> dict:
    """The run's facts as the report shows them, label: value."""
    return {
        "code version": run.get("code_version", ""),
        "raw folder": run.get("raw_dir", ""),
        "files": f"{summary.get('files', 0)} received, {summary.get('loaded_files', 0)} loaded",
        "forces with data": len(summary.get("forces_with_data", [])),
        "no reply": ", ".join(summary.get("not_replied", [])) or "none",
    }


def run_refresh(
    raw_dir: Path = DEFAULT_RAW,
    warehouse_path: Path = DEFAULT_WAREHOUSE,
    expectations_dir: Path | None = None,
    reviews_path: Path | None = None,
    accept_shrink: bool = False,
    limits_path: Path | None = None,
    full: bool = False,
    lock_wait: float = 0.0,
    task_runner=None,
    progress: bool = False,
) -> RefreshResult:
    """Run the flow in-process, without the one-second heartbeat join at the end.
    `lock_wait`: seconds to wait for another refresh of the warehouse (else
    locking.RefreshLocked at once: before a flow run is made, so the refusal is one clear
    message, not a failed flow run's traceback). `task_runner`: what reads the files
    (flows.runners.task_runner / choose); None: the flow's own (FOI_TASK_RUNNER, else threads)."""
    if not lock_wait:
        locking.refuse_if_held(Path(warehouse_path).resolve())
    chosen = refresh if task_runner is None else refresh.with_options(task_runner=task_runner)
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return chosen(raw_dir, warehouse_path, expectations_dir, reviews_path, accept_shrink, limits_path,
                      full, lock_wait=lock_wait, progress=progress)


def new_run(raw_dir: Path) -> dict:
    return {
        "run_id": datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8],
        "started_at": datetime.now(timezone.utc),
        "code_version": code_version(),
        "raw_dir": str(raw_dir),
    }


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=PROJECT_ROOT,
            capture_output=True, text=True, timeout=5,
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import version

    return version("foi-warehouse")


def _reason(check: quality.CheckResult) -> str:
    """A failed check as the run report and the CLI list it: the shrink guard's own
    message (it names each force-year and why), else the check in the team's words:
    what failed, the cells, and what to do (quality.describe, from the suite's says/do)."""
    return guard.describe(check) if check.suite == guard.SUITE else quality.describe(check)


def write_run_log(target: Path, run: dict, published: bool, blocked: list[str], warnings: list[str],
                  report_path: Path | None = None, report_problems: list[str] = (),
                  staged: bool = False, status: str | None = None) -> Path:
    """Every run leaves a record beside the warehouse, blocked ones too: a blocked run
    must not touch the published warehouse, so its record cannot live inside it. Written
    whole or not at all (a temporary file renamed); `staged`: under its staged name, for
    record_run to move into place after the swap."""
    path = run_log_path(target, run["run_id"])
    record = {
        **{k: v for k, v in run.items() if k != "started_at"},
        "started_at": run["started_at"].isoformat(),
        "finished_at": datetime.now(timezone.utc).isoformat(),
        "status": status or ("published" if published else "blocked"),
        "blocked_reasons": blocked,
        "warnings": warnings,
        "report": str(report_path) if report_path else None,
        "report_problems": list(report_problems),
    }
    if staged:
        path = path.with_name(path.name + STAGED)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, json.dumps(record, indent=2, default=str))
    return path


# A run's report and run log are built under these names and renamed into place once the
# run is published or blocked (record_run); anything else under them is a killed run's.
STAGING = ".staging-"   # reports/.staging-<run_id>/<run_id>/...
STAGED = ".staging"     # runs/<run_id>.json.staging
TEMPORARY = ".tmp-"     # runs/<name>.tmp-<hex>: a run log being written


def run_log_path(target: Path, run_id: str) -> Path:
    return Path(target).parent / "runs" / f"{run_id}.json"


def staged_report(target: Path, run_id: str) -> Path:
    """The folder a run's report is built in (as reports/ is: the run's own folder, and a
    list of runs that is thrown away)."""
    return report.reports_dir(target) / f"{STAGING}{run_id}"


def tidy(target: Path) -> None:
    """Old run logs and reports pruned (schemas/housekeeping.yaml), the list of runs
    written again. Never fails a refresh: what is not pruned now is pruned next time."""
    from flows import housekeeping

    try:
        gone = housekeeping.prune(target)
        if gone:
            get_run_logger().info(f"pruned the records of {len(gone)} old run(s): {', '.join(gone[:5])}"
                                  + (" ..." if len(gone) > 5 else ""))
            reports = report.reports_dir(target)
            if reports.is_dir():
                report.write_runs_index(reports)
    except Exception as exc:
        get_run_logger().warning(f"old run records were not pruned: {type(exc).__name__}: {exc}")


def record_run(target: Path, run_id: str) -> None:
    """After the swap or the discard: the run's staged report and run log renamed into
    place, and the list of runs written again. A report that was not finished is dropped
    (its run log says why there is none)."""
    reports = report.reports_dir(target)
    staging = staged_report(target, run_id)
    built = staging / run_id
    moved = (built / report.SUMMARY).is_file()
    if moved:
        os.replace(built, reports / run_id)
    shutil.rmtree(staging, ignore_errors=True)
    log = run_log_path(target, run_id)
    staged_log = log.with_name(log.name + STAGED)
    if staged_log.exists():
        os.replace(staged_log, log)
        warehouse.fsync(log.parent)
    if moved:
        warehouse.fsync(reports)
        try:
            report.write_runs_index(reports)
        except Exception as exc:  # the run's own report is in place; the list is rewritten next run
            get_run_logger().warning(f"the list of run reports could not be written: {type(exc).__name__}: {exc}")


def clear_leftovers(target: Path) -> list[str]:
    """What refreshes that were killed left, cleared by the next one: it holds the lock,
    so none of it belongs to a refresh that is still running. Staged warehouse files (and
    their write-ahead logs) and half-written run logs are deleted. A staged report and run
    log are moved into place when their run did conclude (published: its row is in the
    published warehouse, so it was killed after the swap; or blocked), else deleted.
    Returns what was done, each also logged."""
    target = Path(target)
    done = [f"deleted {p.name}, left by a refresh that was stopped" for p in warehouse.discard_leftovers(target)]
    published = warehouse.published_run_ids(target)
    reports, runs = report.reports_dir(target), target.parent / "runs"
    staged = {p.name[len(STAGING):] for p in reports.glob(f"{STAGING}*")}
    staged |= {p.name[:-len(".json" + STAGED)] for p in runs.glob(f"*.json{STAGED}")}
    for run_id in sorted(staged):
        log = run_log_path(target, run_id)
        staged_log = log.with_name(log.name + STAGED)
        status = _status(staged_log)
        if status == "blocked" or (status == "published" and run_id in published):
            record_run(target, run_id)
            done.append(f"run {run_id} was stopped after it was {status}: its report and run log moved into place")
        else:
            shutil.rmtree(staged_report(target, run_id), ignore_errors=True)
            staged_log.unlink(missing_ok=True)
            done.append(f"run {run_id} was stopped before it was published: its unfinished report deleted")
    for temporary in runs.glob(f"*{TEMPORARY}*"):
        temporary.unlink(missing_ok=True)
        done.append(f"deleted {temporary.name}, a run log a stopped refresh was writing")
    for line in done:
        get_run_logger().warning(line)
    return done


def _status(staged_log: Path) -> str | None:
    try:
        return json.loads(staged_log.read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        return None


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f"{path.name}{TEMPORARY}{uuid.uuid4().hex[:8]}")
    try:
        with open(temporary, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    warehouse.fsync(path.parent)
