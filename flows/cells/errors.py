"""The one error a reader raises for a file it cannot turn into cells."""
from __future__ import annotations

from pathlib import Path


class UnreadableFile(Exception):
    """The file is not a spreadsheet we can read; `reason` says why in plain words.

    Readers raise this instead of a library's own exception, so that the caller can
    quarantine the file with a message an analyst understands.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{Path(path).name}: {reason}")


class LimitExceeded(UnreadableFile):
    """A file beyond one of the limits: `limit` is its name in schemas/limits.yaml."""

    def __init__(self, path: str | Path, limit: str, found: str, allowed: int | float, what: str,
                 source: str = "schemas/limits.yaml") -> None:
        self.limit = limit
        self.found = found
        self.allowed = allowed
        super().__init__(
            path,
            f"{what} {found}, beyond the limit {limit} = {allowed:,} ({source}); "
            f"not read. If the reply is genuine, raise {limit} and refresh again",
        )
