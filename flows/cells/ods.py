"""OpenDocument spreadsheets: values through calamine, formatting from content.xml.

calamine reads ODS values and sheet visibility but no merged ranges and no hidden
rows or columns; those are attributes in content.xml (number-columns-spanned,
number-rows-spanned, table:visibility="collapse"/"filter"), read here in one
streaming pass. LibreOffice marks a formula error (calcext:value-type="error",
showing '#DIV/0!'), which calamine reads as empty; it is kept as its text so that a
count which failed is seen.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from defusedxml.ElementTree import iterparse

from flows.cells.errors import LimitExceeded, UnreadableFile
from flows.cells.grid import MergedRange, Workbook
from flows.cells.values import SheetFormat, Spans, check_sheet_size, read_book

TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_HIDDEN_VISIBILITY = ("collapse", "filter")
NO_SAVED_VALUE = "a formula with no saved value"  # as flows.cells.xlsx shows it


def read_ods(path: str | Path, limits=None) -> Workbook:
    from flows.limits import load_limits

    limits = limits if limits is not None else load_limits()
    return read_book(Path(path), "ods", _formatting, lambda: SheetFormat(merged=[]), limits)


def _formatting(path: Path, limits) -> dict[str, SheetFormat]:
    try:
        with zipfile.ZipFile(path) as z, z.open("content.xml") as f:
            return _parse_content(f, path, limits)
    except (zipfile.BadZipFile, zlib.error, KeyError, EOFError, OSError, ValueError) as exc:
        raise UnreadableFile(path, f"has a damaged content.xml ({exc})") from exc
    except SyntaxError as exc:  # ElementTree.ParseError
        raise UnreadableFile(path, f"has malformed XML in content.xml ({exc})") from exc


def _count(el, attr: str) -> int:
    value = el.get(TABLE + attr, "1")
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _parse_content(f, path: Path, limits) -> dict[str, SheetFormat]:
    """Formatting by sheet. Counts each sheet's cells with values as calamine will
    expand them (a cell repeated 1,000 times across a row repeated 1,000,000 times is
    a billion cells) and stops at the limits before calamine does."""
    hidden_styles: set[str] = set()
    out: dict[str, SheetFormat] = {}
    depth = 0  # tables nest inside cells (sub-tables); only the outer grid counts
    fmt: SheetFormat | None = None
    hidden_rows: list[tuple[int, int]] = []
    hidden_cols: list[tuple[int, int]] = []
    parent_style: str | None = None
    row = col = next_col = 1
    current_row, current_reps = 1, 1
    pending_error: tuple[int, int, int] | None = None  # row, col, repeats of an error cell
    sheet_name, filled = "", 0  # cells with values in the current sheet, repeats expanded
    for event, el in iterparse(f, events=("start", "end")):
        tag = el.tag
        if event == "end":
            if tag == STYLE + "table-properties" and el.get(TABLE + "display") == "false":
                if parent_style:
                    hidden_styles.add(parent_style)
            elif tag == TABLE + "table":
                depth -= 1
                if depth == 0 and fmt is not None:
                    fmt.hidden_rows = Spans(hidden_rows)
                    fmt.hidden_cols = Spans(hidden_cols)
                el.clear()
            elif tag == TABLE + "table-row" and depth == 1:
                el.clear()
            elif pending_error is not None and tag == TABLE + "table-cell" and depth == 1:
                text = "".join(el.itertext()).strip() or "#ERROR"
                for r in range(pending_error[0], pending_error[0] + current_reps):
                    for c in range(pending_error[1], pending_error[1] + pending_error[2]):
                        fmt.errors[(r, c)] = text
                pending_error = None
            continue
        if tag == STYLE + "style":
            parent_style = el.get(STYLE + "name")
        elif tag == TABLE + "table":
            depth += 1
            if depth == 1:
                fmt = SheetFormat(hidden=el.get(TABLE + "style-name") in hidden_styles, merged=[])
                sheet_name = el.get(TABLE + "name", "")
                out[sheet_name] = fmt
                filled = 0
                if len(out) > limits.sheets:
                    raise LimitExceeded(path, "sheets", f"more than {limits.sheets:,} sheets", limits.sheets,
                                        "is a workbook of", source=limits.source)
                hidden_rows, hidden_cols = [], []
                row, next_col = 1, 1
        elif depth != 1 or fmt is None:
            continue
        elif tag == TABLE + "table-column":
            n = _count(el, "number-columns-repeated")
            if el.get(TABLE + "visibility") in _HIDDEN_VISIBILITY:
                hidden_cols.append((next_col, next_col + n - 1))
            next_col += n
        elif tag == TABLE + "table-row":
            n = _count(el, "number-rows-repeated")
            current_row, current_reps = row, n
            if el.get(TABLE + "visibility") in _HIDDEN_VISIBILITY:
                hidden_rows.append((row, row + n - 1))
            row += n
            col = 1
        elif tag in (TABLE + "table-cell", TABLE + "covered-table-cell"):
            n = _count(el, "number-columns-repeated")
            if el.get(OFFICE + "value-type") is not None:
                filled += n * current_reps
                last_row, last_col = current_row + current_reps - 1, col + n - 1
                if (filled > limits.sheet_cells or last_row > limits.sheet_rows
                        or last_row * last_col > limits.sheet_extent_cells):
                    check_sheet_size(path, sheet_name, last_row, last_col, filled, limits)
            spans_cols = _count(el, "number-columns-spanned")
            spans_rows = _count(el, "number-rows-spanned")
            if spans_cols > 1 or spans_rows > 1:
                for r in range(current_row, current_row + current_reps):
                    for c in range(col, col + n):
                        fmt.merged.append(MergedRange(r, c, r + spans_rows - 1, c + spans_cols - 1))
            if el.get(CALCEXT + "value-type") == "error":
                pending_error = (current_row, col, n)
            elif el.get(TABLE + "formula") is not None and el.get(OFFICE + "value-type") is None:
                for r in range(current_row, current_row + current_reps):  # never evaluated
                    for c in range(col, col + n):
                        fmt.errors[(r, c)] = NO_SAVED_VALUE
            col += n
    return out

