"""The shrink guard: a refresh must not publish a smaller warehouse by accident.

Publishing replaces the whole warehouse, so a slip in what the run was given (`--raw`
pointed at a round instead of the folder of rounds, a force's folder emptied by a bad
sync) would silently throw away figures the analysts rely on. The great expectations
suites cannot see this: they check the staged warehouse alone, and an empty warehouse
is a valid one. So the staged warehouse is compared with the published one, and every
force-year (round, force, financial year with loaded offences) that would disappear is
explained: its files are gone, or they are unchanged and now read differently. Those
block publication. A drop is not blocked when someone decided it: a reviewer excluded
the file (schemas/reviews.csv), or the force sent a new reply that replaces the old one
(a warning names what drops), or the run was told to accept the shrink (`accept`).

Only plain DuckDB queries, read-only on both files: the guard never writes the
published warehouse.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Iterable

import duckdb

from flows.discover import ROUND_NAME, Round
from flows.forces import ForceNameError, by_code, match_force
from flows.quality import CheckResult

SUITE = "shrink_guard"
MAX_LINES = 10  # force lines per round and kind before the rest are counted in one line
MAX_NAMED = 3  # forces named as examples when a whole round is gone
EXCLUDED = "excluded_by_review"
ACCEPTED = " (accepted with --accept-shrink)"

WHY_ROUNDS = ("A raw folder with no round in it is almost always --raw pointed at the wrong folder; "
              "publishing it would replace the warehouse with an empty one.")
WHY_KEPT = ("Publishing replaces the whole warehouse: a force-year it has must not vanish because "
            "files went missing or stopped reading, unless someone decided so.")
WHY_REPLACED = ("The force's folder holds a reply the published warehouse never saw: a replacement "
                "may legitimately cover fewer years, but what drops is worth a look.")
WHY_REVIEWED = "A reviewer excluded the file in schemas/reviews.csv: an explicit decision."

_FORCE_YEARS = """
    SELECT o.round, o.force_code, o.financial_year, o.sha256, o.path
    FROM offences o JOIN force_replies r USING (round, force_code)
    WHERE r.reply = 'data'
    GROUP BY ALL"""


def shrink_checks(
    *, published: Path | None, staged: Path, rounds: list[Round], raw_dir: Path, accept: bool = False,
) -> list[CheckResult]:
    """The guard's checks of what `staged` would publish over `published` (None: no
    warehouse yet). Failures that must block are critical, or warnings when `accept`."""
    raw_dir = Path(raw_dir)
    severity = "warning" if accept else "critical"
    results = [_rounds_check(rounds, raw_dir, published, severity, accept)]
    if published is None:
        return results + [_passed("published_force_years_kept", severity, WHY_KEPT)]
    try:
        before = _read(published, with_seen=True)
    except duckdb.Error as exc:
        return results + [_failed(
            "published_warehouse_readable", severity, None,
            f"the published warehouse {published} could not be read to compare with: "
            f"{type(exc).__name__}: {exc}" + (ACCEPTED if accept else ""),
            "Without the published warehouse the run cannot tell what it would drop.")]
    after = _read(staged, with_seen=False)
    return results + _drop_checks(before, after, rounds, raw_dir, severity, accept)


# What a reviewer does about a shrink, as the other checks' 'What to do:' (quality.describe).
WHAT_TO_DO = ("if the files were moved, renamed or read differently by mistake, put them back (or fix the "
              "reading) and refresh; if dropping these force-years is intended, refresh with --accept-shrink")


def describe(check: CheckResult) -> str:
    """The check as one line for the blocked reasons and warnings: its own message (it
    names each force-year and why), then, for a block, what to do."""
    messages = [e["message"] for e in check.unexpected_examples if isinstance(e, dict) and e.get("message")]
    text = f"{check.suite}: " + ("; ".join(messages) if messages else f"{check.expectation} failed")
    if check.severity == "critical" and not check.success:  # a block: say how to lift it
        text += f". What to do: {WHAT_TO_DO}."
    return text


# --- rule 1: the raw folder holds a round ------------------------------------------------


def _rounds_check(rounds: list[Round], raw_dir: Path, published: Path | None, severity: str,
                  accept: bool) -> CheckResult:
    if rounds:
        return _passed("raw_folder_holds_rounds", severity, WHY_ROUNDS)
    outcome = ("would replace the published warehouse with an empty one" if published is not None
               else "would publish an empty warehouse")
    message = (f"{raw_dir} holds no round (a folder named for the year the request was sent, holding "
               f"force folders): publishing {outcome}")
    hint = _round_folder_hint(raw_dir)
    if hint:
        message += f"; {hint}: did you mean --raw {raw_dir.parent}?"
    return _failed("raw_folder_holds_rounds", severity, None, message + (ACCEPTED if accept else ""),
                   WHY_ROUNDS)


def _round_folder_hint(raw_dir: Path) -> str:
    """Why raw_dir looks like a round folder itself, or '' when it does not."""
    forces = []
    if raw_dir.is_dir():
        for child in sorted(raw_dir.iterdir()):
            if child.is_dir():
                try:
                    match_force(child.name)
                    forces.append(child.name)
                except ForceNameError:
                    pass
    if forces:
        shown = ", ".join(forces[:MAX_NAMED]) + (" ..." if len(forces) > MAX_NAMED else "")
        return f"its folders name forces ({shown}), so it looks like a round folder"
    if ROUND_NAME.match(raw_dir.name):
        return f"'{raw_dir.name}' is named like a round"
    return ""


# --- rule 2 and 3: force-years the published warehouse has ------------------------------


def _read(path: Path, *, with_seen: bool) -> dict:
    """A warehouse's force-years -> the files (sha256 -> path) they came from; its
    returns; and (published only) every sha256 it ever recorded."""
    with duckdb.connect(str(path), read_only=True) as con:
        force_years: dict[tuple, dict[str, str]] = defaultdict(dict)
        for rnd, force, year, sha, rel in con.execute(_FORCE_YEARS).fetchall():
            force_years[(rnd, force, year)][sha] = rel
        returns = con.execute(
            "SELECT round, force_code, force_folder, path, sha256, status, message FROM returns "
            "ORDER BY path").fetchall()
        seen: set[str] = set()
        if with_seen:
            seen = {r[4] for r in returns} | {sha for files in force_years.values() for sha in files}
            for (files_json,) in con.execute("SELECT files_json FROM runs").fetchall():
                seen |= {f.get("sha256") for f in json.loads(files_json or "[]") if isinstance(f, dict)}
    return {"force_years": force_years, "returns": returns, "seen": seen}


def _drop_checks(before: dict, after: dict, rounds: list[Round], raw_dir: Path, severity: str,
                 accept: bool) -> list[CheckResult]:
    dropped = sorted(set(before["force_years"]) - set(after["force_years"]))
    present = {r.name: r for r in rounds}
    returns_by_sha: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for row in after["returns"]:
        returns_by_sha[(row[0], row[4])].append(row)

    # (round, force, kind, reason) -> years, keeping the order found
    lines: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    gone_rounds: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rnd, force, year in dropped:
        if rnd not in present:
            gone_rounds[rnd].append((force, year))
            continue
        kind, reason = _why(before["force_years"][(rnd, force, year)], present[rnd], force,
                            returns_by_sha, before["seen"], raw_dir)
        lines[(rnd, force, kind, reason)].append(year)

    results: list[CheckResult] = []
    suffix = ACCEPTED if accept else ""
    for rnd, drops in gone_rounds.items():
        forces = list(dict.fromkeys(f for f, _ in drops))
        named = "; ".join(f"{_name(f)} {_years([y for g, y in drops if g == f])}" for f in forces[:MAX_NAMED])
        more = f"; and {len(forces) - MAX_NAMED} more forces" if len(forces) > MAX_NAMED else ""
        message = (f"round {rnd} is gone from {raw_dir}: its {len(drops)} force-year(s) from "
                   f"{len(forces)} force(s) would be dropped (e.g. {named}{more})")
        results.append(_failed("published_force_years_kept", severity, len(drops), message + suffix,
                               WHY_KEPT, round=rnd, forces=len(forces)))
    settings = {
        "blocked": ("published_force_years_kept", severity, WHY_KEPT, suffix),
        "replaced": ("replaced_reply_force_years", "warning", WHY_REPLACED, ""),
        "reviewed": ("reviewed_exclusions", None, WHY_REVIEWED, ""),
    }
    by_round_kind: dict[tuple[str, str], list] = defaultdict(list)
    for (rnd, force, kind, reason), years in lines.items():
        by_round_kind[(rnd, kind)].append((force, reason, years))
    for (rnd, kind), items in sorted(by_round_kind.items()):
        expectation, sev, why, tail = settings[kind]
        for force, reason, years in items[:MAX_LINES]:
            message = f"{_name(force)} {_years(years)} ({rnd}) would be dropped: {reason}{tail}"
            extra = dict(round=rnd, force_code=force, financial_years=years)
            results.append(_passed(expectation, "warning", why, len(years), message, **extra) if sev is None
                           else _failed(expectation, sev, len(years), message, why, **extra))
        rest = items[MAX_LINES:]
        if rest:
            count = sum(len(years) for _, _, years in rest)
            message = f"and {len(rest)} more forces ({count} force-years) in {rnd} would be dropped{tail}"
            results.append(_passed(expectation, "warning", why, count, message, round=rnd) if sev is None
                           else _failed(expectation, sev, count, message, why, round=rnd))
    if not any(r.expectation == "published_force_years_kept" for r in results):
        results.append(_passed("published_force_years_kept", severity, WHY_KEPT))
    return results


def _why(sources: dict[str, str], rnd: Round, force: str, returns_by_sha: dict, seen: set[str],
         raw_dir: Path) -> tuple[str, str]:
    """(kind, reason) for one dropped force-year whose round is still there. `sources`
    are the files (sha256 -> path) its published figures came from."""
    now = [row for sha in sources for row in returns_by_sha.get((rnd.name, sha), [])]
    if any(row[5] == EXCLUDED for row in now):
        return "reviewed", "a reviewer excluded " + ", ".join(row[3] for row in now if row[5] == EXCLUDED)
    new = [f for f in rnd.files if f.force_code == force and f.sha256 not in seen]
    if new:
        files = ", ".join(f.rel_path for f in new)
        return "replaced", f"the force's folder holds a reply the published warehouse never saw ({files})"
    if now:
        moved = {row[2] for row in now} - {rel.split("/")[1] for rel in sources.values() if "/" in rel}
        where = f" (now in {raw_dir.name}/{rnd.name}/{', '.join(sorted(moved))}/)" if moved else ""
        troubled = [row for row in now if row[5] != "loaded"]
        if not troubled:
            return "blocked", (f"its files are unchanged{where} and still load, but no longer give "
                               "these figures (a reader or reference data change?)")
        row = troubled[0]
        return "blocked", f"its files are unchanged{where} but now read as {row[5]}: {row[6] or 'no message'}"
    folders = sorted({rel.split("/")[1] for rel in sources.values() if "/" in rel})
    missing = []
    for folder in folders:
        left = [f for f in rnd.files if f.force_folder == folder]
        where = f"{raw_dir.name}/{rnd.name}/{folder}/"
        missing.append(f"{where} is empty or missing" if not left else
                       f"{where} no longer holds " + ", ".join(sorted(Path(p).name for p in sources.values())))
    return "blocked", f"its files are gone ({'; '.join(missing)})"


def _name(code: str) -> str:
    try:
        return by_code(code).name
    except KeyError:
        return code


def _years(years: Iterable[str]) -> str:
    years = sorted(years)
    return years[0] if len(years) == 1 else ", ".join(years[:-1]) + " and " + years[-1]


def _passed(expectation: str, severity: str, why: str, count: int = 0, message: str = "",
            **extra) -> CheckResult:
    """A check that passed; `severity` is what its failure would have been."""
    examples = [{"message": message, **extra}] if message else []
    return CheckResult(suite=SUITE, expectation=expectation, column=None, severity=severity,
                       success=True, unexpected_count=count, unexpected_examples=examples, why=why)


def _failed(expectation: str, severity: str, count: int | None, message: str, why: str,
            **extra) -> CheckResult:
    return CheckResult(suite=SUITE, expectation=expectation, column=None, severity=severity,
                       success=False, unexpected_count=count,
                       unexpected_examples=[{"message": message, **extra}], why=why)
