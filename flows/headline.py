"""The headline report: the figures the charity publishes, with their caveats, as one
offline HTML page and the same figures in Markdown for a press office.

    build_headline_report(warehouse_path, out_dir) -> (out_dir/headline.html, out_dir/headline.md)

Read from a published warehouse (a read-only DuckDB connection; docs/warehouse.md says
what every column means): `headline_figures` per financial year, each figure beside what
limits it (how many of the forces gave data, the range suppression leaves, the forces
that refused, did not reply or were quarantined, a baseline a later round restated);
four charts (offences by force, by victim age, by offence group, each force's change on
its previous year) drawn by matplotlib as inline SVG, legible in black and white; the
`responses` table; and the run that published the file.

The HTML loads nothing: its CSS is inline and its charts are SVG elements in the page,
with no fonts, scripts or images fetched from anywhere. Both files come from Jinja
templates in flows/report/templates with escaping on: HTML-escaped in the page,
Markdown-escaped in the Markdown (messages in `responses` come from replies). Each file
is written beside itself and renamed into place, so a reader never sees half of one.
Plain functions, no Prefect; matplotlib is imported only while the charts are drawn.
"""
from __future__ import annotations

import io
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

import duckdb

TEMPLATES = Path(__file__).resolve().parent / "report" / "templates"
HTML_NAME = "headline.html"
MD_NAME = "headline.md"
CHART_IDS = ("chart-by-force", "chart-by-age", "chart-by-group", "chart-changes")

# What the sections of the Freedom of Information Act 2000 a refusal most often cites cover.
FOI_SECTIONS = {
    "12": "cost of compliance",
    "14": "vexatious or repeated request",
    "21": "reasonably accessible by other means",
    "22": "intended for future publication",
    "23": "security bodies",
    "24": "national security",
    "30": "investigations and proceedings",
    "31": "law enforcement",
    "38": "health and safety",
    "40": "personal information",
    "41": "provided in confidence",
    "43": "commercial interests",
}

RESPONSE_WORDS = {
    "data": "gave figures",
    "partial": "gave some figures",
    "refused": "refused",
    "nil_return": "nil return (no offences recorded)",
    "quarantined": "files quarantined (not used)",
    "no_machine_readable_data": "no figures that could be read",
    "no_reply": "no reply",
}

# How a force missing from a year is described, in the order the caveat lists them.
_MISSING_GROUPS = (
    ("refused", "refused"),
    ("no_reply", "did not reply"),
    ("quarantined", "quarantined (every file held back: the reader was not sure of it)"),
    ("no_machine_readable_data", "sent no figures that could be read"),
    ("no_figures_for_year", "gave no figures for the year"),
    ("not_asked", "were not asked for the year"),
    ("no_record", "have no reply on record"),
)


# --- reading the warehouse ------------------------------------------------------------


def read_warehouse(warehouse_path: Path | str) -> dict[str, list[dict]]:
    """Every table the report shows, as lists of dicts, over one read-only connection."""
    queries = {
        "forces": "SELECT force_code, force_name FROM forces ORDER BY force_name",
        "headline": "SELECT * FROM headline_figures ORDER BY financial_year",
        "totals": "SELECT * FROM force_year_totals ORDER BY financial_year, force_name",
        "ages": "SELECT * FROM age_distribution ORDER BY financial_year, victim_age",
        "groups": "SELECT * FROM offence_group_totals ORDER BY financial_year, offence_group",
        "changes": "SELECT * FROM force_year_changes ORDER BY financial_year, force_name",
        "responses": "SELECT * FROM responses ORDER BY round, force_name",
        "published": "SELECT * FROM published_figures ORDER BY financial_year, round",
        "rounds": "SELECT round, years_requested, title, sent FROM rounds ORDER BY round",
        "runs": "SELECT run_id, started_at, finished_at, code_version, status FROM runs "
                "ORDER BY finished_at DESC NULLS LAST, started_at DESC NULLS LAST",
        "age_forces": "SELECT financial_year, count(DISTINCT force_code) AS forces FROM current_offences "
                      "WHERE in_age_figures AND victim_age_min IS NOT NULL GROUP BY financial_year",
    }
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        out = {}
        for name, sql in queries.items():
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            out[name] = [dict(zip(names, row)) for row in cur.fetchall()]
        return out
    finally:
        con.close()


# --- numbers as the charity writes them ----------------------------------------------


def count(value: Any) -> str:
    """5,653; 'not known' for a missing figure."""
    return "not known" if value is None else f"{int(value):,}"


def pct(value: Any) -> str:
    """+44.8%, -6.2%, +0.0%."""
    return "not known" if value is None else f"{float(value):+.1f}%"


def per_day(value: Any) -> str:
    """15.5 a day."""
    return "not known" if value is None else f"{float(value):,.1f} a day"


def signed(value: int) -> str:
    """+139, -12."""
    return f"{int(value):+,}"


def _year_start(financial_year: str) -> int:
    return int(financial_year[:4])


def year_span(financial_year: str) -> tuple[str, int]:
    """'1 April 2016 to 31 March 2017' and its days."""
    start = _year_start(financial_year)
    days = (date(start + 1, 4, 1) - date(start, 4, 1)).days
    return f"1 April {start} to 31 March {start + 1}", days


def when(value: Any) -> str | None:
    """A run's time as '2 December 2026, 00:52 UTC'."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return f"{value.day} {value:%B %Y, %H:%M} UTC"
    return str(value)


def sections(refusal_section: str | None) -> str:
    """'section 40: personal information'; several joined by ', '."""
    if not refusal_section:
        return ""
    parts = []
    for part in str(refusal_section).split(","):
        part = part.strip()
        found = re.search(r"\d+", part)
        covers = FOI_SECTIONS.get(found[0]) if found else None
        parts.append(f"{part}: {covers}" if covers else part)
    return ", ".join(parts)


# --- the figures and their caveats ---------------------------------------------------


@dataclass
class Figure:
    label: str
    value: str
    caveat: str
    key: str = ""  # a stable name for the row (the HTML's id)


@dataclass
class Year:
    financial_year: str
    summary: str
    figures: list[Figure]
    missing: list[tuple[str, list[str]]]  # (how, ["Gloucestershire (section 40 ...)", ...])
    restatements: list[str] = field(default_factory=list)


def _round_years(data: dict) -> dict[str, list[str]]:
    return {r["round"]: list(r["years_requested"] or []) for r in data["rounds"]}


def missing_forces(data: dict, financial_year: str) -> list[tuple[str, list[str]]]:
    """The forces with no figures for the year, grouped by why: from `responses`, the
    newest round that asked for the year (else the newest round the force is in)."""
    have = {t["force_code"] for t in data["totals"] if t["financial_year"] == financial_year}
    asked = _round_years(data)
    by_force: dict[str, list[dict]] = {}
    for r in data["responses"]:
        by_force.setdefault(r["force_code"], []).append(r)
    groups: dict[str, list[str]] = {}
    for force in data["forces"]:
        if force["force_code"] in have:
            continue
        replies = sorted(by_force.get(force["force_code"], []), key=lambda r: r["round"])
        asking = [r for r in replies if financial_year in asked.get(r["round"], [])]
        reply = (asking or replies or [None])[-1]
        name = force["force_name"]
        if reply is None:  # the warehouse has no `responses` rows
            kind, text = "no_record", name
        elif not asking:
            kind, text = "not_asked", name
        elif reply["response"] == "refused":
            kind = "refused"
            text = f"{name} ({sections(reply['refusal_section'])})" if reply["refusal_section"] else name
        elif reply["response"] in ("no_reply", "quarantined", "no_machine_readable_data"):
            kind, text = reply["response"], name
        else:  # figures, but none for this year (or a nil return that did not load)
            kind = "no_figures_for_year"
            text = f"{name} ({reply['chase_reason']})" if reply.get("chase_reason") else name
        groups.setdefault(kind, []).append(text)
    return [(how, groups[kind]) for kind, how in _MISSING_GROUPS if kind in groups]


def _missing_sentence(missing: list[tuple[str, list[str]]]) -> str:
    if not missing:
        return "Every force gave figures."
    n = sum(len(names) for _, names in missing)
    return f"Not included ({n}): " + "; ".join(f"{how}: {', '.join(names)}" for how, names in missing) + "."


def year_figures(data: dict, row: dict, previous: dict | None) -> Year:
    fy = row["financial_year"]
    n_forces = len(data["forces"])
    missing = missing_forces(data, fy)
    span, days = year_span(fy)
    suppressed_cells = sum(t["suppressed_cells"] or 0 for t in data["totals"] if t["financial_year"] == fy)
    offences, upper = row["offences"], row["offences_upper"]
    forces_text = f"{row['forces_with_data']} of {n_forces} forces"
    age_forces = next((a["forces"] for a in data["age_forces"] if a["financial_year"] == fy), 0)
    ages_from = (f"from the {age_forces} of {n_forces} forces whose replies give victims' exact ages"
                 if age_forces else "from the forces whose replies give victims' ages")

    if suppressed_cells:
        suppression = (
            f"{count(suppressed_cells)} counts were suppressed by forces (small numbers hidden, e.g. '*' for 1 to 4). "
            f"A suppressed count is never counted as 0 and is not guessed: it is left out of {count(offences)}, "
            f"so the true total is between {count(offences)} and {count(upper)}.")
    else:
        suppression = f"No count was suppressed: {count(offences)} is every offence the forces counted."
    figures = [
        Figure("Offences recorded", count(offences),
               f"The sum of the counts {forces_text} gave for {fy}. {suppression}", "offences"),
        Figure("Forces with data", forces_text, _missing_sentence(missing), "forces"),
    ]
    if row["previous_year_offences"] is not None and previous is not None:
        prev_fy = previous["financial_year"]
        figures.append(Figure(
            f"Change on {prev_fy} (as published)", pct(row["pct_change"]),
            f"{count(offences)} against the {count(row['previous_year_offences'])} published for {prev_fy}. "
            f"The two totals come from different sets of forces ({row['forces_with_data']} for {fy}, "
            f"{previous['forces_with_data']} for {prev_fy}), so part of the change may be forces joining or "
            f"leaving rather than offences.", "pct_change"))
        figures.append(Figure(
            "Like-for-like change", pct(row["like_for_like_pct_change"]),
            f"Over the {row['matched_forces']} forces that gave figures for both {prev_fy} and {fy}: "
            f"the fairer comparison of the two years.", "like_for_like"))
    else:
        figures.append(Figure("Change on the previous year", "not known",
                              "The warehouse has no figures for the year before.", "pct_change"))
    figures.append(Figure(
        "Offences a day", per_day(row["per_day"]),
        f"{count(offences)} offences over the {days} days from {span}; the caveats on the total apply.",
        "per_day"))
    if row["modal_age"] is not None:
        certain = ("Suppressed counts at other ages cannot reach it." if row["modal_age_certain"] else
                   "Suppressed counts at another age could reach or pass it: quote this age with care.")
        figures.append(Figure(
            "Most common victim age", f"{row['modal_age']} ({count(row['modal_age_offences'])} offences)",
            f"The exact age with the most known offences, {ages_from}; ties go to the youngest. {certain}",
            "modal_age"))
    else:
        figures.append(Figure("Most common victim age", "not known",
                              f"No exact victim age has a known count for {fy}.", "modal_age"))
    if row["aged_10_and_under"] is not None:
        under = row["aged_10_and_under_upper"]
        more = (f"with suppressed counts it could be up to {count(under)}."
                if under is not None and under != row["aged_10_and_under"] else "no count at those ages was suppressed.")
        figures.append(Figure(
            "Victims aged 10 and under", count(row["aged_10_and_under"]),
            f"Known counts at exact ages of 10 or under and in age bands wholly 10 or under, {ages_from}; {more}",
            "aged_10_and_under"))
    else:
        figures.append(Figure("Victims aged 10 and under", "not known", f"No ages were given for {fy}.",
                              "aged_10_and_under"))
    figures.append(Figure(
        "Youngest victim age", "not known" if row["youngest_age"] is None else str(row["youngest_age"]),
        f"The youngest exact age with an offence recorded (a known count, or a suppressed small count), {ages_from}.",
        "youngest_age"))

    restatements = []
    for p in data["published"]:
        if p["financial_year"] == fy and p["restated_by"]:
            restatements.append(
                f"First published as {count(p['offences'])} ({p['forces_with_data']} forces) by the round "
                f"{p['round']}; today {count(p['current_offences'])} ({p['current_forces_with_data']} forces), "
                f"{signed(p['restated_by'])}, by later rounds' restatements and by forces whose figures only "
                f"other rounds give.")
    if restatements:
        figures.append(Figure("First published", "; ".join(
            f"{count(p['offences'])} by {p['round']}" for p in data["published"]
            if p["financial_year"] == fy and p["restated_by"]),
            " ".join(restatements), "restated"))

    summary = f"{fy}: {count(offences)} offences from {forces_text}, {per_day(row['per_day'])}"
    if row["previous_year_offences"] is not None and previous is not None:
        summary += (f", {pct(row['pct_change'])} on {previous['financial_year']} "
                    f"({pct(row['like_for_like_pct_change'])} like for like)")
    return Year(fy, summary + ".", figures, missing, restatements)


def response_rows(data: dict) -> list[dict]:
    rows = []
    for r in data["responses"]:
        rows.append({
            "round": r["round"], "force": r["force_name"], "response": RESPONSE_WORDS.get(r["response"], r["response"]),
            "code": r["response"], "refusal_section": sections(r["refusal_section"]),
            "years_given": r["years_given"] or "", "chase_reason": r["chase_reason"] or "",
        })
    return rows


def response_summary(data: dict) -> list[str]:
    """'2017-online-...: 43 forces: 39 gave figures, 1 gave some figures, 2 refused, 1 no reply.'"""
    out = []
    for rnd in sorted({r["round"] for r in data["responses"]}):
        rows = [r for r in data["responses"] if r["round"] == rnd]
        tally: dict[str, int] = {}
        for r in rows:
            tally[r["response"]] = tally.get(r["response"], 0) + 1
        parts = [f"{n} {RESPONSE_WORDS.get(k, k)}" for k, n in sorted(tally.items(), key=lambda kv: -kv[1])]
        out.append(f"{rnd}: {len(rows)} forces: {', '.join(parts)}.")
    return out


# --- charts ---------------------------------------------------------------------------


@dataclass
class Chart:
    id: str
    title: str
    description: str
    svg: str | None  # the <svg> element, or None when there is nothing to draw
    columns: list[str]
    rows: list[list[str]]  # the chart's figures, as a table
    note: str = ""


_DARK, _EDGE = "0.3", "black"  # known counts: dark grey; suppressed ranges: white, hatched


def _plain(text: str) -> str:
    """A label matplotlib prints as written (a pair of $ would start maths)."""
    return str(text).replace("$", r"\$")


def _figure(height: float, left: float = 2.1):
    """A figure 8 inches wide with fixed margins (inches): `left` holds the longest force
    name at 8 pt. Fixed, not constrained layout, which draws every chart several times
    over (4 s of the 5 s the charts took)."""
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(8.0, height))
    fig.subplots_adjust(left=left / 8.0, right=0.97, top=1 - 0.5 / height, bottom=0.6 / height)
    return fig, fig.add_subplot()


def _finish(ax, title: str, xlabel: str, ylabel: str, thousands: str = "x") -> None:
    from matplotlib.ticker import FuncFormatter

    if thousands:
        getattr(ax, f"{thousands}axis").set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title(_plain(title), loc="left", fontsize=11, fontweight="bold")
    ax.set_xlabel(_plain(xlabel))
    ax.set_ylabel(_plain(ylabel))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def chart_by_force(data: dict, fy: str) -> Chart:
    rows = sorted((t for t in data["totals"] if t["financial_year"] == fy),
                  key=lambda t: (t["offences"], t["offences_upper"], t["force_name"]))
    title = f"Offences by police force, {fy}"
    table = [[t["force_name"], count(t["offences"]),
              count(t["offences_upper"]) if t["offences_upper"] != t["offences"] else ""] for t in reversed(rows)]
    columns = ["Force", "Offences", "Up to (with suppressed counts)"]
    if not rows:
        return Chart("chart-by-force", title, f"No force has figures for {fy}.", None, columns, table)
    top = list(reversed(rows))[:3]
    desc = (f"Horizontal bars, one per force, largest at the top, for the {len(rows)} forces with figures for {fy}. "
            f"Largest: " + "; ".join(f"{t['force_name']} {count(t['offences'])}" for t in top)
            + f". Smallest: {rows[0]['force_name']} {count(rows[0]['offences'])}. "
            "A hatched extension shows how many more suppressed counts could hold.")
    fig, ax = _figure(max(2.8, 0.24 * len(rows) + 1.4))
    y = list(range(len(rows)))
    known = [t["offences"] for t in rows]
    extra = [t["offences_upper"] - t["offences"] for t in rows]
    ax.barh(y, known, color=_DARK, edgecolor=_EDGE, linewidth=0.5, label="offences counted")
    if any(extra):
        ax.barh(y, extra, left=known, color="white", edgecolor=_EDGE, linewidth=0.5, hatch="////",
                label="up to this many more in suppressed counts")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
    top_value = max(t["offences_upper"] for t in rows) or 1
    for yi, t in zip(y, rows):
        label = count(t["offences"]) + (f" (up to {count(t['offences_upper'])})"
                                        if t["offences_upper"] != t["offences"] else "")
        ax.text(t["offences_upper"] + top_value * 0.01, yi, label, va="center", fontsize=7.5)
    ax.set_yticks(y, [_plain(t["force_name"]) for t in rows], fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlim(0, top_value * 1.22)
    _finish(ax, title, f"Offences recorded, {fy}", "Police force")
    return Chart("chart-by-force", title, desc, _svg(fig, "chart-by-force", title, desc), columns, table)


def chart_by_age(data: dict, fy: str) -> Chart:
    rows = [a for a in data["ages"] if a["financial_year"] == fy and a["victim_age"] is not None]
    title = f"Offences by victim's age, {fy}"
    columns = ["Victim age", "Offences", "Up to (with suppressed counts)"]
    table = [[str(a["victim_age"]), "suppressed" if a["offences"] is None else count(a["offences"]),
              count(a["offences_upper"]) if a["offences_upper"] != a["offences"] else ""] for a in rows]
    if not rows:
        return Chart("chart-by-age", title, f"No reply gives victims' exact ages for {fy}.", None, columns, table)
    by_age = {a["victim_age"]: a for a in rows}
    ages = list(range(min(by_age), max(by_age) + 1))
    known = [(by_age[a]["offences"] or 0) if a in by_age else 0 for a in ages]
    upper = [(by_age[a]["offences_upper"] or 0) if a in by_age else 0 for a in ages]
    peak = max(rows, key=lambda a: (a["offences"] or 0, -a["victim_age"]))
    desc = (f"Vertical bars, one per exact age from {ages[0]} to {ages[-1]}, for {fy}. The most offences, "
            f"{count(peak['offences'])}, are at age {peak['victim_age']}. A hatched extension shows how many "
            "more suppressed counts could hold.")
    fig, ax = _figure(3.8)
    ax.bar(ages, known, color=_DARK, edgecolor=_EDGE, linewidth=0.5, label="offences counted")
    extra = [u - k for u, k in zip(upper, known)]
    if any(extra):
        ax.bar(ages, extra, bottom=known, color="white", edgecolor=_EDGE, linewidth=0.5, hatch="////",
               label="up to this many more in suppressed counts")
        ax.legend(loc="upper left", frameon=False, fontsize=8)
    top_value = max(upper) or 1
    for a, k, u in zip(ages, known, upper):
        if a not in by_age:
            continue
        label = ("up to " + count(u)) if by_age[a]["offences"] is None else count(k)
        ax.text(a, u + top_value * 0.015, label, ha="center", va="bottom", fontsize=7, rotation=90 if len(ages) > 20 else 0)
    ax.set_xticks(ages, [str(a) for a in ages], fontsize=8)
    ax.set_ylim(0, top_value * 1.15)
    _finish(ax, title, "Victim's age (years)", "Offences recorded", thousands="y")
    return Chart("chart-by-age", title, desc, _svg(fig, "chart-by-age", title, desc), columns, table)


def chart_by_group(data: dict, fy: str) -> Chart:
    rows = sorted((g for g in data["groups"] if g["financial_year"] == fy),
                  key=lambda g: (g["offences"] or 0, g["offence_group"]))
    title = f"Offences by offence group, {fy}"
    total = sum(g["offences"] or 0 for g in rows)
    share = (lambda n: f"{100 * (n or 0) / total:.1f}%") if total else (lambda n: "")
    names = {"not given": "offence not given"}
    columns = ["Offence group", "Offences", "Share"]
    table = [[names.get(g["offence_group"], g["offence_group"]), count(g["offences"]), share(g["offences"])]
             for g in reversed(rows)]
    if not rows:
        return Chart("chart-by-group", title, f"No figures for {fy}.", None, columns, table)
    desc = (f"Horizontal bars, one per offence group, largest at the top, for {fy}: "
            + "; ".join(f"{r[0]} {r[1]} ({r[2]})" for r in table) + ".")
    fig, ax = _figure(max(2.4, 0.36 * len(rows) + 1.2))
    y = list(range(len(rows)))
    ax.barh(y, [g["offences"] or 0 for g in rows], color=_DARK, edgecolor=_EDGE, linewidth=0.5)
    top_value = max(g["offences"] or 0 for g in rows) or 1
    for yi, g in zip(y, rows):
        ax.text((g["offences"] or 0) + top_value * 0.01, yi, f"{count(g['offences'])} ({share(g['offences'])})",
                va="center", fontsize=8)
    ax.set_yticks(y, [_plain(names.get(g["offence_group"], g["offence_group"])) for g in rows], fontsize=8)
    ax.set_xlim(0, top_value * 1.25)
    _finish(ax, title, f"Offences recorded, {fy}", "Offence group")
    return Chart("chart-by-group", title, desc, _svg(fig, "chart-by-group", title, desc), columns, table)


def chart_changes(data: dict) -> Chart:
    years = sorted({c["financial_year"] for c in data["changes"]})
    fy = years[-1] if years else None
    all_rows = [c for c in data["changes"] if c["financial_year"] == fy]
    rows = sorted((c for c in all_rows if c["pct_change"] is not None),
                  key=lambda c: (c["pct_change"], c["force_name"]))
    title = f"Each force's change on its previous year, {fy}" if fy else "Each force's change on its previous year"
    columns = ["Force", "Change", "Offences", "Previous year"]
    table = [[c["force_name"], pct(c["pct_change"]) if c["pct_change"] is not None else "no figure the year before",
              count(c["offences"]), count(c["previous_offences"])]
             for c in sorted(all_rows, key=lambda c: (-(c["pct_change"] if c["pct_change"] is not None else 1e9)))]
    left_out = [c["force_name"] for c in all_rows if c["pct_change"] is None]
    note = (f"Not drawn (no offences the year before, so no percentage): {', '.join(left_out)}." if left_out else "")
    if not rows:
        return Chart("chart-changes", title, "No force has figures for two years in a row.", None, columns, table, note)
    rises = sum(c["pct_change"] > 0 for c in rows)
    falls = sum(c["pct_change"] < 0 for c in rows)
    desc = (f"Horizontal bars, one per force with figures for {fy} and the year before ({len(rows)} forces), "
            f"largest rise at the top: {rises} rose, {falls} fell. Largest rise: {rows[-1]['force_name']} "
            f"{pct(rows[-1]['pct_change'])}; largest fall or smallest rise: {rows[0]['force_name']} "
            f"{pct(rows[0]['pct_change'])}. Rises are solid grey bars, falls white hatched bars.")
    fig, ax = _figure(max(2.8, 0.24 * len(rows) + 1.4))
    y = list(range(len(rows)))
    values = [float(c["pct_change"]) for c in rows]
    up = [v if v >= 0 else 0 for v in values]
    down = [v if v < 0 else 0 for v in values]
    ax.barh(y, up, color=_DARK, edgecolor=_EDGE, linewidth=0.5, label="rise")
    if any(down):
        ax.barh(y, down, color="white", edgecolor=_EDGE, linewidth=0.5, hatch="\\\\\\\\", label="fall")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.axvline(0, color=_EDGE, linewidth=0.8)
    high, low = max(values + [0.0]), min(values + [0.0])
    span = (high - low) or 1.0
    for yi, v in zip(y, values):
        ax.text(v + (span * 0.01 if v >= 0 else -span * 0.01), yi, pct(v), va="center",
                ha="left" if v >= 0 else "right", fontsize=7.5)
    ax.set_yticks(y, [_plain(c["force_name"]) for c in rows], fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlim(low - (span * 0.14 if low < 0 else 0), high + span * 0.14)
    _finish(ax, title, "Change on the force's previous year (%)", "Police force", thousands="")
    return Chart("chart-changes", title, desc, _svg(fig, "chart-changes", title, desc), columns, table, note)


def _svg(fig, chart_id: str, title: str, description: str) -> str:
    """The figure as an <svg> element for the page: no XML prolog, no metadata, no
    namespace URLs, a <title> and <desc> it is labelled by, and its ids prefixed with
    the chart's so that several charts share a page."""
    from markupsafe import escape

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    ids = set(re.findall(r'\bid="([^"]+)"', text))

    def prefix(m: re.Match) -> str:
        return f"{m[1]}{chart_id}-{m[2]}" if m[2] in ids else m[0]

    text = re.sub(r'(\bid="|url\(#|href="#)([^")]+)', prefix, text)
    opening = re.match(r"<svg\b[^>]*>", text)
    attrs = opening[0]
    view_box = re.search(r'viewBox="([^"]+)"', attrs)
    new_open = (f'<svg viewBox="{view_box[1] if view_box else ""}" version="1.1" role="img" '
                f'class="chart-svg" aria-labelledby="{chart_id}-title {chart_id}-desc">'
                f'<title id="{chart_id}-title">{escape(title)}</title>'
                f'<desc id="{chart_id}-desc">{escape(description)}</desc>')
    return new_open + text[opening.end():].strip()


def build_charts(data: dict) -> list[Chart]:
    import matplotlib

    years = sorted(r["financial_year"] for r in data["headline"])
    latest = years[-1] if years else None
    style = {
        "svg.fonttype": "none",  # text as <text>: searchable, read by screen readers, no glyph paths
        "svg.hashsalt": "foi-headline",  # the same ids every build
        "font.family": "sans-serif",
        "font.size": 9,
        "hatch.linewidth": 0.8,
        "axes.edgecolor": "black",
        "text.color": "black",
        "axes.labelcolor": "black",
        "xtick.color": "black",
        "ytick.color": "black",
    }
    with matplotlib.rc_context(style):
        if latest is None:
            return [Chart(i, t, "No figures.", None, [], []) for i, t in zip(CHART_IDS, (
                "Offences by police force", "Offences by victim's age", "Offences by offence group",
                "Each force's change on its previous year"))]
        return [chart_by_force(data, latest), chart_by_age(data, latest), chart_by_group(data, latest),
                chart_changes(data)]


# --- the report -----------------------------------------------------------------------


def _link(target: Path, out_dir: Path) -> str:
    """A link from out_dir to a local file: relative when it can be, else a file: URL."""
    try:
        rel = os.path.relpath(Path(target).resolve(), Path(out_dir).resolve())
    except ValueError:  # another drive
        return Path(target).resolve().as_uri()
    return quote(PurePath(rel).as_posix())


def report_context(data: dict, out_dir: Path, warehouse_path: Path, run_report: Path | str | None) -> dict:
    by_start = {_year_start(r["financial_year"]): r for r in data["headline"]}
    years = [year_figures(data, r, by_start.get(_year_start(r["financial_year"]) - 1))
             for r in reversed(data["headline"])]  # newest first
    run = data["runs"][0] if data["runs"] else None
    if run_report is None and run is not None:
        from flows.report import reports_dir

        guess = reports_dir(warehouse_path) / run["run_id"] / "index.html"
        run_report = guess if guess.is_file() else None
    rounds = [{"round": r["round"], "title": r["title"], "years": ", ".join(r["years_requested"] or [])}
              for r in data["rounds"]]
    titles = sorted({r["title"] for r in data["rounds"] if r["title"]})
    return {
        "title": "Headline figures" + (f": {'; '.join(titles)}" if titles else ""),
        "years": years,
        "forces": len(data["forces"]),
        "rounds": rounds,
        "responses": response_rows(data),
        "response_summary": response_summary(data),
        "several_rounds": len({r["round"] for r in data["responses"]}) > 1,
        "run": None if run is None else {
            "run_id": run["run_id"], "published": when(run["finished_at"] or run["started_at"]),
            "code_version": run["code_version"], "status": run["status"]},
        "run_report": None if run_report is None else {"href": _link(Path(run_report), out_dir),
                                                       "path": str(run_report)},
        "warehouse": str(warehouse_path),
    }


def build_headline_report(warehouse_path: Path | str, out_dir: Path | str,
                          run_report: Path | str | None = None) -> tuple[Path, Path]:
    """Write out_dir/headline.html and out_dir/headline.md from the warehouse at
    `warehouse_path` (opened read-only); `run_report` is the run report's index.html to
    link to (by default warehouse/reports/<run_id>/index.html when it exists). Returns
    the two paths."""
    warehouse_path, out_dir = Path(warehouse_path), Path(out_dir)
    if not warehouse_path.is_file():
        raise FileNotFoundError(f"no warehouse at {warehouse_path}")
    data = read_warehouse(warehouse_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    context = report_context(data, out_dir, warehouse_path, run_report)
    charts = build_charts(data)
    html_path, md_path = out_dir / HTML_NAME, out_dir / MD_NAME
    _write(html_path, _html_env().get_template("headline.html.j2").render(**context, charts=charts))
    _write(md_path, _md_env().get_template("headline.md.j2").render(**context, charts=charts))
    return html_path, md_path


def _write(path: Path, text: str) -> None:
    """Beside, then renamed over: a reader sees the old file or the new one."""
    part = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        part.write_text(text, encoding="utf-8")
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


# --- templates ------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")


def md_escape(value: Any) -> str:
    """Text as Markdown shows it literally on one line: the characters Markdown (and the
    HTML it passes through) would act on are backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def _filters() -> dict:
    return {"count": count, "pct": pct, "per_day": per_day}


@lru_cache(maxsize=1)
def _html_env():
    """Autoescaping on: messages and names in the tables come from replies. Built once
    (an lru_cache, as the project's other loaders: no module-level dict to mutate)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    env.filters.update(_filters())
    return env


@lru_cache(maxsize=1)
def _md_env():
    """Autoescaping for Markdown: every value printed is Markdown-escaped (finalize), and
    marked safe so the HTML escaping does not run over it."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    from markupsafe import Markup

    def finalize(value: Any) -> Any:
        return value if isinstance(value, Markup) else Markup(md_escape(value))

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      finalize=finalize, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(_filters())
    return env
