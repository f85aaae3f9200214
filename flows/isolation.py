"""Each reply read in a worker process with a time and memory budget.

A thread cannot be stopped or held to a memory limit, and one hostile file (a sheet
that expands to gigabytes, a parser stuck on a pathological file) would take the round
down with it. So each file is read in its own process, forked from a small server that
has imported the readers once (multiprocessing's 'forkserver': no threads or open
connections of the caller are copied). The process limits its own address space
(RLIMIT_AS) and CPU time before it opens the file; the caller waits `read_seconds` and
kills it past that. Whatever happens, the caller gets a ReplyReading: a file beyond its
budget is quarantined with the budget's name, and every other file still loads.

The reading that comes back has already been through flows.reading's personal-data
scrub in the worker: personal values never cross into the caller, its logs or caches.

As multiprocessing requires, the calling program's main module must be a file guarded
by `if __name__ == "__main__":` (`foi`, pytest and Prefect's workers are); a script read
from standard input cannot start workers.
"""
from __future__ import annotations

import multiprocessing
import resource
import signal
import time

from flows.discover import ReplyFile
from flows.limits import Limits
from flows.reading import QUARANTINED, READER_FAILED, UNREADABLE, ReplyReading, read_reply

# Modules the fork server imports once, so each worker starts warm (~10 ms, not ~1 s).
# Everything a reading may import must be here: a worker that imports under its memory
# limit can fail to map a shared library, which would look like a reader bug.
PRELOAD = ["contextvars", "decimal", "csv", "statistics", "xlrd", "python_calamine", "defusedxml.ElementTree",
           "openpyxl.styles.numbers", "pickle", "tempfile", "mimetypes", "ctypes",
           "flows.reading", "flows.cells", "flows.cells.xlsx", "flows.cells.xls", "flows.cells.ods",
           "flows.cells.csv", "flows.layouts", "flows.personal", "flows.warm"]
# A worker whose reading failed after its address space came this close to the budget
# ran out of memory, whatever the library said (a failed mmap, a Rust allocation error).
NEAR_BUDGET = 0.9
# Reasons (ReplyReading.reason) for a file stopped by its budget, or whose worker died.
OVER_TIME = "budget:read_seconds"
OVER_MEMORY = "budget:read_memory_mb"
WORKER_DIED = "reader_crashed"
BUDGET_REASONS = frozenset({OVER_TIME, OVER_MEMORY, WORKER_DIED})
# After the kill, how long to wait for the process to be gone before moving on.
_REAP_SECONDS = 10
# CPU time is a backstop for the wall clock (a worker that ignores SIGKILL cannot exist,
# but one the caller stops waiting for could spin): twice the wall-clock budget.
_CPU_FACTOR = 2


def _context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def read_isolated(reply: ReplyFile, limits: Limits) -> ReplyReading:
    """read_reply(reply) in a worker process within `limits`' budget; never raises for
    what the file does."""
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_work, args=(reply, limits, send), name=f"read {reply.rel_path}", daemon=True)
    started = time.monotonic()
    worker.start()
    send.close()
    try:
        outcome = _wait(receive, worker, limits.read_seconds)
    finally:
        receive.close()
        if worker.is_alive():
            worker.kill()
        worker.join(_REAP_SECONDS)
    elapsed = time.monotonic() - started
    if outcome is None:
        return _stopped(reply, OVER_TIME,
                        f"took longer than read_seconds = {limits.read_seconds:,} s ({limits.source}) "
                        f"and was stopped after {elapsed:,.0f} s; not read. If the reply is genuine, "
                        "raise read_seconds and refresh again")
    kind, payload = outcome
    if kind == "ok":
        return payload
    if kind == "memory":
        return _stopped(reply, OVER_MEMORY,
                        f"needs more memory than read_memory_mb = {limits.read_memory_mb:,} "
                        f"({limits.source}) to read; stopped, not read. If the reply is genuine, "
                        "raise read_memory_mb and refresh again")
    if kind == "died":
        code = worker.exitcode
        how = (f"was ended by signal {signal.Signals(-code).name}" if code is not None and code < 0
               else f"exited with code {code}")
        return _stopped(reply, WORKER_DIED,
                        f"could not be read: the reading process {how} (a library gave up on the "
                        f"file; if it is large, raise read_memory_mb = {limits.read_memory_mb:,} in "
                        f"{limits.source} and refresh again)")
    return _stopped(reply, WORKER_DIED, f"could not be read: {payload}")


def _wait(receive, worker, seconds: float):
    """('ok', reading) | ('memory', None) | ('died', None) | ('error', text); None: out of time."""
    if not receive.poll(seconds):
        if worker.is_alive():
            return None
        return ("died", None)
    try:
        return receive.recv()
    except (EOFError, OSError):  # the worker died before it could say anything
        worker.join(_REAP_SECONDS)
        return ("died", None)


def _stopped(reply: ReplyFile, reason: str, why: str) -> ReplyReading:
    return ReplyReading(reply, QUARANTINED, message=f"{reply.rel_path}: {why}", reason=reason)


def _peak_bytes() -> int:
    """The most address space this process has held (VmPeak), which RLIMIT_AS bounds."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _work(reply: ReplyFile, limits: Limits, send) -> None:
    """The worker: hold itself to the budget, read, send the reading back."""
    memory = int(limits.read_memory_mb) * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (memory if hard == resource.RLIM_INFINITY else min(memory, hard), hard))
    cpu = int(limits.read_seconds * _CPU_FACTOR) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu if hard == resource.RLIM_INFINITY else min(cpu, hard), hard))
    try:
        reading = read_reply(reply, limits)
        failed = reading.reason in (READER_FAILED, UNREADABLE)
        outcome = ("memory", None) if failed and _peak_bytes() >= NEAR_BUDGET * memory else ("ok", reading)
    except MemoryError:
        outcome = ("memory", None)
    except BaseException as exc:  # read_reply never raises for bad input; a bug must still come back
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    try:
        send.send(outcome)
    except MemoryError:
        send.send(("memory", None))
    finally:
        send.close()
