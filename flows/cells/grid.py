"""A sheet as a grid of cells with coordinates and formats (the tidyxl view).

Every reader (xlsx, xls, ods, csv) produces these, so the layouts never care which
format a reply came in, and every number can be traced back to the cell it came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Iterator, Union

CellValue = Union[str, int, float, bool, date, datetime, time, None]


def column_letter(col: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str) -> int:
    """'A' -> 1, 'aa' -> 27: column_letter's inverse."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


@dataclass(frozen=True, slots=True)
class Cell:
    """One non-empty cell. Rows and columns are 1-based, as a person reads the sheet."""

    row: int
    col: int
    value: CellValue
    number_format: str | None = None
    hidden: bool = False  # its row or its column is hidden

    @property
    def coordinate(self) -> str:
        return f"{column_letter(self.col)}{self.row}"


@dataclass(frozen=True, slots=True)
class MergedRange:
    min_row: int
    min_col: int
    max_row: int
    max_col: int

    def __contains__(self, rc: tuple[int, int]) -> bool:
        r, c = rc
        return self.min_row <= r <= self.max_row and self.min_col <= c <= self.max_col


@dataclass(frozen=True, eq=False)
class Grid:
    """A sheet's values as its reader got them, row by row: calamine's rows (or a csv
    file's records), before any Cell is made.

    A record list of a million values needs no Cell per value: its columns are read
    straight from here (flows.layouts.record_columns), and a Sheet makes its Cells from
    the grid only when a layout asks for them. Rows may be ragged; a value is as the
    reader gave it ('' for an empty cell, 3.0 for 3), and `value` returns it as a Cell
    would hold it (None, 3)."""

    rows: list  # row i is sheet row first_row + i; each a list of values
    first_row: int = 1
    first_col: int = 1
    hidden_rows: frozenset = frozenset()  # sheet rows hidden, within the grid
    hidden_cols: frozenset = frozenset()
    number_formats: dict = field(default_factory=dict)  # (row, col) -> format, of cells that have one

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.rows) - 1

    @property
    def width(self) -> int:
        return max(map(len, self.rows), default=0)

    def value(self, row: int, col: int) -> CellValue:
        i, j = row - self.first_row, col - self.first_col
        if i < 0 or j < 0 or i >= len(self.rows):
            return None
        values = self.rows[i]
        return cell_value(values[j]) if j < len(values) else None

    def column(self, col: int, first_row: int, last_row: int) -> list:
        """The raw values of one column over rows first_row..last_row ('' where a row is short)."""
        j = col - self.first_col
        rows = self.rows[max(first_row - self.first_row, 0):last_row - self.first_row + 1]
        if j < 0:
            return [""] * len(rows)
        return [values[j] if j < len(values) else "" for values in rows]

    def cells(self) -> dict[tuple[int, int], "Cell"]:
        from flows.cells.values import build_cells

        return build_cells(self.rows, self.first_row, self.first_col, self.hidden_rows, self.hidden_cols,
                           self.number_formats)


def cell_value(raw) -> CellValue:
    """What a Cell holds for a value a reader gave: None for blank text, 3 for 3.0."""
    t = type(raw)
    if t is str:
        return None if not raw or raw.isspace() else raw
    if t is float and raw.is_integer():
        return int(raw)
    return raw


class Sheet:
    """A sheet of a workbook, or the one 'sheet' of a csv file.

    `cells` holds only non-empty cells, keyed by (row, col). For a csv file `name` is
    the file name and `is_csv` is true, so that `ref` names the line instead of a cell.
    A sheet read from a file keeps its `grid`, and makes `cells` from it on first use.
    """

    __slots__ = ("name", "_cells", "merged", "hidden", "is_csv", "grid", "_memo")

    def __init__(self, name: str, cells: dict | None = None, merged: list | None = None,
                 hidden: bool = False, is_csv: bool = False, grid: Grid | None = None) -> None:
        self.name = name
        self._cells = cells if cells is not None or grid is not None else {}
        self.merged = merged if merged is not None else []
        self.hidden = hidden
        self.is_csv = is_csv
        self.grid = grid
        # Values derived from the cells (figures, rows), computed once per sheet and per key.
        # A sheet belongs to one reader at a time, so this needs no lock; it is dropped
        # whenever `cells` is replaced, because derived sheets are new Sheet objects.
        self._memo: dict = {}

    @property
    def cells(self) -> dict[tuple[int, int], Cell]:
        if self._cells is None:
            self._cells = self.grid.cells()
        return self._cells

    @cells.setter
    def cells(self, cells: dict[tuple[int, int], Cell]) -> None:
        self._cells = cells
        self.grid = None  # the cells are now the truth

    @property
    def cells_made(self) -> bool:
        """Whether `cells` exists yet (a sheet read from a file makes them on first use)."""
        return self._cells is not None

    def __repr__(self) -> str:
        return f"Sheet(name={self.name!r}, hidden={self.hidden}, is_csv={self.is_csv})"

    def memo(self, key: str, compute):
        """compute(self), once per sheet and key (the cells of a Sheet are not changed after reading)."""
        stamp = (key, len(self.cells))
        if stamp not in self._memo:
            self._memo[stamp] = compute(self)
        return self._memo[stamp]

    def ref(self, row: int, col: int) -> str:
        """Where a person finds this cell: 'Data!D7', or 'line 7, column D' in a csv."""
        if self.is_csv:
            return f"line {row}, column {column_letter(col)}"
        name = self.name
        if not name.replace("_", "").isalnum():
            name = "'" + name.replace("'", "''") + "'"
        return f"{name}!{column_letter(col)}{row}"

    def range_ref(self, min_row: int, min_col: int, max_row: int, max_col: int) -> str:
        if self.is_csv:
            if min_row == max_row:
                return f"line {min_row}"
            return f"lines {min_row}-{max_row}"
        start = self.ref(min_row, min_col)
        if (min_row, min_col) == (max_row, max_col):
            return start
        return f"{start}:{column_letter(max_col)}{max_row}"

    def rows_ref(self, rows, min_col: int, max_col: int) -> str:
        """Where a person finds several rows of a table: 'Records!A5:E7, A9:E9' (runs of
        consecutive rows as one range), or 'lines 5-7, 9' in a csv. `rows`: any
        iterable of row numbers, or a numpy array (a list's thousands of rows)."""
        import numpy as np

        ordered = np.unique(np.asarray(rows, dtype=np.int64))
        breaks = np.flatnonzero(np.diff(ordered) != 1)
        runs = list(zip(ordered[np.r_[0, breaks + 1]].tolist(), ordered[np.r_[breaks, len(ordered) - 1]].tolist()))
        if self.is_csv:
            return ("line " if len(runs) == 1 and runs[0][0] == runs[0][1] else "lines ") + ", ".join(
                str(a) if a == b else f"{a}-{b}" for a, b in runs)
        first = self.range_ref(runs[0][0], min_col, runs[0][1], max_col)
        left, right = column_letter(min_col), column_letter(max_col)
        return ", ".join([first] + [f"{left}{a}" if (a, min_col) == (b, max_col) else f"{left}{a}:{right}{b}"
                                    for a, b in runs[1:]])

    def value(self, row: int, col: int) -> CellValue:
        if self._cells is None:  # not made yet: the grid answers without making them
            return self.grid.value(row, col)
        cell = self._cells.get((row, col))
        return None if cell is None else cell.value

    def filled_value(self, row: int, col: int) -> CellValue:
        """The value a person sees here: inside a merged range, the range's top-left value."""
        cell = self.cells.get((row, col))
        if cell is not None:
            return cell.value
        for rng in self.merged:
            if (row, col) in rng:
                return self.value(rng.min_row, rng.min_col)
        return None

    def __iter__(self) -> Iterator[Cell]:
        """Cells in reading order: row by row, left to right."""
        return iter(self.memo("in_order", _in_order))

    @property
    def max_row(self) -> int:
        return max((r for r, _ in self.cells), default=0)

    @property
    def max_col(self) -> int:
        return max((c for _, c in self.cells), default=0)

    def rows(self) -> dict[int, tuple[Cell, ...]]:
        """Row number -> its cells, left to right (worked out once per sheet: every layout
        asks; the rows are tuples, so no caller can change another's view)."""
        return self.memo("rows", _rows)


def _in_order(sheet: Sheet) -> tuple[Cell, ...]:
    cells = sheet.cells
    return tuple(cells[key] for key in sorted(cells))


def _rows(sheet: Sheet) -> dict[int, tuple[Cell, ...]]:
    out: dict[int, list[Cell]] = {}
    for cell in sheet:
        out.setdefault(cell.row, []).append(cell)
    return {r: tuple(cells) for r, cells in out.items()}


@dataclass
class Workbook:
    """Every sheet of one reply file, hidden ones included (the layouts decide what to do)."""

    path: str
    file_type: str  # 'xlsx', 'xls', 'ods', 'csv'
    sheets: list[Sheet] = field(default_factory=list)
