"""xlsx/xlsm: values through calamine; hidden rows, hidden columns and number formats
from the sheet XML.

Loading a big sheet into openpyxl costs tens of seconds, and parsing every element of
the XML is nearly as slow. The facts we need sit in a few tags (`<row hidden="1">`,
`<col hidden="1">`, cells with a styled `s="N"`), so each sheet part is streamed once
and only those tags are parsed: a byte search finds the attribute, the enclosing tag
is read from the '<' before it. '<' never appears unescaped in XML text, so the tag
found is always the real one; a hit inside text lands on a `<t>` tag and is ignored.
Entities are never expanded, so entity bombs do no harm; the small parts
(workbook, relationships, styles) go through defusedxml.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path

from defusedxml.ElementTree import fromstring

from flows.cells.errors import UnreadableFile
from flows.cells.grid import Workbook, column_number
from flows.cells.values import SheetFormat, Spans, check_sheet_size, open_book, read_sheet, worksheets

CHUNK = 8 << 20
_TAG_NAME = re.compile(rb"<(?:[\w.-]+:)?([\w.-]+)")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_OR_ROW = re.compile(rb"<(?:[\w.-]+:)?(?:row|c)[\s/>]")
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row[\s/>]")
_CELL_REF_ATTR = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")
_ERROR_TYPE = re.compile(rb"""\st\s*=\s*["']e["']""")
_CELL_END = re.compile(rb"</(?:[\w.-]+:)?c>")
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v>([^<]*)</")
_ROW_NUMBER = re.compile(rb"""<(?:[\w.-]+:)?row\s(?:[^>]*?\s)?r\s*=\s*["'](\d+)""")
_CELL_COLUMN = re.compile(rb"""<(?:[\w.-]+:)?c\s(?:[^>]*?\s)?r\s*=\s*["']([A-Za-z]{1,3})\d""")
# The same three without the namespace prefix, which almost no writer uses: a chunk with
# no prefixed row or cell tag is searched with these, about five times faster.
_PLAIN_ROW_NUMBER = re.compile(rb"""<row\s(?:[^>]*?\s)?r\s*=\s*["'](\d+)""")
_PLAIN_ROW_TAG = re.compile(rb"<row[\s/>]")
_PLAIN_CELL_COLUMN = re.compile(rb"""<c\s(?:[^>]*?\s)?r\s*=\s*["']([A-Za-z]{1,3})\d""")
_PREFIXED_TAG = re.compile(rb"<[\w.-]+:(?:row|c)[\s/>]")
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f[\s/>]")
_HAS_VALUE = re.compile(rb"<(?:[\w.-]+:)?(?:v[\s/>]|is>)")
# What a formula cell with no saved result shows the layouts: never a number, and like
# an Excel error it is reported where a figure should be. Formulas are never evaluated.
NO_SAVED_VALUE = "a formula with no saved value"
_TRUE = (b"1", b"true")
_OFFICE_DOCUMENT = "/officeDocument"


def read_xlsx(path: str | Path, limits=None) -> Workbook:
    from flows.limits import load_limits

    path = Path(path)
    limits = limits if limits is not None else load_limits()
    book = open_book(path, "xlsx")
    try:
        with zipfile.ZipFile(path) as z:
            parts = _sheet_parts(z)
            styles = _number_formats(z, parts.styles)
            sheets = []
            for name, hidden in worksheets(path, book, limits):
                fmt = SheetFormat(hidden=hidden or parts.hidden.get(name, False))
                part = parts.sheets.get(name)
                if part is not None and part in z.NameToInfo:
                    rows, cols, cells = _scan_sheet(z, part, styles, fmt)
                    # before calamine expands the sheet in memory
                    check_sheet_size(path, name, rows, cols, cells, limits)
                sheets.append(read_sheet(path, book, name, fmt, limits))
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # CRC or deflate failure
        raise UnreadableFile(path, f"is damaged: a part of its zip cannot be unpacked ({exc})") from exc
    except (OSError, ValueError, KeyError) as exc:
        # defusedxml's refusals and ElementTree's ParseError are ValueError/SyntaxError kin
        raise UnreadableFile(path, f"has a damaged workbook structure ({exc})") from exc
    except SyntaxError as exc:  # xml.etree.ElementTree.ParseError
        raise UnreadableFile(path, f"has malformed XML ({exc})") from exc
    return Workbook(path=str(path), file_type="xlsx", sheets=sheets)


class _Parts:
    def __init__(self) -> None:
        self.sheets: dict[str, str] = {}  # sheet name -> zip member of its XML
        self.hidden: dict[str, bool] = {}
        self.styles: str | None = None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(el, local_name: str) -> str | None:
    for key, value in el.attrib.items():
        if _local(key) == local_name:
            return value
    return None


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target member) for one part."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if rels_name not in z.NameToInfo:
        return {}
    out = {}
    for rel in fromstring(z.read(rels_name)):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), member)
    return out


def _sheet_parts(z: zipfile.ZipFile) -> _Parts:
    workbook = next((m for t, m in _rels(z, "").values() if t.endswith(_OFFICE_DOCUMENT)), "xl/workbook.xml")
    rels = _rels(z, workbook)
    parts = _Parts()
    parts.styles = next((m for t, m in rels.values() if t.endswith("/styles")), None)
    for el in fromstring(z.read(workbook)).iter():
        if _local(el.tag) != "sheet":
            continue
        name = el.get("name")
        rid = _attr(el, "id")
        if name is None or rid not in rels:
            continue
        parts.sheets[name] = rels[rid][1]
        parts.hidden[name] = el.get("state") in ("hidden", "veryHidden")
    return parts


def _number_formats(z: zipfile.ZipFile, styles_part: str | None) -> dict[int, str]:
    """Cell style index -> number format code, for the styles that are not 'General'."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    if styles_part is None or styles_part not in z.NameToInfo:
        return {}
    root = fromstring(z.read(styles_part))
    codes: dict[int, str] = dict(BUILTIN_FORMATS)
    xfs: list[int] = []
    for el in root:
        kind = _local(el.tag)
        if kind == "numFmts":
            for nf in el:
                if nf.get("numFmtId", "").isdigit():
                    codes[int(nf.get("numFmtId"))] = nf.get("formatCode", "")
        elif kind == "cellXfs":
            xfs = [int(xf.get("numFmtId", "0") or 0) for xf in el if _local(xf.tag) == "xf"]
    out = {}
    for index, fmt_id in enumerate(xfs):
        code = codes.get(fmt_id)
        if code and code != "General":
            out[index] = code
    return out


def _chunks(z: zipfile.ZipFile, part: str):
    """The part's bytes in pieces that end just before a tag, so no tag is split."""
    with z.open(part) as f:
        carry = b""
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                if carry:
                    yield carry
                return
            buf = carry + chunk
            cut = _cut(buf)
            if cut <= 0:
                carry = buf if cut == 0 else b""
                continue
            carry = buf[cut:]
            yield buf[:cut]


def _cut(buf: bytes) -> int:
    """Where to end a piece: before the last `<row` or `<c` tag, so whole cells stay
    together (an error cell's text follows its tag); else before the last '<'."""
    pos = len(buf)
    for _ in range(64):
        pos = buf.rfind(b"<", 0, pos)
        if pos <= 0:
            break
        if _CELL_OR_ROW.match(buf, pos):
            return pos
    return buf.rfind(b"<")


def _tag(buf: bytes, pos: int) -> tuple[bytes, dict[bytes, bytes], int] | None:
    """(local name, attributes, start) of the tag around byte `pos`."""
    start = buf.rfind(b"<", 0, pos)
    end = buf.find(b">", pos)
    if start < 0 or end < 0:
        return None
    m = _TAG_NAME.match(buf, start)
    if m is None:
        return None
    attrs = {k.rsplit(b":", 1)[-1]: a or b for k, a, b in _ATTR.findall(buf, m.end(), end)}
    return m.group(1), attrs, start


def _scan_sheet(z: zipfile.ZipFile, part: str, styles: dict[int, str], fmt: SheetFormat) -> tuple[int, int, int]:
    """Hidden rows and columns, number formats and error cells into `fmt`; returns the
    last row and column any tag names and the number of cell tags, which bound what
    calamine will hold in memory."""
    row_tags = cell_tags = last_row = 0
    columns: set[bytes] = set()
    hidden_rows: set[int] = set()
    hidden_cols: list[tuple[int, int]] = []
    formats: dict[tuple[int, int], str] = {}
    errors: dict[tuple[int, int], str] = {}
    rows_without_number = False
    for buf in _chunks(z, part):
        prefixed = _PREFIXED_TAG.search(buf) is not None
        numbers = (_ROW_NUMBER if prefixed else _PLAIN_ROW_NUMBER).findall(buf)
        row_tags += len((_ROW_TAG if prefixed else _PLAIN_ROW_TAG).findall(buf))
        last_row = max(last_row, max(map(int, numbers), default=0))
        columns.update((_CELL_COLUMN if prefixed else _PLAIN_CELL_COLUMN).findall(buf))
        cell_tags += len(_CELL_TAG.findall(buf)) if prefixed else buf.count(b"<c ") + buf.count(b"<c>")
        pos = buf.find(b"hidden")
        while pos >= 0:
            found = _tag(buf, pos)
            if found is not None:
                name, attrs, _ = found
                if attrs.get(b"hidden", b"").strip().lower() in _TRUE:
                    if name == b"row":
                        if attrs.get(b"r", b"").isdigit():
                            hidden_rows.add(int(attrs[b"r"]))
                        else:
                            rows_without_number = True
                    elif name == b"col" and attrs.get(b"min", b"").isdigit():
                        lo = int(attrs[b"min"])
                        hi = int(attrs[b"max"]) if attrs.get(b"max", b"").isdigit() else lo
                        hidden_cols.append((lo, hi))
            pos = buf.find(b"hidden", pos + 6)
        if styles:
            _styled_cells(buf, styles, formats)
        if b'"e"' in buf or b"'e'" in buf:  # an error cell's type is one of these: skip the search without
            _error_cells(buf, errors)
        if b"<f" in buf:
            _formulas_without_value(buf, errors)
    if rows_without_number:
        hidden_rows = _hidden_rows_by_order(z, part)
    fmt.hidden_rows = hidden_rows
    fmt.hidden_cols = Spans(hidden_cols)
    fmt.number_formats = formats
    fmt.errors = errors
    last_col = max((column_number(c.decode("ascii")) for c in columns), default=0)
    return max(row_tags, last_row), last_col, cell_tags


def _styled_cells(buf: bytes, styles: dict[int, str], formats: dict[tuple[int, int], str]) -> None:
    """Cells whose style has a number format other than General.

    The pattern names only those style numbers, so the regex engine skips the rest.
    """
    pattern = _styled_pattern(tuple(sorted(styles)))
    for m in pattern.finditer(buf):
        start = buf.rfind(b"<", 0, m.start())
        name = _TAG_NAME.match(buf, start)
        if name is None or name.group(1) != b"c":
            continue  # a row's default style, or text that looks like an attribute
        end = buf.find(b">", m.end())
        ref = _CELL_REF_ATTR.search(buf, name.end(), end)
        if ref is None:
            continue  # a cell without its reference: the format is optional, skip it
        formats[(int(ref.group(2)), column_number(ref.group(1).decode("ascii")))] = styles[int(m.group(1))]


def _error_cells(buf: bytes, errors: dict[tuple[int, int], str]) -> None:
    """Cells of type 'e' with their cached error text, e.g. '#DIV/0!'."""
    for m in _ERROR_TYPE.finditer(buf):
        start = buf.rfind(b"<", 0, m.start())
        name = _TAG_NAME.match(buf, start)
        if name is None or name.group(1) != b"c":
            continue
        end = buf.find(b">", m.end())
        ref = _CELL_REF_ATTR.search(buf, name.end(), end)
        if ref is None or buf[end - 1:end] == b"/":
            continue
        close = _CELL_END.search(buf, end)
        value = _VALUE.search(buf, end, close.start() if close else len(buf))
        text = value.group(1).decode("utf-8", "replace").strip() if value else ""
        errors[(int(ref.group(2)), column_number(ref.group(1).decode("ascii")))] = text or "#ERROR"


def _formulas_without_value(buf: bytes, errors: dict[tuple[int, int], str]) -> None:
    """Cells holding a formula but no cached result (a workbook written by a program
    that never calculated it): calamine reads them as empty, which would make a count
    silently missing. Recorded beside the error cells so the layouts report them."""
    for m in _FORMULA.finditer(buf):
        start = buf.rfind(b"<", 0, m.start())
        while start >= 0 and _TAG_NAME.match(buf, start) and _TAG_NAME.match(buf, start).group(1) not in (b"c", b"row"):
            start = buf.rfind(b"<", 0, start)
        name = _TAG_NAME.match(buf, start) if start >= 0 else None
        if name is None or name.group(1) != b"c":
            continue
        end = buf.find(b">", name.end())
        ref = _CELL_REF_ATTR.search(buf, name.end(), end)
        close = _CELL_END.search(buf, end)
        if ref is None or close is None:
            continue
        if _HAS_VALUE.search(buf, end, close.start()) is None:
            key = (int(ref.group(2)), column_number(ref.group(1).decode("ascii")))
            errors.setdefault(key, NO_SAVED_VALUE)


@lru_cache(maxsize=8)
def _styled_pattern(indices: tuple[int, ...]) -> re.Pattern[bytes]:
    numbers = b"|".join(str(i).encode() for i in indices)
    return re.compile(rb"""\ss\s*=\s*["'](""" + numbers + rb""")["']""")


def _hidden_rows_by_order(z: zipfile.ZipFile, part: str) -> set[int]:
    """Hidden rows when some `<row>` tags omit r: number them as Excel does, in order."""
    hidden: set[int] = set()
    current = 0
    for buf in _chunks(z, part):
        for m in _ROW_TAG.finditer(buf):
            found = _tag(buf, m.start() + 1)
            if found is None:
                continue
            attrs = found[1]
            current = int(attrs[b"r"]) if attrs.get(b"r", b"").isdigit() else current + 1
            if attrs.get(b"hidden", b"").strip().lower() in _TRUE:
                hidden.add(current)
    return hidden

