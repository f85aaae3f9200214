"""Legacy .xls (BIFF): values through calamine, formatting through xlrd.

calamine does not expose hidden rows or columns; xlrd with formatting_info does. An
.xls holds at most 65,536 rows, so parsing it twice costs little.
"""
from __future__ import annotations

from pathlib import Path

from flows.cells.errors import UnreadableFile
from flows.cells.grid import Workbook
from flows.cells.values import SheetFormat, Spans, is_library_failure, read_book


def read_xls(path: str | Path, limits=None) -> Workbook:
    from flows.limits import load_limits

    limits = limits if limits is not None else load_limits()
    return read_book(Path(path), "xls", _formatting, SheetFormat, limits)


def _formatting(path: Path, limits) -> dict[str, SheetFormat]:
    import xlrd

    try:
        xl = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True, logfile=_Silent())
    except BaseException as exc:
        if not is_library_failure(exc):
            raise
        if "encrypted" in str(exc).lower():
            raise UnreadableFile(path, "is password-protected; ask the force for an unprotected copy") from exc
        raise UnreadableFile(path, f"cannot be read as an Excel 97-2003 workbook ({exc})") from exc
    out: dict[str, SheetFormat] = {}
    try:
        codes = _format_codes(xl)
        for index, name in enumerate(xl.sheet_names()):
            sh = xl.sheet_by_index(index)
            out[name] = fmt = SheetFormat(
                hidden=sh.visibility != 0,
                hidden_rows={r + 1 for r, info in sh.rowinfo_map.items() if info.hidden},
                hidden_cols=Spans((c + 1, c + 1) for c, info in sh.colinfo_map.items() if info.hidden),
            )
            _cell_details(sh, codes, fmt)
            xl.unload_sheet(index)
    except BaseException as exc:
        if not is_library_failure(exc):
            raise
        raise UnreadableFile(path, f"its formatting cannot be read ({exc})") from exc
    finally:
        xl.release_resources()
    return out


def _format_codes(xl) -> dict[int, str]:
    """XF index -> number format, for the formats other than 'General'."""
    codes: dict[int, str] = {}
    for i, xf in enumerate(xl.xf_list):
        fmt = xl.format_map.get(xf.format_key)
        if fmt is not None and fmt.format_str and fmt.format_str != "General":
            codes[i] = fmt.format_str
    return codes


def _cell_details(sh, codes: dict[int, str], fmt: SheetFormat) -> None:
    """Number formats of cells that hold a value, and the text of error cells
    ('#DIV/0!'), which calamine reads as empty."""
    from xlrd.biffh import XL_CELL_BLANK, XL_CELL_EMPTY, XL_CELL_ERROR, error_text_from_code

    for r in range(sh.nrows):
        for c in range(sh.row_len(r)):
            kind = sh.cell_type(r, c)
            if kind in (XL_CELL_EMPTY, XL_CELL_BLANK):
                continue
            if kind == XL_CELL_ERROR:
                fmt.errors[(r + 1, c + 1)] = error_text_from_code.get(sh.cell_value(r, c), "#ERROR")
            code = codes.get(sh.cell_xf_index(r, c))
            if code is not None:
                fmt.number_formats[(r + 1, c + 1)] = code


class _Silent:
    """xlrd writes warnings to a log file; the reader does not print."""

    def write(self, _text: str) -> None:
        pass
