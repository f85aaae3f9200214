"""Each force's response to each round, and which forces the team should chase.

A row of `responses` per round and force (docs/warehouse.md): the response in one word
(data, partial, refused, nil_return, quarantined, no_machine_readable_data, no_reply),
the FOI Act section a letter cites, the years the figures cover, how many files came,
the date the letters are dated, and whether to chase, with why in the team's words.

Built from the readings in the facts stage (flows.facts). The only file this module
opens itself is a letter, to find the date written in it: read bounded (a few MB at
most, a docx's text part through a counter), never followed through a link, and never
dated by the file's modification time, which copying a folder changes.
`foi chase ROUND` (flows.cli) prints the rows with chase true.
"""
from __future__ import annotations

import html
import os
import re
import stat
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

RESPONSES_COLUMNS = [
    "round", "force_code", "force_name", "response", "refusal_section", "years_given",
    "files", "reply_date", "chase", "chase_reason",
]

DATA, PARTIAL, REFUSED, NIL_RETURN = "data", "partial", "refused", "nil_return"
QUARANTINED, NO_MACHINE_READABLE_DATA, NO_REPLY = "quarantined", "no_machine_readable_data", "no_reply"

# The FOI Act 2000 sections refusals cite (flows.reading.refusal_in finds them), what
# each is about, and what the team asks for next.
SECTION_TITLES = {
    "12": "cost", "14": "vexatious or repeated request", "21": "accessible by other means",
    "30": "investigations", "31": "law enforcement", "38": "health and safety",
    "40": "personal data",
}
SUGGESTIONS = {
    "12": "ask for a narrower request",
    "14": "ask for an internal review",
    "21": "ask where it is published",
    "30": "ask for an internal review",
    "31": "ask for an internal review",
    "38": "ask for an internal review",
    "40": "ask for counts with small numbers suppressed",
}


@dataclass(frozen=True)
class Response:
    response: str
    refusal_section: str | None
    years_given: list[str]
    files: int
    reply_date: date | None
    chase: bool
    chase_reason: str | None


def responses_frame(rounds, readings, rows_loaded: dict[int, int], offences):
    """A row per round and each of the 43 forces. `rows_loaded`: rows of `offences` by
    id(reading); `offences`: the offences frame (its in_totals rows give the years)."""
    import pandas as pd

    from flows.forces import load_forces

    by_force: dict[tuple[str, str], list] = defaultdict(list)
    for r in readings:
        if r.reply.force_code:
            by_force[(r.reply.round, r.reply.force_code)].append(r)
    years: dict[tuple[str, str], set[str]] = defaultdict(set)
    if len(offences):
        counted = offences[offences["in_totals"].astype(bool)]
        for (rnd, force), fy in counted.groupby(["round", "force_code"])["financial_year"]:
            years[(rnd, force)] = set(fy)
    asked_by_round = years_asked(rounds, offences)
    rows = []
    for rnd in sorted(rounds, key=lambda r: r.name):
        declared = getattr(rnd, "round_file", None)  # raw/<round>/round.yaml (flows.rounds)
        sent = declared.sent if declared is not None and not declared.problem else None
        earliest = sent or _round_start(rnd.name)
        for force in load_forces():
            files = by_force.get((rnd.name, force.code), [])
            got = response_of(files, rows_loaded, years.get((rnd.name, force.code), set()),
                              asked_by_round.get(rnd.name, set()), earliest=earliest)
            rows.append({
                "round": rnd.name, "force_code": force.code, "force_name": force.name,
                "response": got.response, "refusal_section": got.refusal_section,
                "years_given": ", ".join(got.years_given) or None, "files": got.files,
                "reply_date": got.reply_date, "chase": got.chase, "chase_reason": got.chase_reason,
            })
    frame = pd.DataFrame(rows, columns=RESPONSES_COLUMNS)
    frame["files"] = frame["files"].astype("Int64")
    frame["chase"] = frame["chase"].astype(bool)
    frame["reply_date"] = pd.to_datetime(frame["reply_date"])  # DATE in the warehouse
    return frame


def years_asked(rounds, offences) -> dict[str, set[str]]:
    """Round -> the financial years it asked for, as the `rounds` table gives them
    (flows.rounds): those raw/<round>/round.yaml declares, else those most forces'
    figures give (one force sending an extra year does not make every other reply
    partial)."""
    from flows.rounds import rounds_frame

    frame, _ = rounds_frame(rounds, offences)
    return {name: set(years) for name, years in zip(frame["round"], frame["years_requested"])}


def response_of(files: list, rows_loaded: dict[int, int], given: set[str], asked: set[str],
                earliest: date | None = None) -> Response:
    """One force's response to one round, from the readings of its files."""
    from flows import reading as st
    from flows.observations import NIL_LAYOUT

    if not files:
        return Response(NO_REPLY, None, [], 0, None, True, "no reply")
    sections = sorted({r.refusal for r in files if r.refusal}, key=_section_number)
    section = ", ".join(sections) or None
    when = reply_date(files, earliest)
    years = sorted(given)
    kept_out = [r for r in files if r.status in (st.QUARANTINED, st.CONFLICT, st.TOTALS_DISAGREE,
                                                 st.EXCLUDED_BY_REVIEW)]
    loading = [r for r in files if rows_loaded.get(id(r), 0)]

    def response(kind: str, reason: str | None) -> Response:
        return Response(kind, section, years, len(files), when, reason is not None, reason)

    if loading:
        reasons = []
        missing = sorted(asked - given)
        if missing:
            reasons.append(f"gave {', '.join(years)} only; {', '.join(missing)} "
                           f"{'was' if len(missing) == 1 else 'were'} asked for")
        if kept_out:
            data_files = len(kept_out) + len(loading)
            reasons.append(f"{len(kept_out)} of {data_files} data files not loaded: {_first(kept_out)}")
        if reasons:
            return response(PARTIAL, "; ".join(reasons))
        if all(r.layout == NIL_LAYOUT for r in loading):
            return response(NIL_RETURN, None)
        return response(DATA, None)
    if kept_out:
        return response(QUARANTINED, f"every file quarantined: {_first(kept_out)}")
    if sections:
        return response(REFUSED, "; ".join(_refusal_reason(s) for s in sections))
    if all(r.status == st.NOT_MACHINE_READABLE for r in files):
        return response(NO_MACHINE_READABLE_DATA,
                        "sent a letter with no figures and no refusal: ask for the figures")
    # a spreadsheet without figures (or only copies of a file read elsewhere)
    return response(NO_MACHINE_READABLE_DATA,
                    "sent no figures: " + (_first([r for r in files if r.message]) or "ask for the figures"))


def _section_number(section: str) -> int:
    digits = re.sub(r"\D", "", section)
    return int(digits) if digits else 0


def _refusal_reason(section: str) -> str:
    """'section 12' -> 'refused under section 12 (cost): ask for a narrower request'."""
    number = re.sub(r"\D", "", section)
    title = SECTION_TITLES.get(number)
    reason = f"refused under {section}" + (f" ({title})" if title else "")
    return reason + f": {SUGGESTIONS.get(number, 'ask for an internal review')}"


def _first(readings: list) -> str:
    """The first message of these files (by path), as the team reads it."""
    for r in sorted(readings, key=lambda r: r.reply.rel_path):
        if r.message:
            return r.message
    return ""


def _round_start(name: str) -> date | None:
    """1 January of the year a round's name starts with: the year its request was sent."""
    m = re.match(r"(19|20)\d\d", name)
    return date(int(m.group(0)), 1, 1) if m else None


# --- the date a reply is dated ------------------------------------------------------------

def reply_date(files: list, earliest: date | None = None) -> date | None:
    """The latest date the force's letters are dated ('Date: 14 March 2017',
    'Dated 14/03/2017', 'Our ref: FOI/123 14.03.2017', or a date alone on a line), or
    None. Dates before `earliest` (the day the request was sent, or 1 January of its
    year) cannot be the reply's, nor can dates after today. Spreadsheets are not searched: their dates are the offences'."""
    found = []
    for r in files:
        if r.reply.is_data or r.reply.not_opened:
            continue
        text = letter_text(r.reply.path)
        when = letter_date(text, earliest=earliest)
        if when is not None:
            found.append(when)
    return max(found, default=None)


_MONTHS = {m: i for i, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")), start=1) for m in names}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE = re.compile(
    r"\b(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH.replace("(", "(?P<m1>", 1) + r",?\s+(?P<y1>\d{4})"
    r"|" + _MONTH.replace("(", "(?P<m2>", 1) + r"\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})"
    r"|(?P<d4>\d{1,2})(?P<sep>[/.\-])(?P<m4>\d{1,2})(?P=sep)(?P<y4>\d{4}|\d{2}))(?![\d/])",
    re.IGNORECASE,
)
# The words a reply's date follows, and how far after them (characters) it may be.
_DATED = re.compile(r"\b(?:date[d]?|date of (?:response|reply|letter)|our ref(?:erence)?)\b", re.IGNORECASE)
_NEAR = 80
# ... unless the date is another's: the request's, its receipt's, an offence's, a birth.
_NOT_THE_REPLY = re.compile(
    r"request|received|receipt|your (?:e-?mail|letter|correspondence)|offence|incident|birth|recorded",
    re.IGNORECASE,
)
_ALONE = re.compile(r"^\W*(?P<date>.{6,30}?)\W*$")


def letter_date(text: str, earliest: date | None = None, today: date | None = None) -> date | None:
    """The latest date in a letter written after 'Date'/'Dated'/'Our ref' (within a line
    or so) or standing alone on a line; None when it gives none."""
    today = today or date.today()
    found: list[date] = []
    for key in _DATED.finditer(text):
        before = text[max(0, key.start() - 40):key.start()]
        window = text[key.end():key.end() + _NEAR]
        m = _DATE.search(window)
        if m is None:
            continue
        if _NOT_THE_REPLY.search(before.split("\n")[-1]) or _NOT_THE_REPLY.search(window[:m.start()]):
            continue
        found.append(_as_date(m))
    for line in text.splitlines():
        alone = _ALONE.match(line.strip())
        if alone and (m := _DATE.fullmatch(alone.group("date"))):
            found.append(_as_date(m))
    good = [d for d in found if d is not None and d <= today
            and (earliest is None or d >= earliest)]
    return max(good, default=None)


def _as_date(m: re.Match) -> date | None:
    g = m.groupdict()
    try:
        if g["m1"]:
            return date(int(g["y1"]), _MONTHS[g["m1"].lower()], int(g["d1"]))
        if g["m2"]:
            return date(int(g["y2"]), _MONTHS[g["m2"].lower()], int(g["d2"]))
        if g["y3"]:
            return date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
        year = int(g["y4"])
        if year < 100:
            year += 2000
        return date(year, int(g["m4"]), int(g["d4"]))  # day first: British letters
    except ValueError:  # 31/02/2017, 14/13/2017: not a date
        return None


LETTER_BYTES = 2_000_000  # a letter's text is a few KB; more is never read


def letter_text(path: Path, limit: int = LETTER_BYTES) -> str:
    """A letter's text, reading at most `limit` bytes of it (of a docx: of its text part,
    however big the archive says it is). Lines are kept where the format has them (a
    docx's paragraphs). Empty for anything that is not a regular file or cannot be read."""
    try:
        # never through a link, never blocking on a pipe: only the regular file itself
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return ""
            suffix = path.suffix.lower()
            if suffix == ".docx":
                with zipfile.ZipFile(fh) as zf, zf.open("word/document.xml") as part:
                    xml = part.read(limit).decode("utf-8", errors="replace")
                runs = re.findall(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|(</w:p>)", xml)
                return html.unescape("".join("\n" if end else text for text, end in runs))
            raw = fh.read(limit)
        if suffix == ".pdf":  # uncompressed text operators, a line each: (....) Tj
            return "\n".join(m.decode("latin-1") for m in re.findall(rb"\(((?:\\.|[^\\()])*)\)\s*T[jJ]", raw))
        text = raw.decode("utf-8", errors="replace")
        if suffix in (".html", ".htm"):
            text = html.unescape(re.sub(r"<[^>]*>", "\n", text))
        return text
    except Exception:
        return ""


# --- `foi chase` ------------------------------------------------------------------------------

class RoundNameError(ValueError):
    """A round name that means no round of the warehouse, or several."""


def resolve_round(wanted: str, rounds: list[str]) -> str:
    """The round `wanted` names: itself, or the one round it is a prefix of."""
    if wanted in rounds:
        return wanted
    matches = sorted(r for r in rounds if r.startswith(wanted))
    if len(matches) == 1:
        return matches[0]
    there = ", ".join(sorted(rounds)) or "none"
    if matches:
        raise RoundNameError(f"'{wanted}' could be {len(matches)} rounds: {', '.join(matches)}; "
                             "give more of the name")
    raise RoundNameError(f"no round is called or starts with '{wanted}'; the rounds are: {there}")


def to_chase(warehouse_path: Path, wanted: str) -> tuple[str, list[dict]]:
    """(the round `wanted` names, its forces to chase by force name with chase_reason)."""
    from flows.warehouse import rows

    try:
        rounds = [r["round"] for r in rows(warehouse_path, "SELECT DISTINCT round FROM responses")]
    except Exception as exc:  # a warehouse published before the table existed
        if "responses" not in str(exc):
            raise
        raise RoundNameError(f"{warehouse_path} has no responses table; run `foi refresh` again") from exc
    name = resolve_round(wanted, rounds)
    return name, rows(warehouse_path, """
        SELECT force_name, force_code, response, refusal_section, years_given, reply_date, chase_reason
        FROM responses WHERE round = ? AND chase ORDER BY force_name""", [name])
