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
