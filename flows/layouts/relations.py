"""A table read by the relations a recipe states: each figure finds its headers by direction.

unpivotr's and tidychef's way, for replies the automatic layouts cannot place: the recipe
names the cells that hold figures and, for each dimension, the direction in which the
figure's header lies (`year: up`, `offence: left`, `age: up`). The nearest non-empty
cell in that direction, outside the figures, is the header (a merged cell speaks for
every cell it covers). Everything else is checked as for any other layout: totals
against their parts, the same figure twice, unknown offences, numbers nobody placed.
"""
from __future__ import annotations

from flows import labels
from flows.cells.grid import Sheet
from flows.labels import Age
from flows.layouts.context import SheetContext
from flows.layouts.fields import figure_cell, group_members
from flows.layouts.figures import Figure, Over, blank_cells_note, check_and_record
from flows.layouts.region import parse_range, stray_numbers
from flows.observations import CALENDAR_YEARS, Problem, Reading

NAME = "relations"
DIRECTIONS = ("up", "down", "left", "right")
DIMENSIONS = ("year", "offence", "age", "sex")
_SEXES = labels.SEX_WORDS | {"unknown", "not known", "not recorded", "other"}  # a split's headings

_STEP = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}


def _names(dim: str, v) -> bool:
    """Whether a cell can be a heading of `dim` (tidychef's 'closest' looks only at those)."""
    text = str(v).strip()
    if labels.is_total(text):
        return True
    if dim == "year":
        return bool(labels.financial_year(text) or labels.is_calendar_year(v))
    if dim == "age":
        return labels.age(v).kind not in (labels.NOT_AGE,)
    if dim == "sex":
        return labels.normalise(text) in _SEXES
    return isinstance(v, str) and not labels.financial_year(text)


def _header(sheet: Sheet, row: int, col: int, dim: str, direction: str, inside) -> tuple[object, int, int] | None:
    """The nearest cell from (row, col) in `direction`, outside the figures, that can be a
    heading of `dim` (a merged cell speaks for every cell it covers)."""
    dr, dc = _STEP[direction]
    r, c = row + dr, col + dc
    while 1 <= r <= sheet.max_row and 1 <= c <= sheet.max_col:
        if not inside(r, c):
            v = sheet.filled_value(r, c)
            if v is not None and not (isinstance(v, str) and not v.strip()) and _names(dim, v):
                return v, r, c
        r, c = r + dr, c + dc
    return None


def _value(dim: str, v, where: str) -> object | Problem:
    text = str(int(v) if isinstance(v, float) and v.is_integer() else v).strip()
    if labels.is_total(text):
        return Over(text)
    if dim == "year":
        fy = labels.financial_year(text)
        if fy:
            return fy
        if labels.is_calendar_year(v):
            return Problem(f"calendar years, not financial years: '{text}' at {where} kept out of the figures",
                           source=where, kind=CALENDAR_YEARS)
        return Problem(f"'{text}' at {where} is not a financial year", source=where)
    if dim == "sex":
        return text.lower()
    if dim == "age":
        a = labels.age(v)
        if a.kind == labels.NOT_AGE:
            return Problem(f"'{text}' at {where} is not a victim age", source=where)
        if a.kind == labels.MIXED:
            return Problem(f"the age band '{text}' at {where} mixes children and adults and cannot be split",
                           source=where)
        return a
    return text


def read(sheet: Sheet, context: SheetContext, *, figures: str, relations: dict[str, str],
         financial_year: str | None = None) -> Reading:
    """Every figure in the range `figures`, with its headers found by `relations`."""
    reading = Reading(layout=NAME, confidence=1.0)
    problems = reading.problems
    r1, c1, r2, c2 = parse_range(figures)

    def inside(r: int, c: int) -> bool:
        return r1 <= r <= r2 and c1 <= c <= c2

    table_ref = sheet.range_ref(r1, c1, r2, c2)
    used: set[tuple[int, int]] = set()
    found: list[Figure] = []
    blanks: list[str] = []
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            ref = sheet.ref(r, c)
            cell = sheet.cells.get((r, c))
            if cell is None:
                blanks.append(ref)
                continue
            used.add((r, c))
            read = figure_cell(cell.value, ref, context)
            if isinstance(read, Problem):
                problems.append(read)
                continue
            count, unavailable = read
            dims: dict[str, object] = {}
            offence_ref = ""
            bad = False
            for dim, direction in relations.items():
                head = _header(sheet, r, c, dim, direction, inside)
                if head is None:
                    problems.append(Problem(f"{ref} has no {dim} heading {direction} of it", source=ref))
                    bad = True
                    continue
                v, hr, hc = head
                used.add((hr, hc))
                value = _value(dim, v, sheet.ref(hr, hc))
                if isinstance(value, Problem):
                    problems.append(value)
                    bad = True
                    continue
                dims[dim] = value
                if dim == "offence":
                    offence_ref = sheet.ref(hr, hc)
            if bad:
                continue
            year = dims.get("year", financial_year or context.financial_year)
            if year is None:
                problems.append(Problem(f"{ref} has no financial year (no year relation, recipe or title)",
                                        source=ref))
                continue
            a = dims.get("age")
            loaded = not (isinstance(a, Age) and a.kind in (labels.ADULT, labels.NEGATIVE))
            offence = dims.get("offence")
            unknown = ""
            if isinstance(offence, str) and not labels.is_offence(offence):
                group = labels.offence_group(offence)
                if group:
                    offence = Over(offence, group_members(group))
                else:
                    unknown = (f"offence '{offence}' at {offence_ref} is not recognised: "
                               f"{labels.match_offence(offence).describe_unknown()}")
            found.append(Figure(year=year, offence=offence, age=a, count=count, source=ref, loaded=loaded,
                                unknown=unknown, offence_ref=offence_ref, unavailable=unavailable,
                                split=dims.get("sex")))
    reading.notes.extend(blank_cells_note(blanks, table_ref))
    check_and_record(found, table_ref, reading)
    problems.extend(stray_numbers(sheet, used))
    return reading
