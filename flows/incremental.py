"""Is the published warehouse already what this refresh would build?

A refresh is decided by its inputs: the raw files (by their bytes and where they are
filed), the code, every file under schemas/, the suites, reviews and limits it was
given, and the versions of the libraries that read and compute. Their fingerprint is
stored with each published warehouse (runs.inputs_fingerprint); a refresh whose
fingerprint matches reads no file and rebuilds nothing. Anything else rebuilds the
warehouse from the readings, which are themselves cached on each file's bytes, so only
changed files are read again. `--full` ignores both.
"""
from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

from flows import PROJECT_ROOT, SCHEMAS
from flows.fingerprint import add_files

# Libraries whose version can change a reading or a figure.
LIBRARIES = ("duckdb", "great-expectations", "pandas", "python-calamine", "openpyxl", "xlrd", "defusedxml",
             "prefect")


def inputs_fingerprint(raw_dir: Path, rounds, problems: list[str] = (), *, extra_files: list[Path | None] = ()) -> str:
    """A hash of everything the warehouse is built from (see the module's docstring)."""
    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            digest.update(str(part).encode("utf-8", "surrogateescape"))
            digest.update(b"\0")

    add_files(digest, [*(PROJECT_ROOT / "flows").rglob("*.py"), *SCHEMAS.rglob("*")], PROJECT_ROOT)
    for path in extra_files:
        if path is not None:
            path = Path(path)
            add("extra", path.name)
            for file in sorted(path.rglob("*") if path.is_dir() else [path]):
                if file.is_file():
                    add(file.name)
                    digest.update(file.read_bytes())
    for name in LIBRARIES:
        try:
            add(name, metadata.version(name))
        except metadata.PackageNotFoundError:
            add(name, "absent")
    add("raw", *problems)
    for rnd in rounds:
        add("round", rnd.name, *rnd.problems)
        for path in sorted(p for p in Path(rnd.path).iterdir() if p.is_file() and not p.is_symlink()):
            add(path.name)  # files beside the force folders: round.yaml
            digest.update(path.read_bytes())
        for reply in rnd.files:
            add(reply.rel_path, reply.force_code, reply.sha256, reply.not_opened)
    return digest.hexdigest()


def published_fingerprint(warehouse: Path) -> tuple[str, str] | None:
    """(run_id, inputs fingerprint) of the published warehouse; None if it has none or
    cannot be read (then the refresh simply rebuilds)."""
    import duckdb

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            found = con.execute(
                "SELECT run_id, inputs_fingerprint FROM runs WHERE inputs_fingerprint IS NOT NULL "
                "ORDER BY finished_at DESC LIMIT 1").fetchall()
    except Exception:  # an old warehouse without the column, a damaged or locked file
        return None
    return (found[0][0], found[0][1]) if found else None


def matching_run(raw_dir: Path, rounds, target: Path, *, full: bool,
                 extra_files: list[Path | None] = ()) -> tuple[str, str | None]:
    """(this refresh's inputs fingerprint, the published run it matches: None when the
    refresh must read and rebuild, `full` or not)."""
    fingerprint = inputs_fingerprint(raw_dir, rounds, extra_files=extra_files)
    current = None if full or not Path(target).exists() else published_fingerprint(Path(target))
    return fingerprint, current[0] if current is not None and current[1] == fingerprint else None


def will_read(raw_dir: Path, target: Path, *, full: bool, extra_files: list[Path | None] = ()) -> bool:
    """Whether a refresh of `target` from `raw_dir` will read files (as the flow decides,
    worked out before it starts: `foi refresh` then imports what reading leads to while
    Prefect's server starts). Discovery and hashing only: a tenth of a second."""
    from flows.discover import discover_raw

    raw_dir, target = Path(raw_dir).resolve(), Path(target).resolve()
    if full or not target.exists():
        return True
    rounds, _ = discover_raw(raw_dir)
    return matching_run(raw_dir, rounds, target, full=full, extra_files=extra_files)[1] is None
