"""A zip-based workbook (xlsx, xlsm, ods) checked before any spreadsheet library opens it.

A 3 MB reply can unpack to gigabytes (a zip bomb), and a spreadsheet library unpacks
first and asks later. Here the archive's directory is checked (parts, declared sizes,
declared ratio), then every part is unpacked to a counter, stopping as soon as a limit
is passed: the declared sizes can lie, and zipfile's CRC check at each part's end
catches a part that is not what its directory says. Nothing is kept but the counts.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from flows.cells.errors import LimitExceeded, UnreadableFile

_CHUNK = 1 << 20


def check_archive(path: Path, limits) -> None:
    """Raise LimitExceeded for an archive beyond `limits`, UnreadableFile for a damaged one."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            if len(infos) > limits.archive_members:
                raise LimitExceeded(path, "archive_members", f"{len(infos):,} parts", limits.archive_members,
                                    "is a zip archive of")
            declared = 0
            for info in infos:
                _check_size(path, info, info.file_size, limits, "declares that part")
                declared += info.file_size
            if declared > limits.archive_total_bytes:
                raise LimitExceeded(path, "archive_total_bytes", f"{declared:,} bytes", limits.archive_total_bytes,
                                    "declares its parts unpack to")
            total = 0
            for info in infos:
                total += _unpacked_size(path, z, info, limits, total)
    except (LimitExceeded, UnreadableFile):
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise UnreadableFile(path, f"is damaged: a part of its zip cannot be unpacked ({exc})") from exc
    except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: an encrypted part
        raise UnreadableFile(path, f"has a zip archive that cannot be read ({exc})") from exc


def _check_size(path: Path, info: zipfile.ZipInfo, size: int, limits, what: str) -> None:
    if size > limits.archive_member_bytes:
        raise LimitExceeded(path, "archive_member_bytes", f"{size:,} bytes", limits.archive_member_bytes,
                            f"{what} {info.filename} unpacks to")
    if size > limits.compression_ratio_from_bytes:
        ratio = size / max(info.compress_size, 1)
        if ratio > limits.compression_ratio:
            raise LimitExceeded(path, "compression_ratio", f"{ratio:,.0f} to 1", limits.compression_ratio,
                                f"{what} {info.filename} unpacks at")


def _unpacked_size(path: Path, z: zipfile.ZipFile, info: zipfile.ZipInfo, limits, before: int) -> int:
    size = 0
    with z.open(info) as f:
        while chunk := f.read(_CHUNK):
            size += len(chunk)
            _check_size(path, info, size, limits, "part")
            if before + size > limits.archive_total_bytes:
                raise LimitExceeded(path, "archive_total_bytes", f"more than {before + size:,} bytes",
                                    limits.archive_total_bytes, "has parts that unpack to")
    return size
