"""What leaves the warehouse: small counts withheld, text that cannot run as a formula.

The warehouse keeps every count exactly as the replies gave it: analysts need them. A
file that leaves it (`foi export`) may be passed on, so two things are done on the way:

* the small-count rule of schemas/disclosure.yaml: a count from 1 to 4 for one force at
  one age, or for one cell of a reply, could point at a child and is shown as '[c]';
  national and force-total figures identify nobody and are shown as they are; a count
  the force withheld is '[c]' everywhere, never 0;
* OWASP's advice against CSV injection: text from replies that a spreadsheet would run
  as a formula ('=HYPERLINK(...)', '+1', '@SUM(A1)') is prefixed with "'".

Plain functions on pandas frames; the rule is an immutable value read from YAML, so
nothing here keeps state between calls.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from flows import SCHEMAS

RULE_FILE = SCHEMAS / "disclosure.yaml"

# OWASP "CSV Injection": cells starting with these are formulas or DDE to Excel,
# LibreOffice and Google Sheets; tab and carriage return can hide the formula character.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_KEYS = {"min", "max", "marker", "count_columns", "companions", "suppressed_flags", "fine_levels"}


@dataclass(frozen=True)
class Level:
    """A grain that is fine enough for the rule: a table is at it when it has at least
    one column of each group (a force column AND an age column, say)."""
    name: str
    columns: tuple[tuple[str, ...], ...]
    why: str = ""

    def matches(self, columns: Iterable[str]) -> bool:
        have = set(columns)
        return all(have.intersection(group) for group in self.columns)


@dataclass(frozen=True)
class DisclosureRule:
    """schemas/disclosure.yaml, checked: which counts are withheld, where, and how shown."""
    min: int
    max: int
    marker: str
    count_columns: tuple[str, ...]
    companions: tuple[tuple[str, tuple[str, ...]], ...]
    suppressed_flags: tuple[str, ...]
    fine_levels: tuple[Level, ...]
    source: Path | None = None

    def level_of(self, columns: Iterable[str]) -> Level | None:
        """The first fine level a table with these columns is at; None: shown as it is."""
        columns = list(columns)
        return next((level for level in self.fine_levels if level.matches(columns)), None)

    def describe(self) -> list[str]:
        """The rule in words, for the Notes of an export."""
        lines = [
            f"Counts from {self.min} to {self.max} are shown as '{self.marker}' in tables at these levels:",
            *(f"  - {lv.name}: a table with a column from each of "
              + " and ".join("(" + ", ".join(g) + ")" for g in lv.columns)
              + (f" ({lv.why})" if lv.why else "") for lv in self.fine_levels),
            "Tables at none of them (national figures, force-year totals) show their counts as they are.",
            "0 is always shown as 0: an explicit zero identifies nobody.",
            f"A count the force withheld (NULL with {' or '.join(self.suppressed_flags)} set) is "
            f"'{self.marker}' in every table, never 0 or blank.",
            "Count columns: " + ", ".join(self.count_columns) + ".",
        ]
        for primary, bounds in self.companions:
            lines.append(f"Where {primary} is '{self.marker}' at a fine level, {', '.join(bounds)} "
                         "in that row are too, so the bounds cannot give it away.")
        if self.source is not None:
            lines.append(f"Rule file: {self.source.name}")
        return lines


def load_rule(path: Path | str | None = None) -> DisclosureRule:
    """Read and check the rule (default schemas/disclosure.yaml). A mistyped key or a
    range that would hide zeros is an error, not a silently weaker rule."""
    import yaml

    path = Path(path) if path is not None else RULE_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    where = f"disclosure rule {path}"
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping of settings")
    unknown, missing = set(raw) - _KEYS, {"min", "max", "count_columns", "fine_levels"} - set(raw)
    if unknown:
        raise ValueError(f"{where}: unknown settings {sorted(unknown)} (known: {sorted(_KEYS)})")
    if missing:
        raise ValueError(f"{where}: missing settings {sorted(missing)}")
    low, high = raw["min"], raw["max"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or not 1 <= low <= high:
        raise ValueError(f"{where}: min and max must be whole numbers with 1 <= min <= max "
                         f"(got {low!r}, {high!r}); 0 is never withheld")
    levels = []
    for n, lv in enumerate(raw["fine_levels"] or [], start=1):
        groups = lv.get("columns") if isinstance(lv, dict) else None
        if not groups or not all(isinstance(g, list) and g and all(isinstance(c, str) for c in g) for g in groups):
            raise ValueError(f"{where}: fine level {n} needs `columns`: a list of lists of column names")
        levels.append(Level(str(lv.get("name") or f"level {n}"), tuple(tuple(g) for g in groups),
                            str(lv.get("why") or "")))
    if not levels:
        raise ValueError(f"{where}: no fine level: the rule would withhold nothing")
    companions = raw.get("companions") or {}
    if not isinstance(companions, dict):
        raise ValueError(f"{where}: companions must map a count column to its bound columns")
    return DisclosureRule(
        min=low, max=high, marker=str(raw.get("marker", "[c]")),
        count_columns=tuple(_names(raw["count_columns"], where, "count_columns")),
        companions=tuple((k, tuple(_names(v, where, f"companions.{k}"))) for k, v in companions.items()),
        suppressed_flags=tuple(_names(raw.get("suppressed_flags") or [], where, "suppressed_flags")),
        fine_levels=tuple(levels), source=path,
    )


def _names(value: Any, where: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: {key} must be a list of column names")
    return value


def apply(frame: pd.DataFrame, rule: DisclosureRule) -> pd.DataFrame:
    """A new frame with the rule applied; `frame` is left as it was.

    At a fine level every count column becomes text-or-number (object: ints, the marker,
    None) with the marker where the count is from rule.min to rule.max or was withheld,
    and in the bound columns of those rows. Elsewhere only withheld counts change.
    """
    out = frame.copy()
    fine = rule.level_of(frame.columns) is not None
    withheld = _flagged(frame, rule.suppressed_flags)
    masks: dict[str, pd.Series] = {}
    for col in (c for c in rule.count_columns if c in frame.columns):
        number = pd.to_numeric(frame[col], errors="coerce")
        mask = frame[col].astype(object).eq(rule.marker)  # a frame the rule was applied to
        mask |= frame[col].isna() & withheld
        if fine:
            mask |= number.ge(rule.min).fillna(False) & number.le(rule.max).fillna(False)
        masks[col] = mask.astype(bool)
    if fine:
        for primary, bounds in rule.companions:
            for col in bounds:
                if primary in masks and col in frame.columns:
                    masks[col] = masks.get(col, pd.Series(False, index=frame.index)) | masks[primary]
    for col, mask in masks.items():
        if fine or mask.any():
            out[col] = [rule.marker if hidden else _plain(value)
                        for value, hidden in zip(frame[col].tolist(), mask.tolist())]
            out[col] = out[col].astype(object)
    return out


def _flagged(frame: pd.DataFrame, flags: Iterable[str]) -> pd.Series:
    """Rows whose count the force withheld: suppressed = true or suppressed_cells > 0."""
    mask = pd.Series(False, index=frame.index)
    for col in (c for c in flags if c in frame.columns):
        values = pd.to_numeric(frame[col].astype(object), errors="coerce")
        mask |= values.fillna(0).gt(0).astype(bool)
    return mask


def _plain(value: Any) -> Any:
    """numpy and pandas scalars as Python ones, NA as None (writers handle these alike)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading "'" (OWASP); anything else,
    numbers included (a negative number is a number, not text), is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A new frame with `neutralise` applied to every text column."""
    out = frame.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if dtype == object or pd.api.types.is_string_dtype(dtype):
            out[col] = out[col].map(neutralise, na_action="ignore").astype(dtype)
    return out
