"""Any reply file -> a Workbook of Sheets of Cells, whatever format it came in.

The format is decided by the file's bytes (a renamed .xls, a workbook called .csv), and
every failure is an UnreadableFile naming the file and the reason, never a library's
traceback.
"""
from __future__ import annotations

from pathlib import Path

from flows.cells.errors import UnreadableFile
from flows.cells.grid import Cell, CellValue, MergedRange, Sheet, Workbook
from flows.cells.sniff import detect_format

DATA_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt"})

__all__ = [
    "DATA_SUFFIXES", "Cell", "CellValue", "MergedRange", "Sheet", "UnreadableFile", "Workbook",
    "detect_format", "read_workbook",
]


def read_workbook(path: str | Path) -> Workbook:
    """Every sheet of the file, hidden ones included, as cells with 1-based coordinates."""
    file_type = detect_format(path)
    if file_type == "xlsx":
        from flows.cells.xlsx import read_xlsx as read
    elif file_type == "xls":
        from flows.cells.xls import read_xls as read
    elif file_type == "ods":
        from flows.cells.ods import read_ods as read
    else:
        from flows.cells.csv import read_csv as read
    return read(path)
