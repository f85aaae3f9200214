"""Each force's response to each round, and which forces the team should chase.

A row of `responses` per round and force (docs/warehouse.md): the response in one word
(data, partial, refused, nil_return, quarantined, no_machine_readable_data, no_reply),
the FOI Act section a letter cites, the years the figures cover, how many files came,
the date the letters are dated, and whether to chase, with why in the team's words.

Built from the readings in the facts stage (flows.facts); it opens no file. A reply's
date is the one its letter is dated with, found by the worker that read the letter
(flows.letters, ReplyReading.letter_dates), never the file's modification time, which
copying a folder changes.
`foi chase ROUND` (flows.cli) prints the rows with chase true.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flows.letters import reply_date_of

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
    None, from the dates the worker found in each letter (ReplyReading.letter_dates).
    Dates before `earliest` (the day the request was sent, or 1 January of its year)
    cannot be the reply's, nor can dates after today. Spreadsheets are not searched:
    their dates are the offences'."""
    found = [when for r in files
             if (when := reply_date_of(r.letter_dates, earliest)) is not None]
    return max(found, default=None)


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
