"""The limits a reply file must stay within (schemas/limits.yaml), and the error for one
it does not.

Replies are files from outside: a zip bomb, a forged sheet of a billion cells, a csv of
endless lines. Each limit is checked before the work it protects, so a hostile file
costs milliseconds, and the message names the limit so an analyst can raise it for a
genuine file.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import yaml

from flows import SCHEMAS
from flows.cells.errors import LimitExceeded

__all__ = ["LIMITS_YAML", "LimitExceeded", "Limits", "load_limits"]

LIMITS_YAML = SCHEMAS / "limits.yaml"


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    csv_bytes: int
    csv_lines: int
    archive_members: int
    archive_member_bytes: int
    archive_total_bytes: int
    compression_ratio: float
    compression_ratio_from_bytes: int
    sheets: int
    sheet_rows: int
    sheet_columns: int
    sheet_cells: int
    sheet_extent_cells: int
    read_seconds: float
    read_memory_mb: int
    parallel_readers: int
    source: str = "schemas/limits.yaml"  # the file they came from, as messages name it

    def replace(self, **changes) -> "Limits":
        from dataclasses import replace

        return replace(self, **changes)


def load_limits(path: Path | None = None) -> Limits:
    """The limits from `path` (default schemas/limits.yaml); every field must be there."""
    return _load(Path(path) if path is not None else LIMITS_YAML)


@lru_cache(maxsize=4)
def _load(path: Path) -> Limits:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = [f.name for f in fields(Limits) if f.name != "source"]
    missing = [n for n in names if n not in raw]
    unknown = sorted(set(raw) - set(names))
    if missing or unknown:
        raise ValueError(f"{path}: missing limits {missing}; unknown {unknown}")
    values = {}
    for f in fields(Limits):
        if f.name == "source":
            continue
        value = raw[f.name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{path}: {f.name} must be a positive number, not {value!r}")
        values[f.name] = value
    return Limits(**values, source=_shown(path))


def _shown(path: Path) -> str:
    """The file as a message names it: relative to the project when it is in it."""
    from flows import PROJECT_ROOT

    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)
