"""Any reply file -> a Workbook of Sheets of Cells, whatever format it came in.

The format is decided by the file's bytes (a renamed .xls, a workbook called .csv), and
every failure is an UnreadableFile naming the file and the reason, never a library's
traceback.
"""
from __future__ import annotations

from pathlib import Path

from flows.cells.archive import check_archive
from flows.cells.errors import LimitExceeded, UnreadableFile
from flows.cells.grid import Cell, CellValue, MergedRange, Sheet, Workbook
from flows.cells.sniff import detect_format

DATA_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt"})

__all__ = [
    "DATA_SUFFIXES", "Cell", "CellValue", "LimitExceeded", "MergedRange", "Sheet", "UnreadableFile", "Workbook",
    "detect_format", "read_workbook",
]


def read_workbook(path: str | Path, limits=None) -> Workbook:
    """Every sheet of the file, hidden ones included, as cells with 1-based coordinates.

    `limits` (flows.limits.Limits; default schemas/limits.yaml) are checked before the
    work they protect: the file's size, then a zip archive's parts, then each sheet."""
    from flows.limits import load_limits

    path = Path(path)
    limits = limits if limits is not None else load_limits()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(path, f"cannot be opened ({exc.strerror or exc})") from exc
    if size > limits.file_bytes:
        raise LimitExceeded(path, "file_bytes", f"{size:,} bytes", limits.file_bytes, "is", source=limits.source)
    file_type = detect_format(path)
    if file_type in ("xlsx", "ods"):
        check_archive(path, limits)
    if file_type == "xlsx":
        from flows.cells.xlsx import read_xlsx as read
    elif file_type == "xls":
        from flows.cells.xls import read_xls as read
    elif file_type == "ods":
        from flows.cells.ods import read_ods as read
    else:
        from flows.cells.csv import read_csv as read
    return read(path, limits)
