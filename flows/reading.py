"""One reply file -> what it says, or why it cannot be trusted.

The stage between discovery and facts: opens the file (flows.cells), finds its tables
(flows.layouts), and turns every failure into a status and a message that name the
file, so one bad reply never stops the others.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from flows.discover import ReplyFile
from flows.letters import letter_dates, letter_text
from flows.observations import NIL_LAYOUT, TOTAL_MISMATCH, Observation, nil_observations


# Statuses a reply file can end with (returns.status).
LOADED = "loaded"
NOT_MACHINE_READABLE = "not_machine_readable"
QUARANTINED = "quarantined"
UNMATCHED_FORCE = "unmatched_force"
DUPLICATE = "duplicate"
CONFLICT = "conflict"
NO_DATA = "no_data"
# The reply's stated totals disagree with its own figures: kept out of the figures and,
# unlike a quarantine, blocking publication until a reviewer decides (schemas/reviews.csv).
TOTALS_DISAGREE = "totals_disagree"
EXCLUDED_BY_REVIEW = "excluded_by_review"

# Why a file was not read, for code to act on (ReplyReading.reason); the message says
# the same for people. Limits and budgets add their name: 'limit:archive_member_bytes',
# 'budget:read_seconds' (flows.isolation).
UNREADABLE = "unreadable"  # not a spreadsheet we can open: damaged, encrypted, not a workbook
READER_FAILED = "reader_failed"  # a bug in the reader: the file may be fine
LAYOUT_DOUBTS = "layout"  # read, but the reader is not sure of every figure (layout problems)
NOT_OPENED = "path"  # a symbolic link, or not a regular file: never opened (flows.discover)
PERSONAL_DATA = "personal_data"  # its figures cannot be read without cells that look personal


def limit_reason(limit: str) -> str:
    return f"limit:{limit}"


@dataclass
class ReplyReading:
    reply: ReplyFile
    status: str
    layout: str | None = None
    message: str = ""
    observations: list[Observation] = field(default_factory=list)
    totals: list[Observation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refusal: str | None = None  # 'section 12', 'section 40' when a letter says so
    reason: str | None = None  # why it was not loaded, for code (UNREADABLE, 'limit:<name>', ...)
    # where the file seemed to hold personal data: sheet and cells, never the values
    personal_data: list[str] = field(default_factory=list)
    read_in_run: str | None = None  # the refresh that read it (a cached reading keeps its own)
    letter_dates: tuple = ()  # the dates a letter is dated with (flows.letters.letter_dates)


def read_reply(reply: ReplyFile, limits=None, *, columnar: bool = True) -> ReplyReading:
    """Read one file within `limits` (default schemas/limits.yaml); never raises for bad
    input, except MemoryError, which flows.isolation turns into its budget's verdict.
    `columnar` False reads plain record lists through Cells too (flows.layouts.read_file)."""
    if reply.not_opened:
        return ReplyReading(reply, QUARANTINED, message=f"{reply.rel_path}: {reply.problem}", reason=NOT_OPENED)
    if reply.path.is_symlink() or not reply.path.is_file():  # replaced since it was found
        return ReplyReading(reply, QUARANTINED, reason=NOT_OPENED,
                            message=f"{reply.rel_path}: is no longer a regular file: not opened")
    if reply.force_code is None:
        return ReplyReading(reply, UNMATCHED_FORCE, message=reply.problem or "folder matches no force")
    if not reply.is_data:
        text = letter_text(reply.path)  # read once: refusal, nil return and date come from it
        dates = letter_dates(text)
        refusal = refusal_in_text(text)
        message = f"{reply.rel_path}: no machine-readable data ({reply.file_type})"
        if refusal:
            message += f"; the letter cites {refusal}"
        else:
            nil = nil_letter(reply, text)
            if nil is not None:
                return replace(nil, letter_dates=dates)
        return ReplyReading(reply, NOT_MACHINE_READABLE, message=message, refusal=refusal,
                            letter_dates=dates)

    from flows.cells import LimitExceeded, UnreadableFile, read_workbook
    from flows.layouts import read_file

    try:
        workbook = read_workbook(reply.path, limits)
    except MemoryError:
        raise
    except LimitExceeded as exc:
        return ReplyReading(reply, QUARANTINED, message=f"{reply.rel_path}: {exc}", reason=limit_reason(exc.limit))
    except UnreadableFile as exc:
        return ReplyReading(reply, QUARANTINED, message=f"{reply.rel_path}: {exc}", reason=UNREADABLE)
    except Exception as exc:  # a reader bug must not stop the round; say which file
        return ReplyReading(
            reply, QUARANTINED, reason=READER_FAILED,
            message=f"{reply.rel_path}: could not be opened ({type(exc).__name__}: {exc})",
        )
    try:
        found = read_file(workbook, file_name=reply.path.name, force_code=reply.force_code,
                          round_name=reply.round, columnar=columnar)
    except MemoryError:
        raise
    except Exception as exc:
        return ReplyReading(
            reply, QUARANTINED, reason=READER_FAILED,
            message=f"{reply.rel_path}: the reader failed ({type(exc).__name__}: {exc})",
        )
    return _without_personal_data(reply, workbook, _verdict(reply, found))


def _verdict(reply: ReplyFile, found) -> ReplyReading:
    """What the layouts' reading of a file comes to: loaded, totals that disagree,
    quarantined for the reader's doubts, or no figures."""
    if found.problems:
        detail = "; ".join(p.message for p in found.problems[:5])
        more = len(found.problems) - 5
        if more > 0:
            detail += f"; and {more} more"
        if all(p.kind == TOTAL_MISMATCH for p in found.problems):
            # Read without doubt except that the reply contradicts itself: keep what it
            # says so the warehouse shows the total beside its parts, and let the
            # stated_totals suite block publication until a reviewer decides.
            return ReplyReading(
                reply, TOTALS_DISAGREE, layout=found.layout, notes=list(found.notes),
                observations=list(found.observations), totals=list(found.totals),
                message=f"{reply.rel_path}: {detail}",
            )
        return ReplyReading(
            reply, QUARANTINED, layout=found.layout, notes=list(found.notes),
            message=f"{reply.rel_path}: {detail}", reason=LAYOUT_DOUBTS,
        )
    if not found.observations:
        return ReplyReading(
            reply, NO_DATA, layout=found.layout, notes=list(found.notes),
            message=f"{reply.rel_path}: no figures found"
            + (f" ({'; '.join(found.notes[:3])})" if found.notes else ""),
        )
    return ReplyReading(
        reply, LOADED, layout=found.layout,
        observations=list(found.observations), totals=list(found.totals),
        notes=list(found.notes),
    )


def _without_personal_data(reply: ReplyFile, workbook, reading: ReplyReading) -> ReplyReading:
    """The reading with no personal value left in it, and where the file seemed to hold
    some (sheet and cells, never the values).

    Every cell of every sheet, hidden or not, every comment and every sheet name is
    checked (flows.personal). A file whose figures can be read without those cells
    loads, flagged; one whose figures, labels or cell references touch them is
    quarantined. Messages and notes are scrubbed either way: they quote cells.
    The scan holds the values only here, in the process that read the file."""
    from flows.personal import read_comments, scan_workbook

    scan = scan_workbook(workbook, read_comments(reply.path, workbook.file_type),
                         table_ranges=_table_ranges(workbook, reading))
    if not scan.findings:
        return reading
    where = scan.descriptions()
    figures = reading.observations + reading.totals
    # a record list has a figure per row but few distinct texts: check each text once
    personal = {t for t in {t for o in figures for t in _texts(o)} if scan.touches(t)}
    touching = [o for o in figures if personal.intersection(_texts(o))] if personal else []
    message = scan.scrub(reading.message)
    notes = [scan.scrub(n) for n in reading.notes]
    if touching:
        cells = ", ".join(scan.scrub(o.source) for o in touching[:5]) + (" ..." if len(touching) > 5 else "")
        return ReplyReading(
            reply, QUARANTINED, layout=reading.layout, notes=notes, personal_data=where,
            reason=PERSONAL_DATA, refusal=reading.refusal,
            message=f"{reply.rel_path}: not read: its figures cannot be read without cells that look like "
                    f"personal data ({cells}); " + "; ".join(where[:3])
                    + ". Nothing from this file is kept; ask the force for a copy without personal data",
        )
    notes.append(f"{reply.rel_path}: " + "; ".join(where) + ": those cells were not read; "
                 "tell the force its reply held personal data")
    return replace(reading, message=message, notes=notes, personal_data=where)


def _texts(observation: Observation) -> tuple[str, ...]:
    """What an observation carries into the warehouse as text. Of a cell reference only
    the sheet's name can be personal ('Records!A5:D5' -> 'Records')."""
    return (observation.offence or "", observation.count.raw, _sheet_of(observation.source),
            _sheet_of(observation.table), observation.unclassified)


def _sheet_of(ref: str) -> str:
    """'' for a csv's 'line 12, column C', which the reader writes itself."""
    return ref.rsplit("!", 1)[0] if "!" in ref else ""


_LINES = re.compile(r"^lines? (\d+)(?:-(\d+))?$")


def _table_ranges(workbook, reading: ReplyReading) -> dict[str, list[tuple[int, int, int, int]]]:
    """Sheet -> (first row, first column, last row, last column) of each table read."""
    from flows.layouts.region import parse_range

    out: dict[str, set] = {}
    for table in {o.table for o in reading.observations + reading.totals}:  # a few, however many figures
        if "!" in table:
            sheet, cells = table.rsplit("!", 1)
            if len(sheet) > 1 and sheet[0] == sheet[-1] == "'":
                sheet = sheet[1:-1].replace("''", "'")
            try:
                out.setdefault(sheet, set()).add(parse_range(cells))
            except ValueError:
                pass
            continue
        m = _LINES.match(table)
        if m and workbook.sheets:
            last = int(m[2] or m[1])
            out.setdefault(workbook.sheets[0].name, set()).add((int(m[1]), 1, last, 16_384))
    return {sheet: sorted(ranges) for sheet, ranges in out.items()}


def nil_letter(reply: ReplyFile, text: str) -> ReplyReading | None:
    """A letter (txt, docx, pdf) that says no offences were recorded in the years it names:
    a nil return, 0 for each year. facts.py drops it for any force-year the force's other
    files give figures for, since a covering note's 'no offences were recorded where ...'
    must never cancel a table. `text`: the letter's text, read once by read_reply."""
    from flows.layouts.context import nil_years

    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]
    found = nil_years(sentences)
    if found is None:
        return None
    years, at = found
    from flows.personal import PersonalScan

    # the sentence is quoted as the figure's source: nothing in it that looks personal
    where = f"the letter: '{PersonalScan().scrub(sentences[at][:120])}'"
    return ReplyReading(
        reply, LOADED, layout=NIL_LAYOUT, observations=nil_observations(years, where, reply.rel_path),
        notes=[f"{reply.rel_path}: a nil return in words ({', '.join(years)})"],
    )


_SECTION = re.compile(r"\b(?:section|s\.?)\s*(12|14|21|30|31|38|40)\b", re.IGNORECASE)


def refusal_in(path: Path) -> str | None:
    """The FOI Act section a letter cites, when its text can be read cheaply."""
    return refusal_in_text(letter_text(path))


def refusal_in_text(text: str) -> str | None:
    """The FOI Act section a letter's text cites: 12 or 40 before any other."""
    found = _SECTION.findall(text)
    if not found:
        return None
    # Section 12 (cost) and 40 (personal data) are the refusals this request meets.
    for wanted in ("12", "40"):
        if wanted in found:
            return f"section {wanted}"
    return f"section {found[0]}"


def reader_fingerprint() -> str:
    """A hash of everything that decides how a file is read: the reader's code, the
    reference files it consults (forces, offence classes, titles and words, heading
    spellings) and the analysts' layout recipes. A change to any invalidates cached
    readings, so an alias an analyst adds takes effect on the next refresh."""
    from flows import PROJECT_ROOT
    from flows.fingerprint import files_digest

    return files_digest(reader_files(), PROJECT_ROOT)


def reader_files() -> list[Path]:
    """The files reader_fingerprint hashes (tests/test_incremental.py checks that every
    module a reading imports is among them)."""
    from flows import PROJECT_ROOT, SCHEMAS

    package = PROJECT_ROOT / "flows"
    return sorted(
        [*package.glob("cells/*.py"), *package.glob("layouts/*.py"), package / "labels.py",
         package / "observations.py", package / "reading.py", package / "classification.py",
         package / "offences.py", package / "forces.py", package / "letters.py",
         package / "personal.py", *SCHEMAS.glob("*.csv"), *SCHEMAS.glob("*.y*ml"),
         *SCHEMAS.glob("layouts/*.y*ml"), package / "__init__.py", package / "limits.py",
         package / "discover.py", package / "fingerprint.py", package / "rounds.py"]
    )


def reading_cache_key(reply: ReplyFile, fingerprint: str) -> str:
    """Cache readings on the file's bytes and the reader, never on the file's path."""
    key = f"{reply.sha256}:{reply.force_code}:{reply.file_type}:{fingerprint}"
    return hashlib.sha256(key.encode()).hexdigest()
