"""Parts of a sheet: the visible cells, a range of it, and numbers no table accounts for.

Every layout ends by asking which numbers it did not read: a number left over means
the reader misunderstood the sheet, and the file is quarantined rather than half-read.
"""
from __future__ import annotations

import re

from flows import labels
from flows.cells.grid import Cell, Sheet, column_letter, column_number
from flows.observations import Count, Problem


def visible(sheet: Sheet) -> tuple[Sheet, list[str]]:
    """The sheet as a person sees it, and a note naming hidden rows and columns left out.

    The note names rows and columns only, never what they hold (personal data hides there).
    """
    hidden = [c for c in sheet if c.hidden]
    if not hidden:
        return sheet, []
    shown = Sheet(
        name=sheet.name,
        cells={k: c for k, c in sheet.cells.items() if not c.hidden},
        merged=list(sheet.merged),
        hidden=sheet.hidden,
        is_csv=sheet.is_csv,
    )
    rows = sorted({c.row for c in hidden})
    where = ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
    return shown, [f"sheet '{sheet.name}': {len(hidden)} cells in hidden rows or columns (rows {where}) were not read"]


_RANGE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")


def parse_range(text: str) -> tuple[int, int, int, int]:
    """'B4:H20' -> (min_row, min_col, max_row, max_col), 1-based."""
    m = _RANGE.match(text.strip())
    if not m:
        raise ValueError(f"not a cell range: {text!r}")
    c1, r1 = column_number(m.group(1)), int(m.group(2))
    c2, r2 = (column_number(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def restrict(sheet: Sheet, min_row: int, min_col: int, max_row: int, max_col: int) -> Sheet:
    """Only the cells inside a range (coordinates unchanged, so refs still name the sheet)."""
    return Sheet(
        name=sheet.name,
        cells={k: c for k, c in sheet.cells.items()
               if min_row <= c.row <= max_row and min_col <= c.col <= max_col},
        merged=list(sheet.merged),
        hidden=sheet.hidden,
        is_csv=sheet.is_csv,
    )


def is_number(value) -> bool:
    """A figure: a number, a number written as text, or a suppression marker."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and isinstance(labels.count(value), Count)


def number_cells(sheet: Sheet) -> list[Cell]:
    """The figures of a sheet (not a footnote's number), worked out once per sheet.

    Kept on the sheet itself, not in a module variable: readers run in threads, and
    each must see only its own sheet's cells."""
    return list(sheet.memo("number_cells", _number_cells))


def _number_cells(sheet: Sheet) -> list[Cell]:
    texts: dict[str, bool] = {}  # each distinct text judged once: a list repeats its labels

    def number(value) -> bool:
        if isinstance(value, str):
            if value not in texts:
                texts[value] = is_number(value)
            return texts[value]
        return is_number(value)

    numbers = [c for c in sheet if number(c.value)]
    if not numbers:
        return []
    rows = sheet.rows()
    return [c for c in numbers if not _is_footnote_number(rows.get(c.row, []), c)]


def _is_footnote_number(row: list[Cell], cell: Cell) -> bool:
    """'1' beside 'Figures are provisional ...': a footnote's number, not a figure."""
    if not isinstance(cell.value, (int, float)) or isinstance(cell.value, bool) or not 0 < cell.value <= 50:
        return False
    others = [c for c in row if c is not cell]
    return (len(others) == 1 and isinstance(others[0].value, str) and len(others[0].value) >= 20
            and others[0].col > cell.col)


def range_of(sheet: Sheet, cells: list[tuple[int, int]]) -> str:
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    return sheet.range_ref(min(rows), min(cols), max(rows), max(cols))


def stray_numbers(sheet: Sheet, used: set[tuple[int, int]]) -> list[Problem]:
    """One problem naming the numbers that no table of the sheet accounts for."""
    strays = [(c.row, c.col) for c in number_cells(sheet) if (c.row, c.col) not in used]
    if not strays:
        return []
    where = range_of(sheet, strays)
    sample = ", ".join(f"{column_letter(c)}{r}" for r, c in strays[:5])
    more = f" and {len(strays) - 5} more" if len(strays) > 5 else ""
    return [Problem(
        f"could not tell which labels the numbers in {where} belong to ({sample}{more})",
        source=where,
    )]


_FOOTNOTE_START = re.compile(r"^(?:[*^†‡#~¹²³]|\(?\d+\)|\[|note|notes|source|data |figures|please|end of|the |these |this |all |n\.?b)", re.I)


def is_footnote(cells: list[Cell]) -> bool:
    """A row that is a line of text under a table ('* denotes ...', 'Source: Niche')."""
    texts = [c for c in cells if not (isinstance(c.value, str) and not c.value.strip())]
    if len(texts) != 1 or not isinstance(texts[0].value, str):
        return False
    text = texts[0].value.strip()
    return len(text) >= 25 or bool(_FOOTNOTE_START.match(text))


# Headings that say a column counts every child sexual offence, or only the online-flagged
# ones: a reply may give both side by side, and only the online figures answer the request.
_ALL_SCOPE = re.compile(r"\ball (?:child sexual |sexual |recorded )?(?:offences|crimes|cso)\b|\ball recorded\b|\bpob trosedd\b",
                        re.I)
_ONLINE_SCOPE = re.compile(r"\bonline\b|\bar-lein\b", re.I)
# 'Not online', 'Online flag: No': the other offences, beside the online ones
_NOT_ONLINE = re.compile(r"\bnot online\b|\bnon[- ]online\b|\boffline\b|\bonline(?: flag)?\s*[:=-]?\s*(?:no|n)\b"
                         r"|\bnot flagged\b|\bno online flag\b", re.I)
_SCOPE_HEADING_LENGTH = 60  # a heading, not a sentence that mentions both
_COUNT_HEADING = "Number of offences"  # what an online column with no year of its own holds
_PEOPLE = re.compile(r"^(?:number of |no\.? of )?(?:victims|suspects|offenders|persons|people)\b", re.I)
_CRIMES = re.compile(r"^(?:number of |no\.? of )?(?:crimes|offences|recorded crimes|recorded offences)$", re.I)


def online_only(sheet: Sheet) -> tuple[Sheet, list[str]]:
    """The sheet without the columns headed 'All child sexual offences' when the same
    heading row also has columns headed 'online' ('of which: online flag'): the online
    columns keep their year ('Online-flagged 2019/20' -> '2019/20'), and a heading that
    only says 'online' under a merged year is dropped so the year stands alone."""
    first_figure = min((c.row for c in number_cells(sheet)), default=0)
    rows = sheet.rows()
    for row in sorted(r for r in rows if r < first_figure):
        texts = [c for c in rows[row] if isinstance(c.value, str) and len(c.value) <= _SCOPE_HEADING_LENGTH]
        every = [c for c in texts if _ALL_SCOPE.search(c.value) and not _ONLINE_SCOPE.search(c.value)
                 or _NOT_ONLINE.search(c.value)]
        online = [c for c in texts if _ONLINE_SCOPE.search(c.value) and not _ALL_SCOPE.search(c.value)
                  and not _NOT_ONLINE.search(c.value)]
        if every and online:
            # beside 'Online' and 'Not online', a 'Total' counts both: not the answer either
            if any(_NOT_ONLINE.search(c.value) for c in every):
                every += [c for c in texts if labels.is_total(c.value)]
            return _keep_online(sheet, row, {c.col for c in every}, online)
        # 'Crimes' beside 'Victims' under each year: the request counts offences
        people = [c for c in texts if _PEOPLE.search(c.value)]
        crimes = [c for c in texts if _CRIMES.search(c.value) and not _PEOPLE.search(c.value)]
        if people and crimes:
            return _keep_online(sheet, row, {c.col for c in people}, crimes, what="count victims or people")
    return sheet, []


def _keep_online(sheet: Sheet, row: int, dropped: set[int], online: list[Cell],
                 what: str = "count all child sexual offences, online or not") -> tuple[Sheet, list[str]]:
    cells = dict(sheet.cells)
    merged = []
    top_row = row  # the header block starts at the scope row or at a year merged above it
    for rng in sheet.merged:  # a year merged over an 'all' and an 'online' column: each its own
        if rng.max_row < row and any(rng.min_col <= c <= rng.max_col for c in dropped):
            top = sheet.value(rng.min_row, rng.min_col)
            top_row = min(top_row, rng.min_row)
            for c in range(rng.min_col, rng.max_col + 1):
                old = cells.get((rng.min_row, c))
                cells[(rng.min_row, c)] = Cell(rng.min_row, c, top, old.number_format if old else None)
            continue
        merged.append(rng)
    for key in [k for k in cells if k[1] in dropped and k[0] >= top_row]:
        del cells[key]
    for c in online:
        years = labels.financial_years_in(c.value)
        above = [cells[(r, c.col)].value for r in range(top_row, c.row) if (r, c.col) in cells]
        if len(years) == 1:
            cells[(c.row, c.col)] = Cell(c.row, c.col, years[0], c.number_format, c.hidden)
        elif any(labels.financial_years_in(str(v)) for v in above):
            del cells[(c.row, c.col)]  # under its year: the year alone heads the column
        else:
            # 'Online flag: Yes' beside 'No', the year in a title: the column of counts
            cells[(c.row, c.col)] = Cell(c.row, c.col, _COUNT_HEADING, c.number_format, c.hidden)
    shown = Sheet(name=sheet.name, cells=cells, merged=merged, hidden=sheet.hidden, is_csv=sheet.is_csv)
    cols = ", ".join(column_letter(c) for c in sorted(dropped))
    return shown, [f"sheet '{sheet.name}': columns {cols} {what} (headings in row {row}); only the columns "
                   "of online-flagged offences were read"]


def online_rows(sheet: Sheet) -> tuple[Sheet, list[str]]:
    """A reply of two rows, all child sexual offences and 'of which flagged as online':
    the online row is the answer (read as the counts themselves), the other is left out.
    Only that shape: with any other row of figures, which row a breakdown belongs to is
    not said, and the sheet is left as it is."""
    rows = sheet.rows()
    numbers = {(c.row, c.col) for c in number_cells(sheet)}
    figure_rows = [r for r in sorted(rows) if any((r, c.col) in numbers for c in rows[r])]
    if len(figure_rows) != 2:
        return sheet, []
    first_text = {r: next((c for c in rows[r] if isinstance(c.value, str)), None) for r in figure_rows}
    every, online = first_text[figure_rows[0]], first_text[figure_rows[1]]
    if every is None or online is None:
        return sheet, []
    if not (_ALL_SCOPE.search(every.value) and not _ONLINE_SCOPE.search(every.value)
            and _ONLINE_SCOPE.search(online.value) and not _NOT_ONLINE.search(online.value)):
        return sheet, []
    cells = {k: c for k, c in sheet.cells.items() if k[0] != every.row}
    cells[(online.row, online.col)] = Cell(online.row, online.col, "Total", online.number_format, online.hidden)
    shown = Sheet(name=sheet.name, cells=cells, merged=list(sheet.merged), hidden=sheet.hidden, is_csv=sheet.is_csv)
    return shown, [f"sheet '{sheet.name}': row {every.row} ('{every.value}') counts all child sexual offences; "
                   f"row {online.row} ('{online.value}') is the online-flagged figure read"]
