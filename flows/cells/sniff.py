"""Which format a file really is, from its bytes first and its name second.

Replies arrive renamed by hand: an .xls that is an xlsx, a .csv saved from Excel as a
workbook, a password-protected xlsx (an OLE container, not a zip). The extension only
shapes the message when the bytes do not identify a spreadsheet.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flows.cells.errors import UnreadableFile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
XLSX_CONTENT_TYPES = (  # the workbook part of xlsx, xlsm, xltx, xltm
    b"spreadsheetml.sheet.main+xml",
    b"ms-excel.sheet.macroEnabled.main+xml",
    b"spreadsheetml.template.main+xml",
    b"ms-excel.template.macroEnabled.main+xml",
)


def detect_format(path: str | Path) -> str:
    """'xlsx', 'xls', 'ods' or 'csv'; UnreadableFile for anything else."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise UnreadableFile(path, f"cannot be opened ({exc.strerror or exc})") from exc
    if not head:
        raise UnreadableFile(path, "is empty (0 bytes)")
    if head.startswith(ZIP_MAGICS):
        return _zip_format(path)
    if head.startswith(OLE_MAGIC):
        return _ole_format(path)
    _refuse_known_non_csv(path, head)
    return "csv"


def _zip_format(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            mimetype = z.read("mimetype").strip() if "mimetype" in names else b""
            types = z.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise UnreadableFile(path, f"is a corrupt or truncated zip archive ({exc})") from exc
    if "xl/workbook.bin" in names or b"sheet.binary.macroEnabled.main" in types:
        raise UnreadableFile(path, "is a binary Excel workbook (.xlsb), which is not supported; "
                                   "save it as .xlsx")
    if "xl/workbook.xml" in names or any(t in types for t in XLSX_CONTENT_TYPES):
        return "xlsx"
    if mimetype.startswith(ODS_MIMETYPE) or (not mimetype and "content.xml" in names):
        return "ods"
    if "word/document.xml" in names:
        raise UnreadableFile(path, "is a Word document (.docx), not a spreadsheet")
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise UnreadableFile(path, f"is an OpenDocument file of type {mimetype.decode('ascii', 'replace')}, "
                                   "not a spreadsheet")
    raise UnreadableFile(path, "is a zip archive that holds no spreadsheet")


def ole_stream_names(path: Path) -> set[str]:
    """Names of the streams in an OLE2 container (legacy Office files)."""
    from xlrd.compdoc import CompDoc

    try:
        doc = CompDoc(path.read_bytes(), logfile=io.StringIO())
    except Exception as exc:  # CompDocError, and IndexError or struct.error on damaged input
        raise UnreadableFile(path, f"is a corrupt or truncated OLE2 (legacy Office) file ({exc})") from exc
    return {d.name for d in doc.dirlist}


def _ole_format(path: Path) -> str:
    streams = ole_stream_names(path)
    if {"EncryptionInfo", "EncryptedPackage"} & streams:
        said = path.suffix.lower() or "no extension"
        raise UnreadableFile(
            path, f"is a password-protected (encrypted) Excel workbook ({said}); "
                  "ask the force for an unprotected copy")
    if {"Workbook", "Book"} & streams:
        return "xls"
    if "WordDocument" in streams:
        raise UnreadableFile(path, "is a Word document (.doc), not a spreadsheet")
    raise UnreadableFile(path, "is an OLE2 (legacy Office) file that holds no Excel workbook")


def _refuse_known_non_csv(path: Path, head: bytes) -> None:
    """Formats that look like text but are not a delimited table."""
    if head.startswith(b"%PDF"):
        raise UnreadableFile(path, "is a PDF, not a spreadsheet")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")) or (text.startswith(b"<") and b"<table" in text):
        raise UnreadableFile(path, "is a web page (HTML) saved with a spreadsheet name, which is not supported")
    if text.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            raise UnreadableFile(path, "is an Excel 2003 XML spreadsheet, which is not supported; "
                                       "save it as .xlsx")
        if b"opendocument" in head:
            raise UnreadableFile(path, "is a flat OpenDocument file (.fods), which is not supported; "
                                       "save it as .ods")
        raise UnreadableFile(path, "is an XML file, not a spreadsheet")
