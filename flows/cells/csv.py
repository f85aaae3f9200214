"""Delimited text (csv, tsv, Excel's 'Unicode text'): one sheet of string cells.

Every value stays a str exactly as written: csv has no types, the layouts parse
numbers and dates. Cell.row is the physical line where the record starts, so 'line 12'
is what an editor shows even after a quoted field that spans lines.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from flows.cells.errors import LimitExceeded, UnreadableFile
from flows.cells.grid import Grid, Sheet, Workbook
from flows.cells.values import count_values

DELIMITERS = (",", ";", "\t", "|")
SNIFF_CHARS = 64 * 1024
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def read_csv(path: str | Path, limits=None) -> Workbook:
    from flows.limits import load_limits

    path = Path(path)
    limits = limits if limits is not None else load_limits()
    try:
        size = path.stat().st_size
        if size > limits.csv_bytes:
            raise LimitExceeded(path, "csv_bytes", f"{size:,} bytes", limits.csv_bytes, "is a text file of", source=limits.source)
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(path, f"cannot be opened ({exc.strerror or exc})") from exc
    lines = data.count(b"\n") + 1
    if lines > limits.csv_lines:
        raise LimitExceeded(path, "csv_lines", f"{lines:,} lines", limits.csv_lines, "is a text file of", source=limits.source)
    text, _encoding = decode(path, data)
    grid = parse(path, text)
    if not count_values(grid.rows):
        raise UnreadableFile(path, "holds no values (only blank lines or whitespace)")
    return Workbook(path=str(path), file_type="csv", sheets=[Sheet(name=path.name, is_csv=True, grid=grid)])


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """(text, encoding): a byte-order mark decides; else UTF-8, then cp1252, then latin-1."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                label = "UTF-8" if encoding == "utf-8-sig" else "UTF-16"
                raise UnreadableFile(
                    path, f"starts with a {label} byte-order mark but is not {label} (bad byte "
                          f"at offset {exc.start + len(bom)}); it decodes in no known encoding") from exc
    if b"\x00" in data:
        raise UnreadableFile(
            path, "is binary, not a spreadsheet or delimited text in any known encoding")
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(path, "decodes in no known encoding")  # unreachable: latin-1 decodes all bytes


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits most records of the sample into the same number (>1) of fields.

    Title lines above a table have one field under any delimiter, so they do not vote;
    a ';' file with decimal commas splits more evenly on ';' than on ','.
    """
    sample = text[:SNIFF_CHARS]
    cut = max(sample.rfind("\n"), sample.rfind("\r"))
    if 0 < cut < len(text) - 1:
        sample = sample[: cut + 1]
    best, best_score = DELIMITERS[0], (0, 0)
    for delimiter in DELIMITERS:
        widths: dict[int, int] = {}
        try:
            for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                if len(record) > 1:
                    widths[len(record)] = widths.get(len(record), 0) + 1
        except csv.Error:
            continue
        if not widths:
            continue
        width, agreeing = max(widths.items(), key=lambda kv: (kv[1], kv[0]))
        score = (agreeing, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def parse(path: Path, text: str) -> Grid:
    first_line, skip = text.split("\n", 1)[0].split("\r", 1)[0], 0
    if first_line.lower().startswith("sep=") and len(first_line.rstrip()) == 5:
        delimiter, skip = first_line[4], 1  # Excel's hint line, 'sep=;'
    else:
        delimiter = sniff_delimiter(text)
    if text.endswith("\x1a"):  # DOS end-of-file mark
        text = text[:-1]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    # rows[i] is line i + 1: a record spanning lines (a quoted line break) stands at its
    # first line, and the lines it spans are empty rows
    rows: list[list[str]] = []
    start = 1
    try:
        for record in reader:
            rows.extend([] for _ in range(start - 1 - len(rows)))
            rows.append(record if start > skip else [])
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFile(
            path, f"is not well-formed {_NAMES[delimiter]}-separated text: {exc} in the record "
                  f"starting at line {start} (an unclosed quote swallows the rest of the file)",
        ) from exc
    return Grid(rows)
