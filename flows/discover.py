"""raw/<round>/<force folder>/<files> -> the reply files of each round.

The folder layout is the contract with the people who file replies (raw/README.md).
Each file is identified by the sha256 of its bytes, so caches and the warehouse know a
reply by what it holds, not where it was put.

The raw folder is a boundary: symbolic links (to files or folders, inside or outside it)
and anything that is not a regular file (a pipe would block a reader for ever) are
never opened, only reported. Raw files are never changed or moved.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from flows.forces import ForceNameError, load_forces, match_force
from flows.rounds import ROUND_FILE, RoundFile, read_round_file

DATA_TYPES = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods", ".csv": "csv"}
LITTER = {".ds_store", "thumbs.db", "desktop.ini"}
ROUND_NAME = re.compile(r"^(19|20)\d\d\b")


@dataclass(frozen=True)
class ReplyFile:
    round: str
    force_folder: str
    force_code: str | None  # None when the folder matched no force
    path: Path
    rel_path: str  # relative to the raw folder, '/' separated
    sha256: str
    size_bytes: int
    file_type: str  # 'xlsx', 'xls', 'ods', 'csv'; otherwise the suffix ('pdf', 'docx') or 'none'
    is_data: bool
    problem: str | None = None
    not_opened: bool = False  # a symbolic link or not a regular file: reported, never opened


@dataclass
class Round:
    name: str
    path: Path
    files: list[ReplyFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    forces_replied: set[str] = field(default_factory=set)
    forces_not_replied: list[str] = field(default_factory=list)
    round_file: RoundFile | None = None  # raw/<round>/round.yaml (flows/rounds.py); None: absent


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def is_litter(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or name.startswith("~$") or name.lower() in LITTER


def discover_raw(raw_dir: Path) -> tuple[list[Round], list[str]]:
    """Every round under raw_dir, sorted by name, and the problems with folders that are
    not rounds (a name that does not start with the year the request was sent)."""
    raw_dir = Path(raw_dir)
    rounds, problems = [], []
    for child in sorted(raw_dir.iterdir()):
        if is_litter(child):
            continue
        if child.is_symlink():
            problems.append(f"raw/{child.name}: not read: it is a symbolic link, and links are never "
                            "followed out of the raw folder; move the folder itself here")
            continue
        if not child.is_dir():
            continue
        if not ROUND_NAME.match(child.name):
            problems.append(
                f"raw/{child.name}: not read: a round's folder name must start with the year "
                "the request was sent (e.g. 2017-online-child-sex-offences)")
            continue
        rounds.append(discover_round(child, raw_dir))
    return rounds, problems


_REGULAR, _LINK, _SPECIAL = "file", "symbolic link", "not a regular file"


def _entries(folder: Path) -> list[tuple[Path, str]]:
    """Every entry under `folder`, sorted, with its kind; links are listed, not followed."""
    out = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs:
            if os.path.islink(os.path.join(top, name)):
                out.append((Path(top, name), _LINK))
        for name in files:
            path = Path(top, name)
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue  # gone since it was listed
            out.append((path, _LINK if stat.S_ISLNK(mode) else _REGULAR if stat.S_ISREG(mode) else _SPECIAL))
    return sorted(out)


def _not_opened(round_name: str, folder: str, force_code: str | None, path: Path, raw_dir: Path,
                kind: str) -> ReplyFile:
    """A link or special file: reported with its place, identified by what it points at."""
    target = os.readlink(path) if kind == _LINK else kind
    if kind == _LINK:
        why = (f"is a symbolic link (to {target}); links are never followed, inside the raw folder "
               "or out of it: not opened. Copy the file itself into the force's folder")
    else:
        why = "is not a regular file (a pipe, socket or device): not opened"
    return ReplyFile(
        round=round_name, force_folder=folder, force_code=force_code, path=path,
        rel_path=path.relative_to(raw_dir).as_posix(),
        sha256=hashlib.sha256(f"{kind}:{target}".encode()).hexdigest(), size_bytes=0,
        file_type=DATA_TYPES.get(path.suffix.lower(), path.suffix.lower().lstrip(".") or "none"),
        is_data=False, problem=why, not_opened=True,
    )


def discover_round(round_dir: Path, raw_dir: Path | None = None) -> Round:
    round_dir = Path(round_dir)
    raw_dir = Path(raw_dir) if raw_dir is not None else round_dir.parent
    rnd = Round(name=round_dir.name, path=round_dir)
    folders_by_force: dict[str, list[str]] = {}
    for folder in sorted(round_dir.iterdir()):
        if is_litter(folder):
            continue
        if folder.name == ROUND_FILE:  # the years the round asked for; a bad one is reported by facts
            rnd.round_file = read_round_file(folder, raw_dir)
            continue
        if folder.is_symlink():
            rnd.problems.append(
                f"{rnd.name}/{folder.name}: not read: it is a symbolic link, and links are never "
                "followed out of the raw folder; put the force's files themselves here")
            continue
        if not folder.is_dir():
            rnd.problems.append(
                f"{rnd.name}/{folder.name}: a file directly in the round folder belongs to no "
                "force; put it in the force's folder")
            continue
        try:
            force_code, problem = match_force(folder.name).code, None
            folders_by_force.setdefault(force_code, []).append(folder.name)
        except ForceNameError as exc:
            force_code, problem = None, f"{rnd.name}/{folder.name}: {exc}"
            rnd.problems.append(problem)
        for path, kind in _entries(folder):
            if any(is_litter(Path(part)) for part in path.relative_to(folder).parts):
                continue
            suffix = path.suffix.lower()
            if kind != _REGULAR:
                rnd.files.append(_not_opened(rnd.name, folder.name, force_code, path, raw_dir, kind))
                continue
            rnd.files.append(ReplyFile(
                round=rnd.name,
                force_folder=folder.name,
                force_code=force_code,
                path=path.resolve(),
                rel_path=path.relative_to(raw_dir).as_posix(),
                sha256=sha256_of(path),
                size_bytes=path.stat().st_size,
                file_type=DATA_TYPES.get(suffix, suffix.lstrip(".") or "none"),
                is_data=suffix in DATA_TYPES,
                problem=problem,
            ))
    for code, folders in folders_by_force.items():
        if len(folders) > 1:
            rnd.problems.append(
                f"{rnd.name}: folders {', '.join(repr(f) for f in folders)} all name the same force; "
                "both are read, and figures that disagree are reported as a conflict")
    rnd.forces_replied = set(folders_by_force)
    rnd.forces_not_replied = [f.code for f in load_forces() if f.code not in folders_by_force]
    return rnd
