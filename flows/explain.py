"""Every headline figure traced to the rule that made it and the cells it came from.

`foi explain --year 2016/17 --figure modal_age` (flows.cli) prints one; the library
function `explain(warehouse, year, figure)` returns it for tests and the reports. Each
explanation gives the value as published (headline_figures), the rule in words, the
value worked out again from the cells (current_offences) with whether the two agree,
and the files, sheets and cells behind it. A figure that does not reconcile says so:
it is never smoothed over.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The figures of headline_figures that can be explained, in the order a press release uses them.
FIGURES = (
    "offences", "offences_upper", "forces_with_data", "previous_year_offences", "pct_change",
    "like_for_like_pct_change", "matched_forces", "per_day", "modal_age", "modal_age_offences",
    "aged_10_and_under", "youngest_age",
)

RULES = {
    "offences": "the sum of the known counts of every force giving data for the year, each force-year's "
                "figures from the newest round that gave them (a suppressed count is never added as 0)",
    "offences_upper": "offences plus the largest value each suppressed cell can hold ('*' up to 4, '<5' up to 4)",
    "forces_with_data": "the forces with at least one figure loaded for the year (a nil return counts)",
    "previous_year_offences": "offences for the financial year before, as published (all forces giving data that year)",
    "pct_change": "(offences - previous year's offences) / previous year's offences x 100, each year over the "
                  "forces giving data that year",
    "like_for_like_pct_change": "the change over only the forces giving data in both years",
    "matched_forces": "the forces giving data in both this year and the year before",
    "per_day": "offences / the days in the financial year (1 April to 31 March; 366 with a 29 February)",
    "modal_age": "the exact victim age with the most known offences, over the forces giving exact ages "
                 "(bands are not exact ages; ties: the youngest)",
    "modal_age_offences": "the known offences at the modal age, over the forces giving exact ages",
    "aged_10_and_under": "the known offences at exact ages of 10 or under, and in bands lying wholly at or under 10",
    "youngest_age": "the youngest exact victim age with a known offence or a suppressed cell",
}


class FigureError(ValueError):
    """A figure or year the warehouse cannot explain (unknown name, no data for the year)."""


@dataclass
class Source:
    force_name: str
    path: str
    source: str  # the sheet and cells
    offences: int | None  # None: suppressed
    offences_upper: int
    age_min: int | None = None
    age_max: int | None = None
    detail: str = ""  # offence and age as written


@dataclass
class Explanation:
    figure: str
    year: str
    value: object  # as published in headline_figures
    rule: str
    recomputed: object  # the same worked out from the cells
    forces: list[str] = field(default_factory=list)  # the forces it is over
    sources: list[Source] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # other working, e.g. the ages next to the mode

    @property
    def reconciles(self) -> bool:
        if isinstance(self.value, float) or isinstance(self.recomputed, float):
            return self.value is not None and self.recomputed is not None and abs(self.value - self.recomputed) < 0.01
        return self.value == self.recomputed

    def text(self, max_sources: int = 50) -> str:
        out = [f"{self.figure} {self.year}: {_show(self.value)}",
               f"  rule: {self.rule}",
               f"  from the cells: {_show(self.recomputed)}"
               + ("" if self.reconciles else "  DOES NOT RECONCILE with the published figure: do not publish it")]
        if self.forces:
            out.append(f"  over {len(self.forces)} forces: {', '.join(self.forces)}")
        out.extend(f"  {line}" for line in self.lines)
        if self.sources:
            out.append(f"  {len(self.sources)} cells:")
            for s in self.sources[:max_sources]:
                value = "suppressed" if s.offences is None else f"{s.offences:,}"
                out.append(f"    {value:>10}  {s.force_name}: {s.path} {s.source}{'  ' + s.detail if s.detail else ''}")
            if len(self.sources) > max_sources:
                out.append(f"    ... and {len(self.sources) - max_sources} more (--all lists every cell)")
        return "\n".join(out)


def _show(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


_CELLS = """
    SELECT coalesce(f.force_name, o.force_code) AS force_name, o.path, o.source, o.offences, o.offences_upper,
           o.suppressed, o.victim_age_min, o.victim_age_max, o.offence_as_written
    FROM current_offences o LEFT JOIN forces f USING (force_code)
    WHERE o.financial_year = ? AND {where}
    ORDER BY force_name, o.path, o.source"""


def explain(warehouse: Path | str, year: str, figure: str) -> Explanation:
    """One headline figure of one financial year, traced (see the module's docstring)."""
    import duckdb

    if figure not in FIGURES:
        raise FigureError(f"'{figure}' is not a headline figure; the figures are: {', '.join(FIGURES)}")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = _dicts(con, "SELECT * FROM headline_figures WHERE financial_year = ?", [year])
        if not found:
            years = [r[0] for r in con.execute("SELECT financial_year FROM headline_figures ORDER BY 1").fetchall()]
            raise FigureError(f"no headline figures for {year}; the years are: {', '.join(years) or 'none'}")
        h = found[0]
        out = Explanation(figure, year, h[figure], RULES[figure], None)
        _work(con, out, h)
    return out


def _work(con, out: Explanation, h: dict) -> None:
    year = out.year
    totals = {r["force_name"]: r for r in _dicts(con, """
        SELECT coalesce(force_name, force_code) AS force_name, offences, offences_upper
        FROM force_year_totals WHERE financial_year = ? ORDER BY 1""", [year])}
    figure = out.figure
    if figure in ("offences", "offences_upper", "forces_with_data", "per_day"):
        cells = _sources(con, "o.in_totals", [year])
        out.forces = sorted(totals)
        out.recomputed = {
            "offences": sum(s.offences or 0 for s in cells),
            "offences_upper": sum(s.offences_upper if s.offences is None else s.offences for s in cells),
            "forces_with_data": len({s.force_name for s in cells}),
        }.get(figure)
        if figure == "per_day":
            days = con.execute("SELECT datediff('day', make_date(?, 4, 1), make_date(? + 1, 4, 1))",
                               [int(year[:4]), int(year[:4])]).fetchall()[0][0]
            out.recomputed = sum(s.offences or 0 for s in cells) / days
            out.lines.append(f"{sum(s.offences or 0 for s in cells):,} offences / {days} days")
        out.lines.extend(f"{name}: {t['offences']:,}" + (f" (up to {t['offences_upper']:,})"
                                                          if t["offences_upper"] != t["offences"] else "")
                         for name, t in totals.items())
        if figure == "offences_upper":
            cells = [s for s in cells if s.offences is None]
        if figure in ("offences", "offences_upper"):
            out.sources = cells
        return
    if figure in ("previous_year_offences", "pct_change", "like_for_like_pct_change", "matched_forces"):
        before = _previous(year)
        prev = {r["force_name"]: r["offences"] for r in _dicts(con, """
            SELECT coalesce(force_name, force_code) AS force_name, offences
            FROM force_year_totals WHERE financial_year = ?""", [before])}
        now_total, prev_total = sum(t["offences"] for t in totals.values()), sum(prev.values())
        matched = sorted(set(totals) & set(prev))
        if figure == "previous_year_offences":
            out.forces = sorted(prev)
            out.recomputed = prev_total if prev else None
        elif figure == "pct_change":
            out.forces = sorted(totals)
            out.recomputed = round(100.0 * (now_total - prev_total) / prev_total, 2) if prev_total else None
            out.lines.append(f"{year}: {now_total:,} over {len(totals)} forces; {before}: {prev_total:,} "
                             f"over {len(prev)} forces")
        else:
            now_m = sum(totals[f]["offences"] for f in matched)
            prev_m = sum(prev[f] for f in matched)
            out.forces = matched
            out.recomputed = (len(matched) if matched else None) if figure == "matched_forces" else (
                round(100.0 * (now_m - prev_m) / prev_m, 2) if prev_m else None)
            out.lines.append(f"over the {len(matched)} forces in both years: {year} {now_m:,}, {before} {prev_m:,}")
            left = sorted(set(totals) ^ set(prev))
            if left:
                out.lines.append(f"left out (data in one year only): {', '.join(left)}")
        return
    exact = "o.in_age_figures AND o.victim_age_min IS NOT NULL AND o.victim_age_min = o.victim_age_max"
    if figure in ("modal_age", "modal_age_offences"):
        ages = _dicts(con, """SELECT victim_age, offences, offences_upper FROM age_distribution
                              WHERE financial_year = ? ORDER BY offences DESC NULLS LAST, victim_age""", [year])
        top = ages[0] if ages else None
        out.recomputed = (top and (top["victim_age"] if top["offences"] else None)) if figure == "modal_age" \
            else (top["offences"] if top else None)
        out.lines.extend(f"age {a['victim_age']}: {_show(a['offences'])}"
                         + (f" (up to {a['offences_upper']:,})" if a["offences_upper"] != a["offences"] else "")
                         for a in ages[:5])
        certain = h.get("modal_age_certain")
        if certain is False:
            out.lines.append("not certain: another age could reach this count through its suppressed cells")
        if top is not None:
            out.sources = _sources(con, f"{exact} AND o.victim_age_min = ?", [year, top["victim_age"]])
            out.forces = sorted({s.force_name for s in _sources(con, exact, [year])})
            mode_cells = sum(s.offences or 0 for s in out.sources)
            if mode_cells != top["offences"]:
                out.recomputed = f"{mode_cells} from the cells, {top['offences']} in age_distribution"
        return
    if figure == "aged_10_and_under":
        out.sources = _sources(con, "o.in_age_figures AND o.victim_age_max <= 10", [year])
        out.forces = sorted({s.force_name for s in _sources(con, "o.in_age_figures AND o.victim_age_min IS NOT NULL",
                                                             [year])})
        out.recomputed = sum(s.offences or 0 for s in out.sources) if out.forces else None
        hidden = [s for s in out.sources if s.offences is None]
        if hidden:
            out.lines.append(f"{len(hidden)} suppressed cells not added (up to "
                             f"{sum(s.offences_upper for s in hidden):,} more)")
        return
    if figure == "youngest_age":
        young = _sources(con, f"{exact} AND (o.offences > 0 OR o.suppressed)", [year])
        youngest = min((s.age_min for s in young), default=None)
        out.recomputed = youngest
        out.sources = [s for s in young if s.age_min == youngest]
        out.forces = sorted({s.force_name for s in _sources(con, exact, [year])})
        return
    raise FigureError(f"no explanation is written for '{figure}'")  # FIGURES and this function disagree


def _sources(con, where: str, params: list) -> list[Source]:
    out = []
    for r in _dicts(con, _CELLS.format(where=where), params):
        age = ""
        if r["victim_age_min"] is not None:
            age = f"age {r['victim_age_min']}" if r["victim_age_min"] == r["victim_age_max"] else \
                f"ages {r['victim_age_min']}-{r['victim_age_max']}"
        written = f"'{r['offence_as_written']}'" if r["offence_as_written"] else ""
        out.append(Source(r["force_name"], r["path"], r["source"], None if r["suppressed"] else r["offences"],
                          r["offences_upper"], r["victim_age_min"], r["victim_age_max"],
                          " ".join(x for x in (written, age) if x)))
    return out


def _previous(year: str) -> str:
    start = int(year[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def _dicts(con, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]
