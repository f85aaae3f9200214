"""Careless and hostile reply files (issue 10), written by the tests as real bytes, each
with the outcome a correct reader gives it.

Every `Hostile` writes one reply into a force folder (`write(folder) -> path`) and says
what `flows.reading.read_reply` must make of it: a status (flows/reading.py) and a
reason (ReplyReading.reason): None when it loads; an exact code ('unreadable', 'path',
'limit:sheet_cells'); a prefix ending in ':' ('limit:'); or alternatives joined by '|'.
The files that load carry their known offences by financial year, so a round test can
find their figures in the warehouse, and every other file's figures must be absent.

Nothing here reads the files; the zip archives are written by hand where a library
would refuse to write something so wrong (a directory that lies, a deflate stream
that inflates a thousandfold).
"""
from __future__ import annotations

import csv
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape

LOADED, QUARANTINED, NOT_MACHINE_READABLE = "loaded", "quarantined", "not_machine_readable"
UNREADABLE, PATH, LAYOUT = "unreadable", "path", "layout"

# Limits a round with every hostile file runs under (the rest are schemas/limits.yaml's):
# low enough that a sheet beyond them is cheap to write, high enough for the genuine
# 320,000-row list (320,001 rows x 4 columns = 1,280,004 cells).
ROUND_LIMITS = {"sheet_rows": 400_000, "sheet_cells": 2_000_000}


@dataclass(frozen=True)
class Hostile:
    name: str
    force_folder: str  # a folder name that matches one force (schemas/forces.csv)
    write: Callable[[Path], Path]  # writes the reply into the folder, returns its path
    status: str
    reason: str | None  # None: loaded; 'a|b' alternatives; 'limit:' a prefix
    totals: dict[str, int] = field(default_factory=dict)  # year -> known offences, when loaded
    limits: dict = field(default_factory=dict)  # limits (beyond ROUND_LIMITS) it is meant for
    # False: reading it in the test process itself could take the process down if the
    # reader is wrong (tests read it in a child process instead)
    in_process_safe: bool = True
    slow: bool = False  # takes seconds to write or read

    def reason_ok(self, reason: str | None) -> bool:
        return reason_matches(self.reason, reason)


def reason_matches(expected: str | None, found: str | None) -> bool:
    if expected is None:
        return found is None
    if found is None:
        return False
    for option in expected.split("|"):
        if option.endswith(":") and found.startswith(option) or found == option:
            return True
    return False


# --- zip archives, by hand ---------------------------------------------------------------

@dataclass(frozen=True)
class Deflated:
    """A member given as its raw deflate stream, with what the directory declares."""

    stream: bytes
    crc: int
    size: int  # what it really inflates to
    declared_size: int | None = None  # what the directory says (None: the truth)
    declared_crc: int | None = None


def write_zip(path: Path, members: list[tuple[str, bytes | Deflated]]) -> Path:
    """A zip archive (no zip64: every member under 4 GiB) of deflated members."""
    out = bytearray()
    central = bytearray()
    for name, payload in members:
        if isinstance(payload, Deflated):
            stream, crc, size = payload.stream, payload.crc, payload.size
            if payload.declared_size is not None:
                size = payload.declared_size
            if payload.declared_crc is not None:
                crc = payload.declared_crc
        else:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            stream = c.compress(payload) + c.flush()
            crc, size = zlib.crc32(payload), len(payload)
        raw_name = name.encode("utf-8")
        flags = 0x800  # names in UTF-8
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, 0, 0x21, crc, len(stream), size,
                           len(raw_name), 0)
        out += raw_name + stream
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 8, 0, 0x21, crc, len(stream),
                               size, len(raw_name), 0, 0, 0, 0, 0, offset)
        central += raw_name
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_offset, 0)
    path.write_bytes(bytes(out))
    return path


def _gf2_times(mat: list[int], vec: int) -> int:
    total, i = 0, 0
    while vec:
        if vec & 1:
            total ^= mat[i]
        vec >>= 1
        i += 1
    return total


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """zlib's crc32_combine: the CRC-32 of A+B from those of A and B and B's length."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def bomb_member(head: bytes, repeats: int, tail: bytes, block: bytes = b" " * (1 << 20)) -> Deflated:
    """head + block * repeats + tail as one deflate stream, written in milliseconds: after
    a full flush the compressor starts afresh, so every block compresses to the same bytes
    and the stream is that piece `repeats` times. The CRC of the repeats by doubling."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    piece = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    last = c.compress(tail) + c.flush(zlib.Z_FINISH)
    crc, n, unit_crc, unit_len = zlib.crc32(head), repeats, zlib.crc32(block), len(block)
    while n:  # binary expansion of repeats, appending units of 2^k blocks
        if n & 1:
            crc = crc32_combine(crc, unit_crc, unit_len)
        n >>= 1
        if n:
            unit_crc, unit_len = crc32_combine(unit_crc, unit_crc, unit_len), unit_len * 2
    # The units were appended smallest first; every unit is the same bytes (spaces), so
    # the order does not change the data.
    crc = crc32_combine(crc, zlib.crc32(tail), len(tail))
    return Deflated(first + piece * repeats + last, crc, len(head) + repeats * len(block) + len(tail))


# --- xlsx, by hand -----------------------------------------------------------------------

class Xml(str):
    """A cell given as the XML inside <c r="..">, e.g. '<f>SUM(B2:B3)</f><v>7</v>';
    a leading 't="e"' style attribute string goes in `attrs`."""

    attrs = ""

    def __new__(cls, inner: str, attrs: str = ""):
        obj = super().__new__(cls, inner)
        obj.attrs = attrs
        return obj


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_xml(row: int, col: int, value) -> str:
    ref = f"{col_letters(col)}{row}"
    if isinstance(value, Xml):
        return f'<c r="{ref}"{value.attrs}>{value}</c>'
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def sheet_xml(rows: list[list], *, doctype: str = "", first_row: int = 1) -> bytes:
    body = []
    for i, row in enumerate(rows, first_row):
        cells = "".join(cell_xml(i, j, v) for j, v in enumerate(row, 1))
        body.append(f'<row r="{i}">{cells}</row>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
            f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheetData>{"".join(body)}</sheetData>'
            f"</worksheet>").encode("utf-8")


def xlsx_members(sheets: list[tuple[str, bytes]], *, macro: bool = False) -> list[tuple[str, bytes]]:
    """The parts of a minimal xlsx (or xlsm) around sheets given as their XML."""
    main = ("application/vnd.ms-excel.sheet.macroEnabled.main+xml" if macro
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1))
    vba = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>' if macro else ""
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             f'<Default Extension="xml" ContentType="application/xml"/>{vba}'
             f'<Override PartName="/xl/workbook.xml" ContentType="{main}"/>{overrides}</Types>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    entries = "".join(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, (name, _) in enumerate(sheets, 1))
    workbook = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{NS_MAIN}" '
                f'xmlns:r="{NS_REL}"><sheets>{entries}</sheets></workbook>')
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
    if macro:
        rels += ('<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
                 'vbaProject" Target="vbaProject.bin"/>')
    wb_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
               f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
    members = [("[Content_Types].xml", types.encode()), ("_rels/.rels", root_rels.encode()),
               ("xl/workbook.xml", workbook.encode()), ("xl/_rels/workbook.xml.rels", wb_rels.encode())]
    members += [(f"xl/worksheets/sheet{i}.xml", xml) for i, (_, xml) in enumerate(sheets, 1)]
    return members


def write_xlsx(path: Path, sheets: list[tuple[str, list[list]]], **kw) -> Path:
    return write_zip(path, xlsx_members([(name, sheet_xml(rows)) for name, rows in sheets], **kw))


# --- the figures the loading replies hold ------------------------------------------------

YEARS = ("2015/16", "2016/17")


def crosstab(figures: dict[str, tuple[int, int]], title: str = "Online child sexual offences") -> list[list]:
    """An offence x year table under a title: the layout forces send most."""
    return [[title], [], ["Offence", *YEARS], *[[offence, *values] for offence, values in figures.items()]]


def totals_of(figures: dict[str, tuple[int, int]]) -> dict[str, int]:
    return {y: sum(v[i] for v in figures.values()) for i, y in enumerate(YEARS)}


def _figures(a: int, b: int, c: int, d: int) -> dict[str, tuple[int, int]]:
    return {"Sexual grooming": (a, b), "Indecent images of children": (c, d)}


def _valid_xlsx(folder: Path, name="reply.xlsx", figures=None) -> Path:
    return write_xlsx(folder / name, [("Data", crosstab(figures or _figures(11, 12, 13, 14)))])


# --- the hostile and careless replies ----------------------------------------------------

ONE_GIB = 1 << 30


def zip_bomb(folder: Path) -> Path:
    """A workbook whose sheet, 3 MB on disk, inflates to 3 GiB of spaces inside one cell's
    text (so a reader that inflates it holds it all). The directory tells the truth."""
    head = sheet_xml([["Offence", *YEARS], ["Sexual grooming", 1, 2]]).replace(
        b"</sheetData>", b'<row r="3"><c r="A3" t="inlineStr"><is><t>')
    tail = b"</t></is></c></row></sheetData></worksheet>"
    members = xlsx_members([("Data", b"")])
    members[-1] = (members[-1][0], bomb_member(head, 3 * 1024, tail))
    return write_zip(folder / "reply.xlsx", members)


def _lying_bomb(folder: Path, name: str, crc_of_prefix: bool) -> Path:
    """A 1 GiB sheet whose directory says it unpacks to 4 KB: with the CRC of the whole
    (a reader that stops at the declared size finds a CRC error) or, craftier, with the
    CRC of the first 4 KB, so a reader that trusts the declared size sees nothing wrong
    and the library after it inflates the lot."""
    head = sheet_xml([["Offence", *YEARS], ["Sexual grooming", 1, 2]]).replace(
        b"</sheetData>", b'<row r="3"><c r="A3" t="inlineStr"><is><t>')
    tail = b"</t></is></c></row></sheetData></worksheet>"
    real = bomb_member(head, 1024, tail)
    declared = 4096
    prefix = (head + b" " * declared)[:declared]
    members = xlsx_members([("Data", b"")])
    members[-1] = (members[-1][0], Deflated(real.stream, real.crc, real.size, declared_size=declared,
                                           declared_crc=zlib.crc32(prefix) if crc_of_prefix else None))
    return write_zip(folder / name, members)


def many_members(folder: Path) -> Path:
    members = xlsx_members([("Data", sheet_xml(crosstab(_figures(1, 2, 3, 4))))])
    members += [(f"xl/media/image{i}.png", b"\x89PNG") for i in range(10_000)]
    return write_zip(folder / "reply.xlsx", members)


def ods_billion(folder: Path) -> Path:
    """One float cell repeated across 10,000 columns of a row repeated 100,000 times
    a 3 KB file that is a billion cells to a library that expands repeats."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Data")
    header = TableRow()
    for text in ("Offence", *YEARS):
        tc = TableCell(valuetype="string")
        tc.addElement(P(text=text))
        header.addElement(tc)
    table.addElement(header)
    row = TableRow(numberrowsrepeated=100_000)
    cell = TableCell(valuetype="float", value=1, numbercolumnsrepeated=10_000)
    cell.addElement(P(text="1"))
    row.addElement(cell)
    table.addElement(row)
    doc.spreadsheet.addElement(table)
    path = folder / "reply.ods"
    doc.save(str(path))
    return path


def _rows_sheet(n_rows: int) -> bytes:
    """A crosstab on top of n_rows one-cell rows (numbers): cheap to write, long to read."""
    top = sheet_xml(crosstab(_figures(5, 6, 7, 8)))
    start = len(crosstab(_figures(5, 6, 7, 8))) + 2
    filler = "".join(f'<row r="{r}"><c r="E{r}"><v>{r % 10}</v></c></row>' for r in range(start, start + n_rows))
    return top.replace(b"</sheetData>", filler.encode() + b"</sheetData>")


def too_many_rows(folder: Path) -> Path:
    """More rows than ROUND_LIMITS['sheet_rows']."""
    members = xlsx_members([("Data", _rows_sheet(ROUND_LIMITS["sheet_rows"] + 10))])
    return write_zip(folder / "reply.xlsx", members)


def too_many_cells(folder: Path) -> Path:
    """More cells than ROUND_LIMITS['sheet_cells'] in 100,000 rows x 21 columns (under
    sheet_rows), values varied so the part packs like genuine XML (under compression_ratio)."""
    rows = []
    n_rows, n_cols = 100_000, ROUND_LIMITS["sheet_cells"] // 100_000 + 1
    for r in range(1, n_rows + 1):
        rows.append(f'<row r="{r}">' + "".join(f"<c><v>{(r * 31 + c * 7) % 9973}</v></c>"
                                               for c in range(n_cols)) + "</row>")
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS_MAIN}"><sheetData>'
           + "".join(rows) + "</sheetData></worksheet>").encode()
    return write_zip(folder / "reply.xlsx", xlsx_members([("Data", xml)]))


def forged_corners(folder: Path) -> Path:
    """Two cells, A1 and XFD1048576: within Excel's limits, yet a reader that makes the
    sheet a dense grid allocates 17 billion cells."""
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS_MAIN}"><dimension ref="A1:XFD1048576"/>'
           '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Offence</t></is></c></row>'
           '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>').encode()
    return write_zip(folder / "reply.xlsx", xlsx_members([("Data", xml)]))


def forged_rows(folder: Path) -> Path:
    """A cell at row 2,000,000, beyond Excel's 1,048,576: a forged sheet."""
    xml = sheet_xml(crosstab(_figures(3, 4, 5, 6))).replace(
        b"</sheetData>", b'<row r="2000000"><c r="A2000000"><v>1</v></c></row></sheetData>')
    return write_zip(folder / "reply.xlsx", xlsx_members([("Data", xml)]))


def many_sheets(folder: Path, n: int = 1_200) -> Path:
    sheets = [(f"S{i}", sheet_xml([["x"]])) for i in range(n)]
    return write_zip(folder / "reply.xlsx", xlsx_members(sheets))


# Records of a genuine large list: reference, date, offence, age.
_RECORD_OFFENCES = ("Sexual grooming", "88A", "86 Indecent images of children")


def records_rows(n: int) -> tuple[list[list], dict[str, int]]:
    start = date(2015, 4, 1)
    rows: list[list] = [["Crime Reference", "Date Recorded", "Offence", "Victim Age"]]
    totals: dict[str, int] = {}
    for k in range(n):
        d = start + timedelta(days=k % 731)  # 2015-04-01 .. 2017-03-31
        fy = f"{d.year}/{str(d.year + 1)[2:]}" if d.month >= 4 else f"{d.year - 1}/{str(d.year)[2:]}"
        totals[fy] = totals.get(fy, 0) + 1
        rows.append([f"XY/{k + 1:07d}/17", d.strftime("%d/%m/%Y"), _RECORD_OFFENCES[k % 3],
                     None if k % 7 == 0 else 11 + k % 6])
    return rows, totals


BIG_LIST_ROWS = 320_000


def _big_totals(n: int) -> dict[str, int]:
    days = 731
    full, rest = divmod(n, days)
    # 2015-04-01 .. 2016-03-31 is 366 days (2016 is a leap year), then 365 days.
    first = full * 366 + min(rest, 366)
    return {"2015/16": first, "2016/17": n - first}


def big_list(folder: Path, n: int = BIG_LIST_ROWS) -> Path:
    """A genuine record-level list of n offences, one row each, as an xlsx written the way
    a records system exports it (inline strings, text dates)."""
    rows, _ = records_rows(n)
    path = folder / "Crime records 2015-2017.xlsx"
    return write_xlsx(path, [("Records", rows)])


def ole_file(stream_names: list[str]) -> bytes:
    """A minimal OLE2 compound file (the container of .xls and of encrypted xlsx) whose
    streams are all empty (as tests/test_cells.py writes one)."""
    end, fat_sector = 0xFFFFFFFE, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 40, 0, 1, 1, 0, 4096, end, 0, end)
    header[76:512] = b"\xff" * 436
    struct.pack_into("<I", header, 76, 0)
    fat = struct.pack("<II", fat_sector, end) + b"\xff" * 504

    def entry(name: str, kind: int, right: int = -1, child: int = -1) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        e = bytearray(128)
        e[0:len(raw)] = raw
        struct.pack_into("<HBBiii", e, 64, len(raw), kind, 1, -1, right, child)
        struct.pack_into("<II", e, 116, end, 0)
        return bytes(e)

    entries = [entry("Root Entry", 5, child=1)]
    for i, name in enumerate(stream_names, 1):
        entries.append(entry(name, 2, right=i + 1 if i < len(stream_names) else -1))
    directory = b"".join(entries)
    return bytes(header) + fat + directory + b"\x00" * (-len(directory) % 512)


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path
    return write


def encrypted(folder: Path) -> Path:
    return _bytes("reply.xlsx", ole_file(["EncryptionInfo", "EncryptedPackage"]))(folder)


def truncated(folder: Path) -> Path:
    path = _valid_xlsx(folder)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
HTML = (b"<html><head><meta http-equiv=Content-Type content=\"text/html\"></head><body><table>"
        b"<tr><td>Offence</td><td>2015/16</td><td>2016/17</td></tr>"
        b"<tr><td>Sexual grooming</td><td>9</td><td>10</td></tr></table></body></html>")


def garbage(folder: Path) -> Path:
    import random

    rng = random.Random(10)
    return _bytes("reply.csv", bytes(rng.randrange(256) for _ in range(20_000)))(folder)


def xlsb(name: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/content-types"><Override PartName="/xl/workbook.bin" ContentType="application/'
                 'vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>')
        return write_zip(folder / name, [("[Content_Types].xml", types.encode()),
                                         ("xl/workbook.bin", b"\x83\x01\x00\x84\x01\x00"),
                                         ("xl/worksheets/sheet1.bin", b"\x81\x01\x00\x82\x01\x00")])
    return write


def docx(folder: Path) -> Path:
    xml = ('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           "<w:p><w:r><w:t>Please find our response: 12 offences in 2016/17.</w:t></w:r></w:p>"
           "</w:body></w:document>")
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
             '2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
             'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    return write_zip(folder / "reply.xlsx", [("[Content_Types].xml", types.encode()),
                                             ("word/document.xml", xml.encode())])


XLSM_FIGURES = _figures(21, 23, 25, 27)


def xlsm(folder: Path) -> Path:
    """A macro-enabled workbook with a VBA project (an Auto_Open that would run a shell):
    macros are never run; its figures load."""
    members = xlsx_members([("Data", sheet_xml(crosstab(XLSM_FIGURES)))], macro=True)
    vba = ole_file(["VBA", "PROJECT", "PROJECTwm"]) + b'Sub Auto_Open()\r\nShell "calc.exe"\r\nEnd Sub\r\n'
    members.append(("xl/vbaProject.bin", vba))
    return write_zip(folder / "reply.xlsm", members)


UTF16_FIGURES = _figures(31, 33, 35, 37)


def _long_csv_rows(figures: dict[str, tuple[int, int]]) -> list[list]:
    return [["financial_year", "offence", "offences"]] + [
        [y, offence, values[i]] for offence, values in figures.items() for i, y in enumerate(YEARS)]


def utf16_csv(folder: Path) -> Path:
    """Excel's 'Unicode text': UTF-16 with a byte-order mark, tab-separated."""
    path = folder / "reply.csv"
    with open(path, "w", newline="", encoding="utf-16") as fh:
        csv.writer(fh, delimiter="\t", lineterminator="\r\n").writerows(_long_csv_rows(UTF16_FIGURES))
    return path


EMPTY_SHEETS_FIGURES = _figures(41, 43, 45, 47)


def empty_sheets(folder: Path) -> Path:
    """500 empty sheets, then the one with the figures."""
    sheets = [(f"Sheet{i}", sheet_xml([])) for i in range(1, 501)]
    sheets.append(("Data", sheet_xml(crosstab(EMPTY_SHEETS_FIGURES))))
    return write_zip(folder / "reply.xlsx", xlsx_members(sheets))


LONG_NAME_FIGURES = _figures(51, 53, 55, 57)
# 100 characters of Welsh, accents and emoji (with '.csv'): 130-odd bytes of UTF-8, under
# the filesystem's 255-byte limit for a name.
LONG_NAME = ("Ymateb RhG – troseddau rhyw ar-lein yn erbyn plant ŵŷâêîôû, réponse données été "
             "🚓👮📊✅ Gŵyl Dewi Sant")[:96] + ".csv"


def long_name(folder: Path) -> Path:
    path = folder / LONG_NAME
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(_long_csv_rows(LONG_NAME_FIGURES))
    return path


def csv_lines(folder: Path, lines: int = 2_000_100) -> Path:
    """More lines than schemas/limits.yaml's csv_lines (2,000,000), each one short."""
    path = folder / "reply.csv"
    head = "financial_year,offence,offences\n2016/17,Sexual grooming,3\n"
    path.write_bytes(head.encode() + b",,\n" * lines)
    return path


FORMULA_FIGURES = _figures(61, 63, 65, 67)


def formulas_cached(folder: Path) -> Path:
    """Counts and a total that are formulas with their cached values, as Excel saves them."""
    (a, b), (c, d) = FORMULA_FIGURES.values()
    rows = [["Online child sexual offences"], [], ["Offence", *YEARS],
            ["Sexual grooming", Xml(f"<f>{a - 1}+1</f><v>{a}</v>"), Xml(f"<f>{b - 1}+1</f><v>{b}</v>")],
            ["Indecent images of children", c, d],
            ["Total", Xml(f"<f>SUM(B4:B5)</f><v>{a + c}</v>"), Xml(f"<f>SUM(C4:C5)</f><v>{b + d}</v>")]]
    return write_xlsx(folder / "reply.xlsx", [("Data", rows)])


def formula_no_value(folder: Path) -> Path:
    """A count that is a formula never calculated (no cached value): it is no number."""
    rows = [["Online child sexual offences"], [], ["Offence", *YEARS],
            ["Sexual grooming", 71, Xml("<f>SUM(X1:X9)</f>")],
            ["Indecent images of children", 73, 75]]
    return write_xlsx(folder / "reply.xlsx", [("Data", rows)])


def ref_error(folder: Path) -> Path:
    rows = [["Online child sexual offences"], [], ["Offence", *YEARS],
            ["Sexual grooming", 81, Xml("<f>#REF!+1</f><v>#REF!</v>", ' t="e"')],
            ["Indecent images of children", 83, 85]]
    return write_xlsx(folder / "reply.xlsx", [("Data", rows)])


_LAUGHS = ('<!DOCTYPE worksheet [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                     for i in range(1, 10))
           + "]>")


def billion_laughs(folder: Path) -> Path:
    rows = [["Offence", *YEARS], ["Sexual grooming", 91, Xml("<is><t>&lol9;</t></is>", ' t="inlineStr"')],
            ["Indecent images of children", 93, 95]]
    xml = sheet_xml(rows, doctype=_LAUGHS)
    return write_zip(folder / "reply.xlsx", xlsx_members([("Data", xml)]))


def external_entity(folder: Path) -> Path:
    doctype = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rows = [["Offence", *YEARS], ["Sexual grooming", 101, Xml("<is><t>&xxe;</t></is>", ' t="inlineStr"')],
            ["Indecent images of children", 103, 105]]
    xml = sheet_xml(rows, doctype=doctype)
    return write_zip(folder / "reply.xlsx", xlsx_members([("Data", xml)]))


def external_entity_workbook(folder: Path) -> Path:
    """The entity in the workbook part (read with an XML parser, not streamed)."""
    members = xlsx_members([("Data", sheet_xml(crosstab(_figures(1, 1, 1, 1))))])
    name, wb = members[2]
    wb = wb.replace(b"?>", b'?><!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', 1)
    wb = wb.replace(b'name="Data"', b'name="&xxe;"')
    members[2] = (name, wb)
    return write_zip(folder / "reply.xlsx", members)


def symlink_to(target: str, name: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        os.symlink(target, path)
        return path
    return write


OUTSIDE_FIGURES = _figures(111, 113, 115, 117)


def symlink_outside(folder: Path) -> Path:
    """A link to a genuine reply kept outside the raw folder (beside the round's folder
    tree's root): it must not be followed even though it points at a good file."""
    outside = folder.parent.parent.parent / "outside-raw"
    outside.mkdir(exist_ok=True)
    target = write_xlsx(outside / f"good-{folder.name}.xlsx", [("Data", crosstab(OUTSIDE_FIGURES))])
    path = folder / "reply.xlsx"
    os.symlink(target, path)
    return path


def fifo(folder: Path) -> Path:
    path = folder / "reply.csv"
    os.mkfifo(path)
    return path


def hostile_files(big_list_rows: int = BIG_LIST_ROWS) -> list[Hostile]:
    """Every kind, each in a force folder of its own but two quarantined ones that share
    TVP (tests/test_hostile_round.py keeps the simulator's clean replies of the eight
    forces none of these uses, and links Gwent's folder). The genuine record list has
    `big_list_rows` rows."""
    u, q = UNREADABLE, QUARANTINED
    return [
        Hostile("zip bomb: 3 MB xlsx inflating to 3 GiB", "TVP", zip_bomb, q,
                "limit:archive_member_bytes|limit:compression_ratio|limit:archive_total_bytes"),
        Hostile("zip bomb whose directory declares 4 KB (CRC of the whole)", "Gloucestershire Constabulary",
                lambda f: _lying_bomb(f, "reply.xlsx", crc_of_prefix=False), q,
                "limit:archive_member_bytes|limit:compression_ratio", slow=True),
        Hostile("zip bomb whose directory declares 4 KB (CRC of those 4 KB)", "Wiltshire Police",
                lambda f: _lying_bomb(f, "reply.xlsx", crc_of_prefix=True), q,
                "limit:archive_member_bytes|limit:compression_ratio", slow=True),
        Hostile("xlsx of 10,000 zip members", "Greater Manchester", many_members, q, "limit:archive_members"),
        Hostile("ods: one cell repeated across a billion cells", "Dorset", ods_billion, q,
                "limit:sheet_cells|limit:sheet_extent_cells"),
        Hostile("xlsx sheet of more rows than sheet_rows", "Northumbria", too_many_rows, q, "limit:sheet_rows",
                limits={"sheet_rows": ROUND_LIMITS["sheet_rows"]}, slow=True),
        Hostile("xlsx sheet of more cells than sheet_cells", "North Wales", too_many_cells, q, "limit:sheet_cells",
                limits={"sheet_cells": ROUND_LIMITS["sheet_cells"]}, slow=True),
        Hostile("xlsx sheet with a row beyond Excel's 1,048,576", "North Yorkshire", forged_rows, q,
                "limit:sheet_rows"),
        Hostile("xlsx of two cells at A1 and XFD1048576", "South Wales Police", forged_corners, q,
                "limit:sheet_extent_cells|limit:sheet_rows"),
        # 43 forces, 8 clean, one linked folder: this one shares the zip bomb's folder
        Hostile("ods of two cells 1,000,000 rows and 16,000 columns apart", "TVP", ods_far_cell, q,
                "limit:sheet_cells|limit:sheet_rows|limit:sheet_columns|limit:sheet_extent_cells|unreadable"),
        Hostile("xlsx of 1,200 sheets", "South Yorkshire", many_sheets, q, "limit:sheets"),
        Hostile(f"genuine record-level list of {big_list_rows:,} offences", "Dyfed-Powys",
                lambda f: big_list(f, big_list_rows), LOADED, None, totals=_big_totals(big_list_rows), slow=True),
        Hostile("symlink to /etc/passwd named reply.xlsx", "Cleveland", symlink_to("/etc/passwd", "reply.xlsx"),
                q, PATH),
        Hostile("symlink to a genuine reply outside the raw folder", "West Midlands", symlink_outside, q, PATH),
        Hostile("FIFO named reply.csv", "Staffordshire", fifo, q, PATH),
        Hostile("billion laughs in a sheet's XML", "West Mercia", billion_laughs, q, u),
        Hostile("external entity (file:///etc/passwd) in a sheet's XML", "Warwickshire", external_entity, q, u),
        Hostile("external entity in the workbook part", "Derbyshire", external_entity_workbook, q, u),
        Hostile("password-protected xlsx (OLE2 EncryptionInfo + EncryptedPackage)", "Nottinghamshire",
                encrypted, q, u),
        Hostile("truncated xlsx", "Lincolnshire", truncated, q, u),
        Hostile("empty file", "Leicestershire", _bytes("reply.xlsx", b""), q, u),
        Hostile("PDF saved as .xlsx", "Northamptonshire", _bytes("reply.xlsx", PDF), q, u),
        Hostile("HTML saved as .xls", "Cambridgeshire", _bytes("reply.xls", HTML), q, u),
        Hostile("binary garbage as .csv", "Norfolk", garbage, q, u),
        Hostile(".xlsb (binary workbook)", "Suffolk", xlsb("reply.xlsb"), NOT_MACHINE_READABLE, None),
        Hostile(".xlsb renamed .xlsx", "Bedfordshire", xlsb("reply.xlsx"), q, u),
        Hostile("docx renamed .xlsx", "Hertfordshire", docx, q, u),
        Hostile("xlsm with a vbaProject.bin", "Essex", xlsm, LOADED, None, totals=totals_of(XLSM_FIGURES)),
        Hostile("UTF-16 tab-separated csv", "Hampshire", utf16_csv, LOADED, None, totals=totals_of(UTF16_FIGURES)),
        Hostile("500 empty sheets and one data sheet", "Surrey", empty_sheets, LOADED, None,
                totals=totals_of(EMPTY_SHEETS_FIGURES)),
        Hostile("a 100-character Welsh/accented/emoji file name", "Kent", long_name, LOADED, None,
                totals=totals_of(LONG_NAME_FIGURES)),
        Hostile("csv of more lines than csv_lines", "Sussex", csv_lines, q, "limit:csv_lines", slow=True),
        Hostile("formulas with cached values", "City of London", formulas_cached, LOADED, None,
                totals=totals_of(FORMULA_FIGURES)),
        Hostile("a count that is a formula with no cached value", "Devon and Cornwall", formula_no_value, q,
                "layout|unreadable"),
        Hostile("#REF! where a count should be", "Avon and Somerset", ref_error, q, "layout"),
    ]


# Force folders a symlink can stand for in a round test (a whole force folder linked).
SYMLINKED_FOLDER = "Gwent"


def symlinked_folder(round_dir: Path, outside: Path) -> Path:
    """round_dir/Gwent -> a folder outside the raw folder holding a genuine reply."""
    outside.mkdir(parents=True, exist_ok=True)
    write_xlsx(outside / "reply.xlsx", [("Data", crosstab(OUTSIDE_FIGURES))])
    link = round_dir / SYMLINKED_FOLDER
    os.symlink(outside, link, target_is_directory=True)
    return link


def ods_far_cell(folder: Path) -> Path:
    """Two cells with values, A1 and one 1,000,000 rows and 16,000 columns away across
    repeated empty cells: two cells to count, a 16-billion-cell grid to a reader that
    makes it dense."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Data">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Offence</text:p>'
        '</table:table-cell></table:table-row>'
        '<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="15999"/>'
        '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
        '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/'
                'vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>')
    path = folder / "reply.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


# --- processes, for the tests that measure them ---------------------------------------------

def process_tree(root: int) -> set[int]:
    """root and every process descended from it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    out, todo = set(), [root]
    while todo:
        pid = todo.pop()
        out.add(pid)
        todo.extend(children.get(pid, []))
    return out


def rss_bytes(pid: int) -> int:
    """The process's resident memory now (VmRSS); 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
