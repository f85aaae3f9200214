"""One row's fields -> a figure's dimensions, for the layouts that read row by row.

Shared by the long and records layouts so an offence or an age means the same in both.
Each function returns the value, an `Over` (a total's label) or a Problem naming the cell.
"""
from __future__ import annotations

from flows import labels
from flows.cells.grid import Sheet
from flows.labels import Age
from flows.layouts.figures import Over
from flows.observations import CALENDAR_YEARS, UNKNOWN_OFFENCE, Count, Problem


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def group_members(group: str) -> frozenset:
    """The classes of an offence group ('rape' -> 19C..19H): what a group's total covers."""
    return frozenset(c for c, g in labels.offence_groups().items() if g == group)


def offence_field(sheet: Sheet, row: int, cols: list[int], block: list[str]) -> str | Over | Problem | None:
    """The offence of a row, from one column or a code and a description column together.
    None: the row gives no offence."""
    values = [(c, sheet.value(row, c)) for c in cols if not _blank(sheet.value(row, c))]
    if not values:
        return None
    text = " - ".join(_text(v) for _, v in values)
    ref = sheet.ref(row, values[-1][0])
    for _, v in values:
        tl = labels.total_label(v) if isinstance(v, str) else None
        if tl:
            if tl.group:
                return Over(_text(v), group_members(tl.group))
            return Over(_text(v), frozenset(block) if tl.kind == "sub" else None)
    match = labels.match_offence(text)
    if not match.recognised:
        group = labels.offence_group(text)
        if group:
            return Over(text, group_members(group))
        return Problem(f"offence '{text}' at {ref} is not recognised: {match.describe_unknown()}", source=ref,
                       kind=UNKNOWN_OFFENCE)
    return text


def unknown_offence(value) -> bool:
    """An offence_field answer that is an unrecognised label (kept aside for the totals to judge)."""
    return isinstance(value, Problem) and value.kind == UNKNOWN_OFFENCE


def age_field(sheet: Sheet, row: int, col: int | None, *, blank_is_unknown: bool) -> Age | Over | Problem | None:
    """The victim age of a row. None: the table has no age column."""
    if col is None:
        return None
    v = sheet.value(row, col)
    ref = sheet.ref(row, col)
    if _blank(v):
        if blank_is_unknown:
            return Age(labels.UNKNOWN)
        return Problem(f"no victim age at {ref}", source=ref)
    if isinstance(v, str) and labels.is_total(v):
        return Over(_text(v))
    a = labels.age(v)
    if a.kind == labels.NOT_AGE:
        return Problem(f"'{_text(v)}' at {ref} is not a victim age", source=ref)
    if a.kind == labels.MIXED:
        return Problem(f"the age band '{_text(v)}' at {ref} mixes children and adults and cannot be split", source=ref)
    return a


def year_field(sheet: Sheet, row: int, col: int) -> str | Over | Problem:
    v = sheet.value(row, col)
    ref = sheet.ref(row, col)
    if _blank(v):
        return Problem(f"no financial year at {ref}", source=ref)
    fy = labels.financial_year(_text(v)) if not isinstance(v, (int, float)) else None
    if fy:
        return fy
    if isinstance(v, str) and labels.is_total(v):
        return Over(_text(v))
    if labels.is_calendar_year(v):
        return Problem(f"calendar years, not financial years: '{_text(v)}' at {ref} kept out of the figures",
                       source=ref, kind=CALENDAR_YEARS)
    return Problem(f"'{_text(v)}' at {ref} is not a financial year", source=ref)


_FLAGGED = {"y", "yes", "true", "1", "flagged", "online", "x", "yes online"}
_NOT_FLAGGED = {"n", "no", "false", "0", "not flagged", "no flag", "not online", "offline"}


def online_field(sheet: Sheet, row: int, col: int | None) -> bool | Problem:
    """Whether a row carries the online flag, in a list that also holds rows without it
    (only flagged rows answer the request). No flag column: every row counts. A blank
    flag is not flagged; a value that says neither is a Problem."""
    if col is None:
        return True
    v = sheet.value(row, col)
    if _blank(v):
        return False
    text = labels.normalise(_text(v))
    if text in _FLAGGED:
        return True
    if text in _NOT_FLAGGED:
        return False
    ref = sheet.ref(row, col)
    return Problem(f"'{_text(v)}' at {ref} does not say whether the online flag applies", source=ref)


def figure_cell(value, ref: str, context) -> tuple[Count, bool] | Problem:
    """A table cell as a figure: (count, not available), or the Problem it is. A cell
    that says 'n/a' or 'Not available' is 0 for the checks only (never loaded); text
    where a figure should be, or a count that cannot be trusted, is a Problem."""
    if labels.not_available(value):
        return Count.known(0, raw=str(value).strip()), True
    c = context.count(value)
    if isinstance(c, Problem):
        return Problem(f"{ref}: {c.message}", source=ref)
    if c is None:
        return Problem(f"{ref} holds '{value}' where a figure should be", source=ref)
    return c, False
