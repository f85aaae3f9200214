"""A zip-based workbook (xlsx, xlsm, ods) checked before any spreadsheet library opens it.

A 3 MB reply can unpack to gigabytes (a zip bomb), and a spreadsheet library unpacks
first and asks later. Here the archive's directory is checked (parts, declared sizes,
declared ratio), then every part's compressed bytes are inflated to a counter, to the
real end of the stream, stopping as soon as a limit is passed: the declared sizes can
lie (zipfile itself stops at the declared size, so it is not used for this), and a
part that inflates to other than its declared size is refused. Nothing is kept but
the counts.
"""
from __future__ import annotations

import struct
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
                                    "is a zip archive of", source=limits.source)
            declared = 0
            for info in infos:
                _check_size(path, info, info.file_size, limits, "declares that part")
                declared += info.file_size
            if declared > limits.archive_total_bytes:
                raise LimitExceeded(path, "archive_total_bytes", f"{declared:,} bytes", limits.archive_total_bytes,
                                    "declares its parts unpack to", source=limits.source)
            total = 0
            with open(path, "rb") as raw:
                for info in infos:
                    size = _inflated_size(path, raw, info, limits, total)
                    if size != info.file_size:
                        raise UnreadableFile(
                            path, f"is damaged or forged: its part {info.filename} unpacks to {size:,} bytes, "
                                  f"not the {info.file_size:,} its directory declares")
                    total += size
    except (LimitExceeded, UnreadableFile):
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise UnreadableFile(path, f"is damaged: a part of its zip cannot be unpacked ({exc})") from exc
    except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: an encrypted part
        raise UnreadableFile(path, f"has a zip archive that cannot be read ({exc})") from exc


def _check_size(path: Path, info: zipfile.ZipInfo, size: int, limits, what: str) -> None:
    if size > limits.archive_member_bytes:
        raise LimitExceeded(path, "archive_member_bytes", f"{size:,} bytes", limits.archive_member_bytes,
                            f"{what} {info.filename} unpacks to", source=limits.source)
    if size > limits.compression_ratio_from_bytes:
        ratio = size / max(info.compress_size, 1)
        if ratio > limits.compression_ratio:
            raise LimitExceeded(path, "compression_ratio", f"{ratio:,.0f} to 1", limits.compression_ratio,
                                f"{what} {info.filename} unpacks at", source=limits.source)


_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")  # the zip format's local file header
_STORED, _DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED


def _inflated_size(path: Path, raw, info: zipfile.ZipInfo, limits, before: int) -> int:
    """How many bytes the part's compressed data really inflates to, counted in bounded
    pieces (never more than _CHUNK held at once), checked against the limits as it goes."""
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise UnreadableFile(path, f"is damaged: the part {info.filename} has no local header")
    *_, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    raw.seek(name_length + extra_length, 1)
    if info.flag_bits & 0x1:
        raise UnreadableFile(path, f"has an encrypted part ({info.filename}); ask for an unprotected copy")
    if info.compress_type == _STORED:
        _check_size(path, info, info.compress_size, limits, "part")
        return info.compress_size
    if info.compress_type != _DEFLATED:
        raise UnreadableFile(path, f"uses a zip compression (method {info.compress_type}) spreadsheets do not use")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    left, size = info.compress_size, 0
    while left > 0 or inflater.unconsumed_tail:
        data = inflater.unconsumed_tail or raw.read(min(_CHUNK, left))
        if not inflater.unconsumed_tail:
            if not data:
                raise UnreadableFile(path, f"is truncated: the part {info.filename} ends early")
            left -= len(data)
        size += len(inflater.decompress(data, _CHUNK))
        _check_size(path, info, size, limits, "part")
        if before + size > limits.archive_total_bytes:
            raise LimitExceeded(path, "archive_total_bytes", f"more than {before + size:,} bytes",
                                limits.archive_total_bytes, "has parts that unpack to", source=limits.source)
        if inflater.eof:
            break
    size += len(inflater.flush())
    return size
