"""One refresh at a time per warehouse: an OS file lock beside it.

A refresh holds `<warehouse>.lock` (flock(2), exclusive) from before it reads anything
until its run log is written. The kernel releases the lock when the process ends, however
it ends: a SIGKILLed refresh leaves the file but never a stale lock, so nothing has to
judge whether a holder is still alive. The file itself is never deleted (two processes
could otherwise lock two different files of the same name).

The holder writes its pid, host, start time and command into the file, so that a refresh
that finds it held can say who holds it. By default that refresh refuses at once;
`wait` seconds makes it wait up to that long (polling, so it can say how long it waited).

Analysts' read-only DuckDB connections never take this lock: the published file is only
ever replaced by a rename, so they are not held up by a refresh at all.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

POLL_SECONDS = 0.1


class RefreshLocked(RuntimeError):
    """Another refresh holds the warehouse's lock (and did not let go within `waited` s)."""

    def __init__(self, lock: Path, holder: dict, waited: float):
        self.lock, self.holder, self.waited = Path(lock), holder, waited
        super().__init__(refusal(self.lock, holder, waited))


def lock_path(warehouse: Path | str) -> Path:
    """`<warehouse>.lock`, beside the warehouse file."""
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".lock")


def describe_holder(holder: dict) -> str:
    if not holder.get("pid"):
        return "a process that has not yet written its details"
    text = f"pid {holder['pid']}"
    if holder.get("host") and holder["host"] != socket.gethostname():
        text += f" on {holder['host']}"
    if holder.get("started_at"):
        text += f", started at {holder['started_at']}"
    if holder.get("host") in (None, socket.gethostname()) and not _alive(int(holder["pid"])):
        text += " (no longer running: a process it started may still hold the file open)"
    return text


def refusal(lock: Path, holder: dict, waited: float) -> str:
    waited_text = f" and did not let go within {waited:g} s" if waited else ""
    return (f"another refresh is running on this warehouse: its lock {lock} is held by "
            f"{describe_holder(holder)}{waited_text}. Nothing was read or changed. Run again when it "
            "has finished, or with --wait SECONDS to wait for it.")


def read_holder(lock: Path) -> dict:
    """What the holder wrote into the lock file ({} if nothing, or half of it, yet)."""
    try:
        text = Path(lock).read_text()
        return json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}


@contextmanager
def refresh_lock(warehouse: Path | str, wait: float = 0.0,
                 on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold the warehouse's lock for the block; raise RefreshLocked if another process holds
    it (after waiting up to `wait` seconds). `on_wait` is told once when waiting begins."""
    lock = lock_path(warehouse)
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(fd, lock, float(wait or 0), on_wait)
        _write_holder(fd)
        try:
            yield lock
        finally:
            os.ftruncate(fd, 0)  # no one holds it now; the unlock is the close below
    finally:
        os.close(fd)


def refuse_if_held(warehouse: Path | str) -> None:
    """Raise RefreshLocked now if a refresh holds the warehouse's lock: a look, not a hold
    (a shared lock taken and dropped at once), so a caller can refuse before it starts
    anything. Whoever then runs must still take the lock with refresh_lock."""
    lock = lock_path(warehouse)
    if not lock.exists():
        return
    fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise
        raise RefreshLocked(lock, read_holder(lock), 0.0) from None
    finally:
        os.close(fd)


def _acquire(fd: int, lock: Path, wait: float, on_wait) -> None:
    started = time.monotonic()
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
        waited = time.monotonic() - started
        if waited >= wait:
            raise RefreshLocked(lock, read_holder(lock), wait)
        if on_wait is not None and not told:
            on_wait(f"waiting up to {wait:g} s for {lock}, held by {describe_holder(read_holder(lock))}")
            told = True
        time.sleep(min(POLL_SECONDS, max(wait - waited, 0.0)))


def _write_holder(fd: int) -> None:
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv)[:500],
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode(), 0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
