"""Crash safety: a refresh SIGKILLed at any moment leaves the published warehouse as it
was (or, killed after the swap, the complete new one), no report or run log that claims
a publication that did not happen, and leftovers the next refresh clears; and a second
refresh started while one runs refuses (or, with --wait, waits), never corrupts.

Real processes, real DuckDB files, the real Prefect flow against the session's Prefect
test server. Each refresh is its own process, forked by a small driver (this file run as
a script, `--driver`) that has imported Prefect, Great Expectations, DuckDB and pandas
once, so that a refresh takes seconds rather than the ~10 s of a cold `python -m
flows.cli refresh`; the child runs exactly what `foi refresh` runs (flows.cli.main). The
refusal is checked with a cold `python -m flows.cli refresh` too.

Kill moments: an unkilled run is timed stage by stage from its Prefect log (INFO: each
task's "Finished in state", the publish task's "published <file>" right after the swap);
20 moments are drawn (seeded) in [0, its duration], at least one in every stage and two
on each side of the swap; each trial waits for that stage to begin in its own log, then
for the moment's offset into the stage, and kills the process with SIGKILL. The stage it
had reached is read from its log when it was killed.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = PROJECT / ".venv" / "bin" / "python"
ROUND = "2017-crash-test"
FORCES = {"TVP": 12, "Kent": 30, "Essex": 7, "Surrey": 4}
SEED = 20170
KILLS = 20

# Stages in the order a refresh passes them: (name, the log line that ends it).
STAGES = [
    ("start", re.compile(r"Beginning flow run")),
    ("lock, clear leftovers, discover", re.compile(r"Task run 'discover-[^']*' - Finished")),
    ("read", None),  # ends at the last read task's "Finished" (one per file)
    ("normalise", re.compile(r"Task run 'normalise-[^']*' - Finished")),
    ("load", re.compile(r"Task run 'load-[^']*' - Finished")),
    ("validate", re.compile(r"Task run 'validate-[^']*' - Finished")),
    ("shrink guard", re.compile(r"Task run 'shrink-guard-[^']*' - Finished")),
    ("report", re.compile(r"Task run 'report-[^']*' - Finished")),
    ("publish, before the swap", re.compile(r"' - published /")),
    ("publish, after the swap", re.compile(r"Task run 'publish-[^']*' - Finished")),
    ("record the run", re.compile(r"Flow run '[^']*' - Finished in state")),
    ("exit", None),  # ends when the process has gone
]
READ_DONE = re.compile(r"Task run 'read [^']*' - Finished")


# --- the driver: one process that has imported everything, forking a refresh per request ---

def driver() -> None:
    """Read requests ({"log": path, "argv": [...]}) from stdin, one a line; for each, fork
    a process that runs flows.cli.main(argv) with its output in `log`, and write
    {"pid": n} at once and {"pid": n, "status": s, "seconds": t} when it has ended."""
    import flows.cli  # noqa: F401
    import flows.quality  # noqa: F401
    import flows.refresh  # noqa: F401
    import flows.report.data_docs  # noqa: F401
    import great_expectations  # noqa: F401
    import duckdb as _duckdb  # noqa: F401
    import pandas  # noqa: F401

    print(json.dumps({"ready": True}), flush=True)
    started: dict[int, float] = {}
    stdin_open = True
    while stdin_open or started:
        ready = select.select([sys.stdin], [], [], 0.01)[0] if stdin_open else time.sleep(0.01)
        if ready:
            line = sys.stdin.readline()
            if not line:
                stdin_open = False
            elif line.strip():
                request = json.loads(line)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _child(request)
                started[pid] = time.monotonic()
                print(json.dumps({"pid": pid}), flush=True)
        for pid in list(started):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                seconds = time.monotonic() - started.pop(pid)
                print(json.dumps({"pid": pid, "status": status, "seconds": seconds}), flush=True)


def _child(request: dict) -> None:
    code = 1
    try:
        fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        sys.argv = ["foi", *request["argv"]]
        from flows.cli import main

        code = main(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class Driver:
    def __init__(self, env: dict, log: Path):
        self._log = open(log, "w")
        self.proc = subprocess.Popen([str(PYTHON), __file__, "--driver"], cwd=PROJECT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        assert self._next() == {"ready": True}, "the driver did not start"
        self.ended: dict[int, dict] = {}

    def _next(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the driver died (exit {self.proc.poll()}); see its log")
        return json.loads(line)

    def start(self, log: Path, argv: list[str]) -> int:
        self.proc.stdin.write(json.dumps({"log": str(log), "argv": argv}) + "\n")
        self.proc.stdin.flush()
        while True:
            message = self._next()
            if "status" in message:
                self.ended[message["pid"]] = message
            else:
                return message["pid"]

    def wait(self, pid: int) -> dict:
        while pid not in self.ended:
            message = self._next()
            self.ended[message["pid"]] = message
        return self.ended[pid]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)
        self._log.close()


# --- what a run looks like from outside ----------------------------------------------------

class Run:
    """A refresh process, and what it has logged so far (with when the test saw each line).
    Its output goes through a named pipe, so the test sees a line the moment it is written
    (and copies it to `<name>.log`)."""

    def __init__(self, driver: Driver, logs: Path, name: str, argv: list[str]):
        self.log = logs / f"{name}.log"
        fifo = logs / f"{name}.fifo"
        os.mkfifo(fifo)
        # read and write: the pipe never reads as ended before the child has opened it
        self._fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        self._copy = open(self.log, "wb")
        self._rest = b""
        self.seen: list[tuple[float, str]] = []  # (seconds since start, line)
        self.started = time.monotonic()
        self.pid = driver.start(fifo, argv)

    def poll(self, timeout: float = 0.0) -> None:
        """Take in what the process has written (waiting up to `timeout` for something)."""
        if self._fd is None or not select.select([self._fd], [], [], timeout)[0]:
            return
        now = time.monotonic() - self.started
        while True:
            try:
                data = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                break
            if not data:
                break
            self._copy.write(data)
            self._rest += data
        *lines, self._rest = self._rest.split(b"\n")
        self.seen += [(now, line.decode(errors="replace")) for line in lines]

    def close(self) -> None:
        self.poll()
        os.close(self._fd)
        self._fd = None
        self._copy.close()

    def stage(self, files: int) -> int:
        """The index in STAGES of the stage the run is in (has not finished)."""
        return _stage_of([line for _, line in self.seen], files)

    def boundaries(self, files: int) -> list[float]:
        """When each stage but the last ended (seconds since start), as seen."""
        ends, done, reads = [], 0, 0
        for t, line in self.seen:
            reads += bool(READ_DONE.search(line))
            while done < len(STAGES) - 1 and _ends(done, line, reads, files):
                ends.append(t)
                done += 1
        return ends


def _ends(stage: int, line: str, reads: int, files: int) -> bool:
    name, pattern = STAGES[stage]
    if pattern is None:
        return name == "read" and reads >= files and bool(READ_DONE.search(line))
    return bool(pattern.search(line))


def _stage_of(lines: list[str], files: int) -> int:
    done, reads = 0, 0
    for line in lines:
        reads += bool(READ_DONE.search(line))
        while done < len(STAGES) - 1 and _ends(done, line, reads, files):
            done += 1
    return done


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published_state(db: Path) -> tuple[str, int, int]:
    """(run_id, sum of offences, sum of force_year_totals) of the published warehouse, read
    read-only as an analyst would."""
    with duckdb.connect(str(db), read_only=True) as con:
        [(run_id,)] = con.execute("SELECT run_id FROM runs").fetchall()
        [(offences,)] = con.execute("SELECT sum(offences) FROM offences WHERE in_totals").fetchall()
        [(totals,)] = con.execute("SELECT sum(offences) FROM force_year_totals").fetchall()
    return run_id, int(offences), int(totals)


def claims(db: Path) -> dict[str, set[str]]:
    """Run id -> where it is said to be published ('run log', 'report')."""
    said: dict[str, set[str]] = {}
    for log in (db.parent / "runs").glob("*.json"):
        record = json.loads(log.read_text())
        if record["status"] == "published":
            said.setdefault(record["run_id"], set()).add("run log")
    for summary in (db.parent / "reports").glob("*/report.json"):
        record = json.loads(summary.read_text())
        if record["status"] == "published":
            said.setdefault(record["run_id"], set()).add("report")
    return said


def leftovers(db: Path) -> list[str]:
    found = [p.name for p in db.parent.iterdir() if ".staging-" in p.name]
    found += [f"reports/{p.name}" for p in (db.parent / "reports").glob(".staging-*")]
    found += [f"runs/{p.name}" for p in (db.parent / "runs").glob("*") if not p.name.endswith(".json")]
    return found


def write_raw(raw: Path, kent: int) -> None:
    for force, count in {**FORCES, "Kent": kent}.items():
        folder = raw / ROUND / force
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "reply.csv").write_text(
            f"Year,Offence,Count\n2016/17,Sexual grooming,{count}\n2015/16,Sexual grooming,{count - 1}\n")


@pytest.fixture(scope="module")
def child_env(prefect_harness):
    """The environment of a refresh process: the session's Prefect test server and home."""
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PREFECT_LOGGING_LEVEL": "INFO",
            "PREFECT_HOME": os.environ["PREFECT_HOME"], "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def driver_process(child_env, tmp_path_factory):
    d = Driver(child_env, tmp_path_factory.mktemp("driver") / "driver.log")
    yield d
    d.close()


def run_to_end(driver: Driver, logs: Path, name: str, raw: Path, db: Path, *extra: str) -> tuple[Run, dict]:
    run = Run(driver, logs, name, ["refresh", "--raw", str(raw), "--warehouse", str(db), *extra])
    while run.pid not in driver.ended:
        run.poll(0.005)
        _collect(driver)
    run.close()
    return run, driver.ended[run.pid]


def exit_code(ended: dict) -> int | None:
    status = ended["status"]
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else None


def plan_kills(ends: list[float], rng: random.Random) -> list[tuple[int, float]]:
    """KILLS moments as (stage, fraction into the stage): one in every stage, two more
    either side of the swap, the rest anywhere in [0, duration] (drawn uniformly)."""
    starts = [0.0, *ends[:-1]]
    duration = ends[-1]
    moments = [(s, rng.random()) for s in range(len(STAGES))]
    swap = [i for i, (name, _) in enumerate(STAGES) if name.startswith("publish")]
    moments += [(s, rng.random()) for s in swap]
    while len(moments) < KILLS:
        t = rng.uniform(0, duration)
        s = max(i for i, start in enumerate(starts) if start <= t)
        length = ends[s] - starts[s]
        moments.append((s, (t - starts[s]) / length if length else 0.0))
    rng.shuffle(moments)
    return moments[:KILLS]


def expected_sum(kent: int) -> int:
    """Offences in the raw folder: each force's 2016/17 count and one less in 2015/16."""
    return sum(2 * c - 1 for c in {**FORCES, "Kent": kent}.values())


@pytest.fixture
def setting(tmp_path):
    """A raw folder, a warehouse path, a folder for logs, and two of the project's suites
    (the checks are not what is under test here, and all eight take ~4 s of each run)."""
    from flows import SCHEMAS

    suites = tmp_path / "schemas" / "expectations"
    suites.mkdir(parents=True)
    for name in ("force_year_totals", "headline_figures"):
        (suites / f"{name}.yaml").write_text((SCHEMAS / "expectations" / f"{name}.yaml").read_text())
    for name in ("forces.csv", "offences.csv"):
        (tmp_path / "schemas" / name).write_text((SCHEMAS / name).read_text())
    logs = tmp_path / "logs"
    logs.mkdir()
    return tmp_path / "raw", tmp_path / "warehouse" / "foi.duckdb", logs, suites


def lock_is_free(db: Path) -> bool:
    import fcntl

    from flows.locking import lock_path

    with open(lock_path(db), "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fh, fcntl.LOCK_UN)
        return True


def test_a_refresh_killed_at_any_moment_leaves_the_warehouse_whole_and_the_next_one_clears_up(
        driver_process, setting):
    clock = time.monotonic()
    raw, db, logs, suites = setting
    files = len(FORCES)
    check = ["--expectations", str(suites)]
    kent = 30
    write_raw(raw, kent)
    run, ended = run_to_end(driver_process, logs, "first", raw, db, *check)
    assert exit_code(ended) == 0, run.log.read_text()
    published = {published_state(db)[0]}  # every run that was ever swapped in

    kent += 1
    write_raw(raw, kent)
    reference, ended = run_to_end(driver_process, logs, "reference", raw, db, *check)
    assert exit_code(ended) == 0, reference.log.read_text()
    published.add(published_state(db)[0])
    ends = reference.boundaries(files) + [ended["seconds"]]
    assert len(ends) == len(STAGES), f"stages not found in {reference.log}: {ends}"
    starts = [0.0, *ends[:-1]]
    moments = plan_kills(ends, random.Random(SEED))

    outcomes = []
    for trial, (stage, fraction) in enumerate(moments, 1):
        kent += 1
        write_raw(raw, kent)
        before_sha, before = sha(db), published_state(db)
        run = Run(driver_process, logs, f"kill-{trial:02}",
                  ["refresh", "--raw", str(raw), "--warehouse", str(db), *check])
        # wait for the stage to begin in this run's own log, then for the offset into it
        while run.stage(files) < stage and run.pid not in driver_process.ended:
            run.poll(0.002)
            _collect(driver_process)
        at = time.monotonic() + fraction * (ends[stage] - starts[stage])
        while time.monotonic() < at:
            time.sleep(0.0005)
        killed_at = time.monotonic() - run.started
        _collect(driver_process)
        if run.pid not in driver_process.ended:  # else it ended before the moment came
            try:
                os.kill(run.pid, signal.SIGKILL)
            except ProcessLookupError:  # it ended (and was reaped) just now
                pass
        status = driver_process.wait(run.pid)["status"]
        run.close()
        reached = run.stage(files)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL

        # The published warehouse opens read-only and is whole: the old one byte for byte,
        # or (killed after the swap) the killed run's complete warehouse.
        run_id, offences, totals = published_state(db)
        assert offences == totals
        if sha(db) == before_sha:
            outcome = "old warehouse, byte for byte"
            assert (run_id, offences) == before[:2]
        else:
            outcome = "new warehouse (killed after the swap)"
            assert run_id not in published and offences == expected_sum(kent)
            assert reached >= STAGE_INDEX["publish, before the swap"], (trial, STAGES[reached][0])
            published.add(run_id)
        # Nothing says 'published' of a run that was not swapped in.
        said = claims(db)
        assert set(said) <= published, (trial, set(said) - published)
        assert lock_is_free(db), "the kernel did not release the killed refresh's lock"
        outcomes.append((trial, STAGES[stage][0], killed_at, STAGES[reached][0], killed, outcome,
                         leftovers(db)))

        if trial in (KILLS // 2, KILLS):  # the next refresh, unkilled: it runs, and clears up
            kent += 1
            write_raw(raw, kent)
            after, ended = run_to_end(driver_process, logs, f"after-{trial:02}", raw, db, *check)
            assert exit_code(ended) == 0, after.log.read_text()
            run_id, offences, totals = published_state(db)
            assert offences == totals == expected_sum(kent)
            published.add(run_id)
            assert leftovers(db) == []
            assert not list(db.parent.glob("*.staging-*"))
            # every run that was swapped in is recorded (a run killed between the swap and
            # its record has it moved into place by the next refresh), and no other
            assert claims(db) == {r: {"run log", "report"} for r in published}

    seconds = time.monotonic() - clock
    report_kills(outcomes, ends, seconds)
    # The kills were spread: over most stages, after the report was built but before the
    # swap, and after the swap.
    reached = [STAGE_INDEX[o[3]] for o in outcomes]
    assert len(set(reached)) >= 8, outcomes
    assert any(r >= STAGE_INDEX["report"] and o[5].startswith("old") for r, o in zip(reached, outcomes))
    assert any(o[5].startswith("new") for o in outcomes)


STAGE_INDEX = {name: i for i, (name, _) in enumerate(STAGES)}


def _collect(driver: Driver) -> None:
    while driver.proc.stdout in select.select([driver.proc.stdout], [], [], 0)[0]:
        message = driver._next()
        driver.ended[message["pid"]] = message


def report_kills(outcomes, ends, seconds) -> None:
    lines = [f"unkilled run: {ends[-1]:.2f} s; stages end at "
             + ", ".join(f"{name} {t:.2f}" for (name, _), t in zip(STAGES, ends)),
             f"{'#':>2}  {'planned stage':<32} {'killed at':>9}  {'stage reached':<32} outcome / leftovers"]
    for trial, planned, at, reached, killed, outcome, left in outcomes:
        lines.append(f"{trial:>2}  {planned:<32} {at:>8.2f}s  {reached:<32} {outcome}"
                     + ("" if killed else " (had exited)") + (f"; left {', '.join(left)}" if left else ""))
    lines.append(f"test took {seconds:.1f} s")
    text = "\n".join(lines)
    print("\n" + text)
    Path(os.environ.get("FOI_CRASH_REPORT", "/dev/null")).write_text(text + "\n")


def test_a_second_refresh_refuses_at_once_and_one_with_wait_waits_then_runs(driver_process, setting):
    raw, db, logs, _ = setting
    files = len(FORCES)
    write_raw(raw, 30)
    run, ended = run_to_end(driver_process, logs, "first", raw, db)
    assert exit_code(ended) == 0, run.log.read_text()
    before = sha(db)

    write_raw(raw, 31)
    holder = Run(driver_process, logs, "holder", ["refresh", "--raw", str(raw), "--warehouse", str(db)])
    # Once it has read every file, it is paused (SIGSTOP): a refresh holding the lock for
    # as long as the test needs, whatever the machine's load.
    while holder.stage(files) <= STAGE_INDEX["read"]:
        holder.poll(0.005)
        _collect(driver_process)
        assert holder.pid not in driver_process.ended, holder.log.read_text()
    os.kill(holder.pid, signal.SIGSTOP)
    try:
        refused, ended = run_to_end(driver_process, logs, "refused", raw, db)
        text = refused.log.read_text()
        assert exit_code(ended) == 3, text
        assert f"its lock {db}.lock is held by pid {holder.pid}, started at " in text
        assert "Nothing was read or changed" in text and "--wait SECONDS" in text
        assert "Traceback" not in text  # refused before a flow run was made
        assert sha(db) == before

        write_raw(raw, 32)  # the holder has read its files: this is the waiter's to publish
        waiter = Run(driver_process, logs, "waiter", ["refresh", "--raw", str(raw), "--warehouse", str(db),
                                                      "--wait", "120"])
        while not any("waiting up to" in line for _, line in waiter.seen):
            waiter.poll(0.005)
            _collect(driver_process)
            assert waiter.pid not in driver_process.ended, waiter.log.read_text()
    finally:
        os.kill(holder.pid, signal.SIGCONT)
    while waiter.pid not in driver_process.ended or holder.pid not in driver_process.ended:
        holder.poll(0.002)
        waiter.poll(0.002)
        _collect(driver_process)
    holder.close()
    waiter.close()
    assert exit_code(driver_process.ended[holder.pid]) == 0, holder.log.read_text()
    text = waiter.log.read_text()
    assert exit_code(driver_process.ended[waiter.pid]) == 0, text
    assert f"waiting up to 120 s for {db}.lock, held by pid {holder.pid}" in text
    # it began its work only after the holder had published (by the clock in their logs),
    # and published last
    [published] = [line[:12] for _, line in holder.seen if STAGES[STAGE_INDEX["publish, after the swap"]][1].search(line)]
    [discovered] = [line[:12] for _, line in waiter.seen if STAGES[1][1].search(line)]
    assert discovered > published
    [waiter_run] = re.findall(r"^Run (\S+) over", text, re.M)
    assert published_state(db) == (waiter_run, expected_sum(32), expected_sum(32))
    assert leftovers(db) == []


def test_foi_refresh_refuses_with_the_holder_named_while_the_lock_is_held(child_env, setting):
    """The command line itself (a cold `python -m flows.cli refresh`), against a lock this
    test's own process holds: exit 3, the lock file and pid named, nothing written."""
    from flows.locking import refresh_lock

    raw, db, _, _ = setting
    write_raw(raw, 30)
    with refresh_lock(db):
        started = time.monotonic()
        done = subprocess.run([str(PYTHON), "-m", "flows.cli", "refresh", "--raw", str(raw), "--warehouse", str(db),
                               "--wait", "1"], cwd=PROJECT, env=child_env, capture_output=True, text=True,
                              timeout=120)
        seconds = time.monotonic() - started
    assert done.returncode == 3, done.stdout + done.stderr
    assert (f"foi refresh: another refresh is running on this warehouse: its lock {db}.lock is held by "
            f"pid {os.getpid()}, started at ") in done.stderr
    assert "did not let go within 1 s" in done.stderr
    assert not db.exists() and not list(db.parent.glob("*.staging-*"))
    print(f"\nrefused in {seconds:.1f} s (a cold start, with --wait 1)")


if __name__ == "__main__" and sys.argv[1:] == ["--driver"]:
    driver()
