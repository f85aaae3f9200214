"""Byte-for-byte reproducible files: the same seed writes the same bytes."""
from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

FIXED_TIME = datetime(2017, 5, 12, 9, 30, 0)
STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()


def freeze_zip(path: Path) -> None:
    """Rewrite a zip-based file (xlsx, ods, docx) with fixed entry times, keeping each
    entry's order and compression (ods needs 'mimetype' first and stored)."""
    with zipfile.ZipFile(path) as zf:
        entries = [(info, zf.read(info.filename)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in entries:
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + STAMP, data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            zf.writestr(fixed, data)


def save_workbook(wb, path: Path) -> None:
    wb.properties.creator = "FOI team"
    wb.properties.lastModifiedBy = "FOI team"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(path)
    freeze_zip(path)
