"""The rounds of requests: which financial years each asked for, declared or inferred.

A round may say what it asked for in `raw/<round>/round.yaml`:

    title: Online child sex offences
    sent: 2017-03-01
    years: [2015/16, 2016/17]

`years` is required (each `2015/16`, quoted or not; `2015-16` and `2015/2016` are read
as `2015/16`); `sent` (a date) and `title` are optional. A file that cannot be used is
reported, naming it and why, and never stops the run: the years are then inferred, as
they are for a round without the file, from the years most forces' data give (more
than half the forces with data in that round; failing that, the years most often given). Either way the `rounds` table says which
(`years_source`), and a force's figures for a year its round did not ask for are kept,
and noted.

The marts compare rounds by name (a round's name starts with the year it was sent):
where two rounds give the same force and year, the newer round's figures are the
current ones (schemas/marts/01_current_offences.sql), and `published_figures` keeps
each round's own headline figures beside them (schemas/marts/08_published_figures.sql).
"""
from __future__ import annotations

import os
import re
import stat
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # flows.discover imports this module
    import pandas as pd

    from flows.discover import Round

ROUND_FILE = "round.yaml"
MAX_BYTES = 64 * 1024  # a round file is a few lines; anything bigger is not one
KEYS = ("years", "sent", "title")
DECLARED, INFERRED = "declared", "inferred"
ROUNDS_COLUMNS = ["round", "years_requested", "years_source", "sent", "title", "years_given", "message"]

_YEAR = re.compile(r"^\s*((?:19|20)\d\d)\s*[/-]\s*(\d{2}|(?:19|20)\d\d)\s*$")


@dataclass(frozen=True)
class RoundFile:
    """What raw/<round>/round.yaml says, or why it could not be used."""

    path: str                      # as filed, relative to the raw folder: '2017-x/round.yaml'
    years: tuple[str, ...] = ()    # sorted; empty when the file was not usable
    sent: date | None = None
    title: str | None = None
    problem: str | None = None     # why it was not used (the years are then inferred)


def financial_year(value: object) -> str:
    """'2015/16' from '2015/16', '2015-16', '2015/2016' (and YAML's 2015/16, a string).
    Raises ValueError naming the value otherwise."""
    match = _YEAR.match(value) if isinstance(value, str) else None
    if match:
        start, end = int(match.group(1)), match.group(2)
        if int(end) == (start + 1 if len(end) == 4 else (start + 1) % 100):
            return f"{start}/{(start + 1) % 100:02d}"
    raise ValueError(f"{_shown(value)} is not a financial year like 2016/17 (April 2016 to March 2017)")


def _shown(value: object) -> str:
    """A YAML value for a message: short, and never the repr of a nested structure (YAML
    aliases can make a small file a huge one)."""
    if isinstance(value, (str, int, float, date)) and not isinstance(value, bool):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return f"a {type(value).__name__}"


def read_round_file(path: Path, raw_dir: Path) -> RoundFile:
    """raw/<round>/round.yaml, validated. Never raises: a bad file comes back with its
    `problem` set, a message naming the file and what is wrong with it."""
    import yaml

    path = Path(path)
    rel = path.relative_to(raw_dir).as_posix() if path.is_relative_to(raw_dir) else path.name

    def bad(why: str) -> RoundFile:
        return RoundFile(rel, problem=f"{rel}: not used: {why}; the years asked for are inferred from the replies")

    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return bad(f"cannot be read ({exc.strerror})")
    if stat.S_ISLNK(mode):
        return bad("it is a symbolic link, and links are never followed; put the file itself here")
    if not stat.S_ISREG(mode):
        return bad("it is not a regular file")
    if os.stat(path).st_size > MAX_BYTES:
        return bad(f"it is larger than {MAX_BYTES // 1024} KB; a round file holds a few lines")
    try:
        data = yaml.safe_load(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        return bad("it is not UTF-8 text")
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        return bad(f"it is not valid YAML{at} ({getattr(exc, 'problem', None) or exc})")
    if not isinstance(data, dict):
        return bad("it must be a mapping like `years: [2015/16, 2016/17]`")
    unknown = sorted(_shown(k) if not isinstance(k, str) else k[:40] for k in data if k not in KEYS)
    if unknown:
        return bad(f"unknown key(s) {', '.join(unknown)} (allowed: {', '.join(KEYS)})")
    raw_years = data.get("years")
    if raw_years is None:
        return bad("it has no `years:` (the financial years the request asked for, e.g. [2015/16, 2016/17])")
    if isinstance(raw_years, str):
        raw_years = [y for y in re.split(r"[,\s]+", raw_years) if y]
    if not isinstance(raw_years, list) or not raw_years:
        return bad("`years:` must be a list of financial years, e.g. [2015/16, 2016/17]")
    try:
        years = tuple(sorted({financial_year(y) for y in raw_years}))
    except ValueError as exc:
        return bad(f"years: {exc}")
    sent = data.get("sent")
    if sent is not None and not isinstance(sent, date):
        try:
            sent = date.fromisoformat(str(sent).strip())
        except ValueError:
            return bad(f"sent: {_shown(sent)} is not a date like 2017-03-01")
    if hasattr(sent, "date"):  # a datetime: the day it was sent
        sent = sent.date()
    title = data.get("title")
    if title is not None and not isinstance(title, (str, int, float)):
        return bad(f"title: {_shown(title)} is not text")
    title = None if title is None else str(title)
    return RoundFile(rel, years=years, sent=sent, title=title)


def years_given(offences: "pd.DataFrame") -> dict[str, dict[str, set[str]]]:
    """round -> financial year -> the forces whose figures (in_totals) give it."""
    given: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    if len(offences):
        rows = offences.loc[offences["in_totals"].astype(bool), ["round", "financial_year", "force_code"]]
        for rnd, year, force in rows.drop_duplicates().itertuples(index=False):
            given[rnd][year].add(force)
    return given


def infer_years(by_year: dict[str, set[str]]) -> tuple[str, ...]:
    """The years more than half of the round's forces with data give figures for (if no
    year has a majority: the years the most forces give)."""
    if not by_year:
        return ()
    forces = set().union(*by_year.values())
    years = [y for y, fs in by_year.items() if 2 * len(fs) > len(forces)]
    most = max(len(fs) for fs in by_year.values())
    return tuple(sorted(years or [y for y, fs in by_year.items() if len(fs) == most]))


def rounds_frame(
    rounds: "Iterable[Round] | None", offences: "pd.DataFrame", also: Iterable[str] = ()
) -> tuple["pd.DataFrame", list[str]]:
    """A row per round for the `rounds` table, and the notes to report: the years
    inferred, and each force's figures for a year its round did not ask for.
    `also`: more round names (from the facts) for rounds not in `rounds`. `rounds`
    None: the discovered rounds are not known (every round's years are inferred)."""
    import pandas as pd

    from flows.forces import load_forces

    names_of = {f.code: f.name for f in load_forces()}
    unknown = rounds is None
    files = {r.name: getattr(r, "round_file", None) for r in rounds or ()}
    given = years_given(offences)
    rows, notes = [], []
    for name in sorted(set(files) | set(given) | {str(n) for n in also}):
        by_year = given.get(name, {})
        found = files.get(name)
        declared = found is not None and found.problem is None
        years = found.years if declared else infer_years(by_year)
        message = []
        shown = ", ".join(years) if years else "none (no force gave figures)"
        if unknown:
            message.append(f"{name}: the years asked for are taken to be {shown}, the years most forces' "
                           f"data give (the warehouse was built without the rounds' {ROUND_FILE} files)")
        elif found is None:
            message.append(f"{name}: no {ROUND_FILE}: the years asked for are taken to be {shown}, "
                           f"the years most forces' data give; declare them in {name}/{ROUND_FILE}")
        elif not declared:
            message.append(f"{found.problem}: taken to be {shown}")
        extra = {y: fs for y, fs in by_year.items() if y not in years}
        for year, forces in sorted(extra.items()):
            who = ", ".join(sorted(names_of.get(f, f) for f in forces))
            message.append(f"{name}: {len(forces)} force(s) gave figures for {year}, which the round did "
                           f"not ask for ({who}): kept, and current unless a newer round gives that "
                           "force and year")
        notes.extend(message)
        rows.append({
            "round": name, "years_requested": list(years),
            "years_source": DECLARED if declared else INFERRED,
            "sent": found.sent if declared else None, "title": found.title if declared else None,
            "years_given": sorted(by_year), "message": "; ".join(message) or None,
        })
    return pd.DataFrame(rows, columns=ROUNDS_COLUMNS), notes


def table_rows(frame: "pd.DataFrame") -> list[list]:
    """The frame's rows as DuckDB parameters, in ROUNDS_COLUMNS order (NULL for missing)."""
    import pandas as pd

    def value(v):
        return v if isinstance(v, (list, tuple)) else None if pd.isna(v) else v

    return [[value(v) for v in row] for row in frame[ROUNDS_COLUMNS].itertuples(index=False)]
