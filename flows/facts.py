"""Readings -> the rows of the warehouse's fact tables.

This is where a reply's words become codes (offence labels -> Home Office codes), where
several tables describing the same force-year are reconciled so nothing is counted
twice, and where every file gets its final status and message.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pandas as pd

from flows import reading as st
from flows.discover import Round
from flows.forces import load_forces
from flows.classification import Classification, group_of
from flows.labels import match_offence, normalise, offence_code
from flows.observations import NIL_LAYOUT, Observation
from flows.offences import load_offences
from flows.reading import ReplyReading
from flows.reviews import Review, load_reviews
from flows.rounds import rounds_frame

OFFENCES_COLUMNS = [
    "round", "force_code", "financial_year", "offence_code", "offence_description",
    "offence_group", "offence_classes", "offence_as_written", "victim_age_min", "victim_age_max", "offences", "suppressed",
    "offences_lower", "offences_upper", "sha256", "path", "source", "table_ref",
    "in_totals", "in_age_figures",
]
STATED_TOTALS_COLUMNS = [
    "round", "force_code", "financial_year", "offence_code", "victim_age_min",
    "victim_age_max", "offences", "suppressed", "offences_lower", "offences_upper",
    "parts_lower", "parts_upper", "loaded", "sha256", "path", "source", "table_ref",
]
RETURNS_COLUMNS = [
    "round", "force_code", "force_folder", "path", "sha256", "file_type", "size_bytes",
    "layout", "status", "reason", "message", "personal_data", "rows_loaded",
]
FORCE_REPLIES_COLUMNS = ["round", "force_code", "force_name", "reply", "message"]


@dataclass
class Facts:
    offences: pd.DataFrame
    stated_totals: pd.DataFrame
    returns: pd.DataFrame
    force_replies: pd.DataFrame
    messages: list[str] = field(default_factory=list)  # round-level problems
    rounds: pd.DataFrame | None = None  # the `rounds` table: the years each round asked for (flows.rounds)
    responses: pd.DataFrame | None = None  # a row per round and force (flows.responses)


@dataclass
class _Table:
    """The observations of one table of one file for one financial year."""

    reading: ReplyReading
    table: str
    rows: list[tuple[Observation, Classification | None]]  # (observation, its offence's classes)

    @property
    def known(self) -> int:
        return sum(o.count.value or 0 for o, _ in self.rows)

    @property
    def bounds(self) -> tuple[int, int]:
        return (sum(o.count.lower for o, _ in self.rows), sum(o.count.upper for o, _ in self.rows))

    @property
    def has_offences(self) -> bool:
        return any(code is not None for _, code in self.rows)

    @property
    def has_ages(self) -> bool:
        return any(o.age_min is not None for o, _ in self.rows)

    @property
    def where(self) -> str:
        return f"{self.reading.reply.rel_path} ({self.table})"


def build_facts(
    rounds: list[Round], readings: list[ReplyReading], reviews: dict[str, Review] | None = None
) -> Facts:
    """`reviews` by sha256; by default schemas/reviews.csv."""
    review_problems: list[str] = []
    if reviews is None:
        reviews, review_problems = load_reviews()
    _apply_reviews(readings, reviews)
    readings = _mark_duplicates(readings)
    codes = _map_offences(readings)
    tables = _tables_by_force_year(readings, codes)
    chosen, conflicts = _reconcile(tables)

    offences = _offences_frame(tables, chosen, conflicts)
    round_rows, round_notes = rounds_frame(rounds, offences)  # declared or inferred years, noted
    rows_loaded: dict[int, int] = defaultdict(int)
    for key, year_tables in tables.items():
        if key in conflicts:
            continue
        for t in year_tables:
            rows_loaded[id(t.reading)] += len(t.rows)
    for key, message in conflicts.items():
        for t in tables[key]:
            t.reading.status = st.CONFLICT if rows_loaded[id(t.reading)] == 0 else t.reading.status
            t.reading.message = _join(t.reading.message, message)

    from flows.responses import responses_frame

    return Facts(
        offences=offences,
        stated_totals=_stated_totals_frame(readings, conflicts),
        returns=_returns_frame(readings, rows_loaded),
        force_replies=_force_replies_frame(rounds, readings, rows_loaded),
        messages=[p for r in rounds for p in r.problems] + review_problems + round_notes,
        rounds=round_rows,
        responses=responses_frame(rounds, readings, rows_loaded, offences),
    )


def _apply_reviews(readings: list[ReplyReading], reviews: dict[str, Review]) -> None:
    for r in readings:
        review = reviews.get(r.reply.sha256)
        if review is None or r.status in (st.UNMATCHED_FORCE, st.NOT_MACHINE_READABLE):
            if r.status == st.TOTALS_DISAGREE:
                r.message = _join(r.message, "blocks publication until a reviewer decides in "
                                  f"schemas/reviews.csv (sha256 {r.reply.sha256[:12]})")
            continue
        if review.decision == "exclude":
            r.message = _join(f"{r.reply.rel_path}: excluded {review.describe()}",
                              f"before review: {r.status}" + (f" ({r.message})" if r.message else ""))
            r.status = st.EXCLUDED_BY_REVIEW
            r.observations, r.totals = [], []


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _mark_duplicates(readings: list[ReplyReading]) -> list[ReplyReading]:
    """The same bytes filed twice for one force are read once."""
    seen: dict[tuple[str, str | None, str], ReplyReading] = {}
    for r in sorted(readings, key=lambda r: r.reply.rel_path):
        key = (r.reply.round, r.reply.force_code, r.reply.sha256)
        if r.status == st.LOADED and key in seen:
            r.status = st.DUPLICATE
            r.message = f"{r.reply.rel_path}: same bytes as {seen[key].reply.rel_path}; read once"
            r.observations, r.totals = [], []
        elif r.status == st.LOADED:
            seen[key] = r
    return readings


UNCLASSIFIED = "unclassified"  # the offence group of a label a stated total proved to be a part


def _map_offences(readings: list[ReplyReading]) -> dict[str, Classification]:
    """Offence labels -> their classification. A file with a label that matches nothing
    (and that no stated total proved to be a part) is quarantined: leaving one offence
    out would make its totals silently wrong."""
    codes: dict[str, Classification] = {}
    for r in readings:
        if r.status != st.LOADED:
            continue
        unknown: dict[str, list[str]] = {}
        for o in r.observations:
            if o.offence is None:
                continue
            if o.offence not in codes:
                codes[o.offence] = match_offence(o.offence)
            if not codes[o.offence].recognised and not o.unclassified:
                unknown.setdefault(o.offence, []).append(o.source)
        if unknown:
            described = "; ".join(
                f"'{label}' at {', '.join(sources[:3])}" + (f" and {len(sources) - 3} more" if len(sources) > 3 else "")
                + f" ({codes[label].describe_unknown()})"
                for label, sources in list(unknown.items())[:5]
            )
            r.status = st.QUARANTINED
            r.message = _join(
                r.message,
                f"{r.reply.rel_path}: offence not recognised: {described}; or map the file in schemas/layouts/",
            )
            r.observations, r.totals = [], []
    return codes


ForceYear = tuple[str, str, str]  # round, force_code, financial_year


def _tables_by_force_year(
    readings: list[ReplyReading], codes: dict[str, Classification]
) -> dict[ForceYear, list[_Table]]:
    grouped: dict[ForceYear, dict[tuple[int, str], _Table]] = defaultdict(dict)
    for r in readings:
        if r.status != st.LOADED:
            continue
        for o in r.observations:
            key = (r.reply.round, r.reply.force_code, o.financial_year)
            tkey = (id(r), o.table)
            table = grouped[key].get(tkey)
            if table is None:
                table = grouped[key][tkey] = _Table(r, o.table, [])
            table.rows.append((o, None if o.offence is None else codes[o.offence]))
    return {k: _join_parts(_without_nil_beside_figures(list(v.values()))) for k, v in grouped.items()}


def _without_nil_beside_figures(tables: list[_Table]) -> list[_Table]:
    """A nil return in words ('no offences were recorded') stands for a force-year only
    when none of the force's files gives figures for it: beside a table it is a covering
    note's remark, and must not make the table a conflict."""
    figures = [t for t in tables if t.reading.layout != NIL_LAYOUT]
    return figures or tables


def _classes_of(t: _Table) -> set[str]:
    """Every class a table's rows may be (an unknown label stands for itself)."""
    out: set[str] = set()
    for o, match in t.rows:
        if o.offence is None:
            continue
        out |= set(match.classes) if match is not None and match.classes else {normalise(o.offence)}
    return out


def _join_parts(tables: list[_Table]) -> list[_Table]:
    """Tables of one file whose offences fall in different classes (one sheet per offence
    group) are parts of one answer, not two answers to compare: joined into one. Tables
    that share a class (a table by offence beside one by offence group: 'Rape of a child
    under 13' and 'Rape') stay apart, and _reconcile makes them agree or conflict."""
    by_file: dict[int, list[_Table]] = defaultdict(list)
    for t in tables:
        by_file[id(t.reading)].append(t)
    out: list[_Table] = []
    for group in by_file.values():
        with_offences = [t for t in group if t.has_offences and not t.has_ages]
        seen: set[str] = set()
        disjoint = len(with_offences) > 1
        for t in with_offences:
            classes = _classes_of(t)
            if classes & seen:
                disjoint = False
                break
            seen |= classes
        if not disjoint:
            out.extend(group)
            continue
        rows = [row for t in with_offences for row in t.rows]
        out.append(_Table(with_offences[0].reading, "; ".join(t.table for t in with_offences), rows))
        out.extend(t for t in group if t not in with_offences)
    return out


def _rank(t: _Table) -> tuple:
    """Most detailed first: offence and age > offence > age > neither; then most rows."""
    return (not (t.has_offences and t.has_ages), not t.has_offences, not t.has_ages,
            -len(t.rows), t.reading.reply.rel_path, t.table)


def _reconcile(
    tables: dict[ForceYear, list[_Table]],
) -> tuple[dict[ForceYear, tuple[_Table, _Table | None]], dict[ForceYear, str]]:
    """One table per force-year feeds the totals and one the ages. Others must agree
    with it (allowing for suppression) or the force-year is a conflict and left out."""
    chosen: dict[ForceYear, tuple[_Table, _Table | None]] = {}
    conflicts: dict[ForceYear, str] = {}
    for key, year_tables in tables.items():
        ranked = sorted(year_tables, key=_rank)
        primary = ranked[0]
        lo, hi = primary.bounds
        disagreeing = []
        for other in ranked[1:]:
            olo, ohi = other.bounds
            if ohi < lo or olo > hi:
                disagreeing.append(other)
        if disagreeing:
            parts = ", ".join(
                f"{_describe_total(t)} in {t.where}" for t in [primary, *disagreeing]
            )
            conflicts[key] = (
                f"conflict: {key[2]} totals disagree ({parts}); "
                f"{key[2]} left out for this force"
            )
            continue
        ages = next((t for t in ranked if t.has_ages), None)
        chosen[key] = (primary, ages)
    return chosen, conflicts


def _describe_total(t: _Table) -> str:
    lo, hi = t.bounds
    return str(t.known) if lo == hi else f"{t.known} known (between {lo} and {hi})"


def _offences_frame(
    tables: dict[ForceYear, list[_Table]],
    chosen: dict[ForceYear, tuple[_Table, _Table | None]],
    conflicts: dict[ForceYear, str],
) -> pd.DataFrame:
    ref = load_offences()
    cols: dict[str, list] = {c: [] for c in OFFENCES_COLUMNS}
    for key in sorted(tables):
        if key in conflicts:
            continue
        primary, ages = chosen[key]
        for t in tables[key]:
            reply = t.reading.reply
            for o, match in t.rows:
                code = match.code if match else None
                offence = ref.get(code) if code else None
                row = _observation_row(reply, o, o.table)
                if match is None:
                    group = None
                elif match.recognised:
                    group = group_of(match.classes)
                else:
                    group = UNCLASSIFIED
                row.update(
                    offence_code=code,
                    offence_description=offence.description if offence else None,
                    offence_group=group,
                    offence_classes="|".join(sorted(match.classes)) if match and match.classes else None,
                    offence_as_written=o.offence,
                    in_totals=t is primary,
                    in_age_figures=t is ages,
                )
                for c in OFFENCES_COLUMNS:
                    cols[c].append(row[c])
    return _frame(cols, OFFENCES_COLUMNS, ints=("victim_age_min", "victim_age_max", "offences",
                                               "offences_lower", "offences_upper"))


def _observation_row(reply, o: Observation, table: str) -> dict:
    """The columns an observation gives every fact table: where, when, who, how many."""
    return {
        "round": reply.round, "force_code": reply.force_code, "financial_year": o.financial_year,
        "victim_age_min": o.age_min, "victim_age_max": o.age_max,
        "offences": o.count.value, "suppressed": o.count.suppressed,
        "offences_lower": o.count.lower, "offences_upper": o.count.upper,
        "sha256": reply.sha256, "path": reply.rel_path, "source": o.source, "table_ref": table,
    }


def _frame(cols: dict[str, list], columns: list[str], ints: Iterable[str] = ()) -> pd.DataFrame:
    frame = pd.DataFrame({c: cols[c] for c in columns}, columns=columns)
    for c in ints:
        frame[c] = frame[c].astype("Int64")
    return frame


def _stated_totals_frame(readings: list[ReplyReading], conflicts: dict[ForceYear, str]) -> pd.DataFrame:
    """Every total a reply states, beside the range its parts allow. The totals of a
    reply whose figures were kept out because they disagree are here too (loaded false):
    the stated_totals suite fails on them, so publication waits for a reviewer."""
    cols: dict[str, list] = {c: [] for c in STATED_TOTALS_COLUMNS}
    for r in readings:
        if r.status not in (st.LOADED, st.TOTALS_DISAGREE):
            continue
        reply = r.reply
        for o in r.totals:
            if (reply.round, reply.force_code, o.financial_year) in conflicts:
                continue
            row = _observation_row(reply, o, o.table)
            row.update(
                offence_code=offence_code(o.offence) if o.offence else None,
                parts_lower=o.parts_lower, parts_upper=o.parts_upper,
                loaded=r.status == st.LOADED,
            )
            for c in STATED_TOTALS_COLUMNS:
                cols[c].append(row[c])
    return _frame(cols, STATED_TOTALS_COLUMNS,
                  ints=("victim_age_min", "victim_age_max", "offences", "offences_lower",
                        "offences_upper", "parts_lower", "parts_upper"))


def next_steps(path: Path | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(by reason, by status): what a reviewer should do about a file not loaded
    (schemas/next_steps.yaml)."""
    import yaml

    from flows import SCHEMAS

    data = yaml.safe_load((path or SCHEMAS / "next_steps.yaml").read_text(encoding="utf-8")) or {}
    clean = lambda d: {str(k): " ".join(str(v).split()) for k, v in (d or {}).items()}  # noqa: E731
    return clean(data.get("reasons")), clean(data.get("statuses"))


def next_step(status: str, reason: str | None, steps: tuple[dict[str, str], dict[str, str]]) -> str | None:
    """The step for a file's reason code, else for its status; None for a loaded file."""
    if status == st.LOADED:
        return None
    by_reason, by_status = steps
    if reason is not None and reason in by_reason:
        return by_reason[reason]
    if reason is not None and (reason.startswith("limit:") or reason.startswith("budget:")
                               or reason == st.PERSONAL_DATA):
        return None  # their messages name the limit, budget or cells, and what to do
    return by_status.get(status)


def _returns_frame(readings: list[ReplyReading], rows_loaded: dict[int, int]) -> pd.DataFrame:
    cols: dict[str, list] = {c: [] for c in RETURNS_COLUMNS}
    steps = next_steps()
    for r in sorted(readings, key=lambda r: (r.reply.round, r.reply.rel_path)):
        reply = r.reply
        message = r.message
        if r.status == st.LOADED and r.notes:
            message = _join(message, *r.notes)
        step = next_step(r.status, r.reason, steps)
        if step:
            message = f"{message.rstrip('. ')}. What to do: {step}" if message else f"What to do: {step}"
        cols["round"].append(reply.round)
        cols["force_code"].append(reply.force_code)
        cols["force_folder"].append(reply.force_folder)
        cols["path"].append(reply.rel_path)
        cols["sha256"].append(reply.sha256)
        cols["file_type"].append(reply.file_type)
        cols["size_bytes"].append(reply.size_bytes)
        cols["layout"].append(r.layout)
        cols["status"].append(r.status)
        cols["reason"].append(r.reason)
        cols["message"].append(message or None)
        cols["personal_data"].append("; ".join(r.personal_data) or None)
        cols["rows_loaded"].append(rows_loaded.get(id(r), 0))
    return _frame(cols, RETURNS_COLUMNS, ints=("size_bytes", "rows_loaded"))


def _force_replies_frame(
    rounds: list[Round], readings: list[ReplyReading], rows_loaded: dict[int, int]
) -> pd.DataFrame:
    """A row per force and round, so forces without data are listed with the reason."""
    by_force: dict[tuple[str, str], list[ReplyReading]] = defaultdict(list)
    for r in readings:
        if r.reply.force_code:
            by_force[(r.reply.round, r.reply.force_code)].append(r)
    cols: dict[str, list] = {c: [] for c in FORCE_REPLIES_COLUMNS}
    for rnd in sorted(rounds, key=lambda r: r.name):
        for force in load_forces():
            files = by_force.get((rnd.name, force.code), [])
            reply, message = _force_reply(files, rows_loaded)
            cols["round"].append(rnd.name)
            cols["force_code"].append(force.code)
            cols["force_name"].append(force.name)
            cols["reply"].append(reply)
            cols["message"].append(message or None)
    return _frame(cols, FORCE_REPLIES_COLUMNS)


def _force_reply(files: list[ReplyReading], rows_loaded: dict[int, int]) -> tuple[str, str]:
    if not files:
        return "no_reply", "no folder for this force in the round"
    if any(rows_loaded.get(id(r), 0) for r in files):
        troubled = [r.message for r in files if r.status not in (st.LOADED, st.NOT_MACHINE_READABLE, st.DUPLICATE)]
        return "data", "; ".join(troubled)
    refusals = sorted({r.refusal for r in files if r.refusal})
    kept_out = (st.QUARANTINED, st.CONFLICT, st.TOTALS_DISAGREE, st.EXCLUDED_BY_REVIEW)
    if any(r.status in kept_out for r in files):
        return "quarantined", "; ".join(r.message for r in files if r.status in kept_out)
    if refusals:
        return "refused", "refused under " + " and ".join(refusals)
    if all(r.status == st.NOT_MACHINE_READABLE for r in files):
        return "no_machine_readable_data", "; ".join(r.reply.rel_path for r in files)
    return "no_data", "; ".join(r.message for r in files if r.message)
