"""Cell values through python-calamine, shared by the xlsx, xls and ods readers.

calamine reads all three formats an order of magnitude faster than openpyxl, but it
sees values only (plus sheet visibility and, for xlsx/xls, merged ranges). Each format
module reads its own formatting cheaply and hands it in as a `SheetFormat`.
"""
from __future__ import annotations

import gc
import shutil
import tempfile
from bisect import bisect_right
from dataclasses import dataclass, field, fields
from itertools import chain
from pathlib import Path
from typing import Callable, Container, Iterable

import python_calamine

from flows.cells.errors import LimitExceeded, UnreadableFile
from flows.cells.grid import Cell, Grid, MergedRange, Sheet, Workbook

_CALAMINE_SUFFIXES = {"xlsx": (".xlsx", ".xlsm"), "xls": (".xls",), "ods": (".ods",)}


class Spans:
    """Row or column numbers given as inclusive (first, last) spans.

    ODS repeats a hidden row a million times in one element; a set would be too big.
    """

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        merged: list[list[int]] = []
        for lo, hi in sorted(spans):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self._starts = [lo for lo, _ in merged]
        self._ends = [hi for _, hi in merged]

    def __contains__(self, n: object) -> bool:
        i = bisect_right(self._starts, n) - 1  # type: ignore[arg-type]
        return i >= 0 and n <= self._ends[i]  # type: ignore[operator]

    def __bool__(self) -> bool:
        return bool(self._starts)

    def __repr__(self) -> str:
        return f"Spans({list(zip(self._starts, self._ends))})"


@dataclass
class SheetFormat:
    """What calamine does not tell: hidden rows/columns, number formats, merges."""

    hidden: bool = False
    hidden_rows: Container[int] = field(default_factory=frozenset)
    hidden_cols: Container[int] = field(default_factory=frozenset)
    number_formats: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[MergedRange] | None = None  # None: take calamine's
    # cells showing an Excel error ('#DIV/0!', '#REF!'): calamine reads them as empty,
    # but an error where a count should be must be seen and reported, not skipped
    errors: dict[tuple[int, int], str] = field(default_factory=dict)


def open_book(path: Path, file_type: str) -> python_calamine.CalamineWorkbook:
    """Open as the format the sniffer found in the bytes.

    calamine picks its parser by the file's extension (and its own content sniffing
    misses some valid files), so a renamed reply is opened through a link that carries
    the right extension.
    """
    suffixes = _CALAMINE_SUFFIXES[file_type]
    try:
        if path.suffix.lower() in suffixes:
            return python_calamine.CalamineWorkbook.from_path(path)
        with tempfile.TemporaryDirectory(prefix="foi-cells-") as tmp:
            link = Path(tmp) / f"reply{suffixes[0]}"
            try:
                link.symlink_to(path.resolve())
            except OSError:
                shutil.copyfile(path, link)
            return python_calamine.CalamineWorkbook.from_path(link)  # keeps its file open
    except python_calamine.PasswordError as exc:
        raise UnreadableFile(path, "is password-protected; ask the force for an unprotected copy") from exc
    except BaseException as exc:  # calamine's errors (zip, xml, cfb) and its Rust panics
        if not is_library_failure(exc):
            raise
        raise UnreadableFile(path, f"cannot be read as a spreadsheet ({_describe(exc)})") from exc


def worksheets(path: Path, book: python_calamine.CalamineWorkbook, limits) -> list[tuple[str, bool]]:
    """(name, hidden) of every worksheet in workbook order; chart sheets hold no cells."""
    try:
        meta = book.sheets_metadata
    except BaseException as exc:
        if not is_library_failure(exc):
            raise
        raise UnreadableFile(path, f"has an unreadable list of sheets ({_describe(exc)})") from exc
    out = []
    for m in meta:
        if m.typ in (python_calamine.SheetTypeEnum.ChartSheet, python_calamine.SheetTypeEnum.Vba):
            continue
        out.append((m.name, m.visible != python_calamine.SheetVisibleEnum.Visible))
    if len(out) > limits.sheets:
        raise LimitExceeded(path, "sheets", f"{len(out):,} sheets", limits.sheets, "is a workbook of", source=limits.source)
    return out


def read_book(
    path: Path,
    file_type: str,
    formatting: Callable[[Path, object], dict[str, SheetFormat]],
    default: Callable[[], SheetFormat],
    limits,
) -> Workbook:
    """Every sheet of an xls or ods file: values from calamine, formatting from the
    format's own reader (`formatting`), `default()` for a sheet it says nothing about.

    The format's own pass runs first: it streams the file and checks the sheets'
    sizes against `limits` before calamine expands them in memory."""
    formats = formatting(path, limits)
    book = open_book(path, file_type)
    sheets = []
    for name, hidden in worksheets(path, book, limits):
        fmt = formats.get(name)
        if fmt is None:
            fmt = default()
        fmt.hidden = fmt.hidden or hidden
        sheets.append(read_sheet(path, book, name, fmt, limits))
    return Workbook(path=str(path), file_type=file_type, sheets=sheets)


def check_sheet_size(path: Path, name: str, rows: int, cols: int, cells: int, limits) -> None:
    """A sheet beyond the row, column, cell or extent limits: LimitExceeded naming the
    sheet. `rows` and `cols` are the last row and column used, so their product is the
    grid the spreadsheet library would hold."""
    for limit, found, what in (("sheet_rows", rows, "rows"), ("sheet_columns", cols, "columns"),
                               ("sheet_extent_cells", rows * cols, "cells from its first to its last row and column"),
                               ("sheet_cells", cells, "cells with values")):
        allowed = getattr(limits, limit)
        if found > allowed:
            raise LimitExceeded(path, limit, f"{found:,} {what}", allowed, f"has a sheet {name!r} of", source=limits.source)


def read_sheet(path: Path, book: python_calamine.CalamineWorkbook, name: str, fmt: SheetFormat,
               limits) -> Sheet:
    try:
        sheet = book.get_sheet_by_name(name)
        height, width = sheet.height, sheet.width
    except BaseException as exc:
        if not is_library_failure(exc):
            raise
        raise UnreadableFile(path, f"sheet {name!r} cannot be read ({_describe(exc)})") from exc
    check_sheet_size(path, name, height, width, 0, limits)
    try:
        start = sheet.start
        rows = sheet.to_python(skip_empty_area=True) if start is not None else []
        calamine_merged = sheet.merged_cell_ranges
    except BaseException as exc:
        if not is_library_failure(exc):
            raise
        raise UnreadableFile(path, f"sheet {name!r} cannot be read ({_describe(exc)})") from exc
    r0, c0 = start if start is not None else (0, 0)
    if fmt.merged is not None:
        merged = fmt.merged
    else:
        merged = [MergedRange(a + 1, b + 1, c + 1, d + 1) for (a, b), (c, d) in calamine_merged or ()]
    width = max(map(len, rows), default=0)
    grid = Grid(rows, r0 + 1, c0 + 1, hidden_rows=_within(fmt.hidden_rows, r0 + 1, r0 + len(rows)),
                hidden_cols=_within(fmt.hidden_cols, c0 + 1, c0 + width), number_formats=fmt.number_formats)
    check_sheet_size(path, name, 0, 0, count_values(rows), limits)
    if not fmt.errors:
        # Cells are made only if a layout asks for them (a record list is read from the grid)
        return Sheet(name=name, merged=merged, hidden=fmt.hidden, grid=grid)
    cells = grid.cells()
    for (r, c), text in fmt.errors.items():
        if (r, c) not in cells:
            cells[(r, c)] = Cell(
                r, c, text, fmt.number_formats.get((r, c)), r in fmt.hidden_rows or c in fmt.hidden_cols,
            )
    # Cells made now (the error texts are not in the grid); the grid stays for what it knows
    # (the hidden rows and columns)
    return Sheet(name=name, cells=cells, merged=merged, hidden=fmt.hidden, grid=grid)


def _within(numbers: Container[int], first: int, last: int) -> frozenset[int]:
    """The numbers first..last that are in `numbers` (a set or Spans)."""
    if not numbers:
        return frozenset()
    if isinstance(numbers, (set, frozenset)):
        return frozenset(n for n in numbers if first <= n <= last)
    return frozenset(n for n in range(first, last + 1) if n in numbers)


def count_values(rows: list[list]) -> int:
    """The cells with a value among a grid's rows, as build_cells would make them (not
    '' or whitespace), counted at C speed: a list's million cells need no loop."""
    flat = list(chain.from_iterable(rows))
    blanks = flat.count("")
    spaces = {v for v in set(flat) if type(v) is str and v and v.isspace()}
    return len(flat) - blanks - sum(map(flat.count, spaces))


def build_cells(
    rows: list[list],
    first_row: int,
    first_col: int,
    hidden_rows: Container[int],
    hidden_cols: Container[int],
    number_formats: dict[tuple[int, int], str],
) -> dict[tuple[int, int], Cell]:
    """Non-empty cells keyed by 1-based (row, col); whole floats become int.

    The hot loop of a million-row reply: kept flat on purpose. The cyclic garbage
    collector is paused meanwhile: millions of new objects, none of them garbage, would
    otherwise trigger full collections that double the time.
    """
    width = max((len(values) for values in rows), default=0)
    hidden_cols = frozenset(c for c in range(first_col, first_col + width) if c in hidden_cols)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_cells(rows, first_row, first_col, hidden_rows, hidden_cols, number_formats)
    finally:
        if was_enabled:
            gc.enable()


def _build_cells(rows, first_row, first_col, hidden_rows, hidden_cols, number_formats):
    cells: dict[tuple[int, int], Cell] = {}
    new, set_row, set_col, set_value, set_format, set_hidden = _CELL_PARTS
    fmt_get = number_formats.get if number_formats else None
    any_hidden_col = bool(hidden_cols)
    for r, values in enumerate(rows, first_row):
        row_hidden = r in hidden_rows
        for c, v in enumerate(values, first_col):
            t = type(v)
            if t is str:
                if not v or v.isspace():
                    continue
            elif t is float:
                if v.is_integer():
                    v = int(v)
            cell = new(Cell)  # Cell(r, c, v, ...) at half the cost; see _CELL_PARTS
            set_row(cell, r)
            set_col(cell, c)
            set_value(cell, v)
            set_format(cell, fmt_get((r, c)) if fmt_get else None)
            set_hidden(cell, row_hidden or (any_hidden_col and c in hidden_cols))
            cells[(r, c)] = cell
    return cells


def _cell_parts():
    """Cell's constructor and slot setters, to build cells without the frozen __init__.

    A frozen dataclass __init__ goes through object.__setattr__ for every field, which
    doubles the cost of a million-row reply. The slots' own setters give the same
    object. Fails loudly at import if Cell's fields change.
    """
    names = tuple(f.name for f in fields(Cell))
    if names != ("row", "col", "value", "number_format", "hidden") or not hasattr(Cell, "__slots__"):
        raise ImportError(f"flows.cells.values expects Cell(row, col, value, number_format, hidden), got {names}")
    return (Cell.__new__, *(getattr(Cell, name).__set__ for name in names))


_CELL_PARTS = _cell_parts()


def is_library_failure(exc: BaseException) -> bool:
    """An ordinary exception, or a Rust panic (pyo3 derives those from BaseException)."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        return False
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 300 else text[:297] + "..."
