"""A table's figures before they become Observations: its parts, its totals, the checks.

Every layout resolves each number to a Figure: a year, an offence and an age, each
either one value or, for a total, `Over` a set of values. Totals are checked against
the sum of the parts they cover (with suppressed parts, the sum is a range) and kept
apart from the parts, so a total can never be added in as a figure.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flows import labels
from flows.labels import Age
from flows.observations import TOTAL_MISMATCH, Count, Observation, Problem


@dataclass(frozen=True, slots=True)
class Over:
    """A total's value for one dimension: every value (members None) or a group's."""

    label: str = ""  # as the reply writes it: 'Total', 'Rape - total', 'All ages'
    members: frozenset | None = None


@dataclass(slots=True)
class Figure:
    year: str | Over
    offence: str | None | Over  # the label as written; None: the table has no offences
    age: Age | None | Over  # None: the table has no ages
    count: Count
    source: str
    loaded: bool = True  # False: kept for the checks only (adult or negative ages)

    @property
    def is_total(self) -> bool:
        return any(isinstance(v, Over) for v in (self.year, self.offence, self.age))

    @property
    def offence_key(self) -> str | None:
        return offence_key(self.offence) if isinstance(self.offence, str) else None


def offence_key(label: str) -> str:
    """The same offence written two ways ('88A', 'Sexual grooming') is one key."""
    return labels.offence_code(label) or labels.normalise(label)


def _covers(total: Figure, part: Figure) -> bool:
    for dim in ("year", "offence", "age"):
        t, p = getattr(total, dim), getattr(part, dim)
        if isinstance(t, Over):
            if t.members is None:
                continue
            key = part.offence_key if dim == "offence" else p
            if key not in t.members:
                return False
        elif dim == "offence":
            if (t is None) != (p is None) or (t is not None and total.offence_key != part.offence_key):
                return False
        elif t != p:
            return False
    return True


def _describe(parts: list[Figure]) -> str:
    lo = sum(p.count.lower for p in parts)
    hi = sum(p.count.upper for p in parts)
    suppressed = sum(p.count.suppressed for p in parts)
    if lo == hi:
        return f"its {len(parts)} parts add up to {lo}"
    return f"its {len(parts)} parts add up to between {lo} and {hi} ({suppressed} suppressed)"


def _parts_bounds(parts: list[Figure]) -> tuple[int, int]:
    return sum(p.count.lower for p in parts), sum(p.count.upper for p in parts)


def check_totals(figures: list[Figure]) -> list[Problem]:
    """Each total must lie within the range its parts allow: known sum <= total <=
    known sum + the suppressed parts' upper bounds (and above their lower bounds)."""
    parts = [f for f in figures if not f.is_total]
    problems = []
    for total in (f for f in figures if f.is_total):
        covered = [p for p in parts if _covers(total, p)]
        if not covered:
            # e.g. a 'Rape' row in a table that lists no rape offence: its figures would
            # vanish from the counts if it were taken for a total
            problems.append(Problem(
                f"{total.source} ({total.count.raw}) is labelled as a total but covers no figure of its "
                "table: cannot tell what it counts",
                source=total.source,
            ))
            continue
        lo, hi = _parts_bounds(covered)
        if total.count.upper < lo or total.count.lower > hi:
            problems.append(Problem(
                f"the total at {total.source} ({total.count.raw}) does not match its parts: "
                f"{_describe(covered)} ({covered[0].source} to {covered[-1].source})",
                source=total.source, kind=TOTAL_MISMATCH,
            ))
    return problems


def check_duplicates(figures: list[Figure]) -> list[Problem]:
    """Two figures for the same year, offence and age: one of them would be counted twice."""
    seen: dict[tuple, list[str]] = defaultdict(list)
    for f in figures:
        if not f.is_total:
            seen[(f.year, f.offence_key, f.age)].append(f.source)
    return [
        Problem(f"{' and '.join(sources[:3])} give figures for the same year, offence and age", source=sources[0])
        for sources in seen.values() if len(sources) > 1
    ]


def _years_label(years: list[str]) -> str:
    years = sorted(set(years))
    if not years:
        return ""
    return years[0] if len(years) == 1 else f"{years[0]} to {years[-1]}"


def _age_bounds(a: Age | None | Over) -> tuple[int | None, int | None]:
    if isinstance(a, Age) and a.is_child:
        return a.min, a.max
    return None, None


def to_observations(figures: list[Figure], table: str) -> tuple[list[Observation], list[Observation]]:
    """(observations, totals). A total over several years names them '2016/17 to 2018/19'."""
    parts = [f for f in figures if not f.is_total]
    observations, totals = [], []
    for f in figures:
        if not f.is_total:
            if f.loaded:
                lo, hi = _age_bounds(f.age)
                observations.append(Observation(f.year, f.offence, lo, hi, f.count, f.source, table))
            continue
        if isinstance(f.year, Over):
            year = _years_label([p.year for p in parts if _covers(f, p)]) or _years_label([p.year for p in parts])
        else:
            year = f.year
        if not year:
            continue
        offence = f.offence.label if isinstance(f.offence, Over) else f.offence
        lo, hi = _age_bounds(f.age)
        covered = [p for p in parts if _covers(f, p)]
        parts_lo, parts_hi = _parts_bounds(covered) if covered else (None, None)
        totals.append(Observation(year, offence, lo, hi, f.count, f.source, table, parts_lo, parts_hi))
    return observations, totals


def dropped_ages_note(figures: list[Figure], where: str) -> list[str]:
    """The cells left out because the age is 18 or over, or below 0."""
    dropped = [f.source for f in figures if not f.loaded and not f.is_total]
    if not dropped:
        return []
    sample = ", ".join(dropped[:5]) + (f" and {len(dropped) - 5} more" if len(dropped) > 5 else "")
    return [f"{where}: {len(dropped)} figures for ages of 18 or over (or below 0) left out: {sample}"]
