"""One way to hash files for a cache key, used by every fingerprint the project keeps:
the reader's (flows.reading.reader_fingerprint: cached readings) and the refresh's
(flows.incremental.inputs_fingerprint: an unchanged refresh). Each file is hashed by its
path relative to `root` and its bytes, in sorted order, so the result depends on neither
file-system order nor where the project is checked out."""
from __future__ import annotations

import hashlib
from pathlib import Path


def add_files(digest, paths, root: Path) -> None:
    """Feed each regular file of `paths` (name relative to `root`, then bytes) to `digest`."""
    for path in sorted({Path(p) for p in paths}):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode("utf-8", "surrogateescape"))
            digest.update(b"\0")
            digest.update(path.read_bytes())


def files_digest(paths, root: Path) -> str:
    digest = hashlib.sha256()
    add_files(digest, paths, root)
    return digest.hexdigest()
