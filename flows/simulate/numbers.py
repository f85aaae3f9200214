"""The figures of a simulated round: force-year totals, their cells, suppression, and
the calibration that makes the sample round add up to the published figures.

Calibration works on KNOWN counts (what the pipeline sums): a suppressed cell's value
is moved into the force's largest cell, and the age figures are tuned inside one
force's age table, so every force keeps its total and every target holds exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from flows.simulate.plan import (
    AGE_ADJUSTER, BAND_LAYOUTS, EXACT_AGE_LAYOUTS, LONG_AGES_CSV, ONLY_2016_17, RECORD_LAYOUTS,
    THAMES_VALLEY, AGE_YEAR_XLSX, ForcePlan,
)

OFFENCE_WEIGHTS = {
    "88A": 26, "86": 20, "22B": 18, "21": 10, "71": 6, "19D": 4, "20A": 4, "20B": 2,
    "17A": 1, "17B": 1, "19E": 2, "19G": 1, "88C": 3, "73": 2,
}
SEXUAL_COMMUNICATION = "71/17"  # SOA 2003 s.15A, from April 2017 only; ONS counts it in 88A
# The class ONS publishes a sub-code's offences in (the simulator's own knowledge, kept
# apart from the reader's reference; tests/test_simulate.py checks the two agree).
ONS_CLASS_OF_SUB_CODE = {SEXUAL_COMMUNICATION: "88A"}
SUPPRESSED_MAX = 4  # forces suppress counts of 1 to SUPPRESSED_MAX
AGE_WEIGHTS = {
    3: 0.15, 4: 0.2, 5: 0.3, 6: 0.4, 7: 0.5, 8: 0.65, 9: 0.8, 10: 1.0, 11: 4.5,
    12: 11.0, 13: 20.0, 14: 16.0, 15: 13.0, 16: 10.0, 17: 6.0,
}
UNKNOWN_AGE_SHARE = 0.08
BANDS = {
    "E23000024": [(0, 10), (11, 12), (13, 15), (16, 17)],
    "E23000025": [(0, 4), (5, 9), (10, 12), (13, 15), (16, 17)],
}

# The figures the NSPCC published in 2017, which the sample round must reproduce.
PUBLISHED = {
    "2016/17": 5653, "2015/16": 3903, "thames_valley_2016_17": 183, "forces_2015_16": 39,
    "modal_age": 13, "modal_age_offences": 257, "aged_10_and_under": 94, "youngest_age": 3,
}


@dataclass
class Figure:
    """One published figure of a force's table."""

    offence: str | None  # Home Office code; None: the table has no offence breakdown
    age: tuple[int, int] | None  # exact (13, 13), band (10, 12); None: unknown / not given
    true: int
    shown: int | None  # None when suppressed (the true value is 1 to 4)


@dataclass
class ForceYear:
    code: str
    year: str
    figures: list[Figure] = field(default_factory=list)

    @property
    def known(self) -> int:
        return sum(f.shown or 0 for f in self.figures)

    @property
    def true_total(self) -> int:
        return sum(f.true for f in self.figures)

    def cell(self, offence, age) -> Figure:
        for f in self.figures:
            if f.offence == offence and f.age == age:
                return f
        f = Figure(offence, age, 0, 0)
        self.figures.append(f)
        return f


def ons_class(code: str) -> str:
    """The Home Office class a figure's offence is published in: a class is its own,
    a sub-code ('71/17') is counted in its class ('88A')."""
    return ONS_CLASS_OF_SUB_CODE[code] if "/" in code else code


def offence_weights(year: str) -> dict[str, float]:
    weights = dict(OFFENCE_WEIGHTS)
    if int(year[:4]) >= 2017:
        weights[SEXUAL_COMMUNICATION] = 15
    return weights


def split(rng: np.random.Generator, total: int, weights: dict) -> dict:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    counts = rng.multinomial(total, p / p.sum())
    return {k: int(c) for k, c in zip(keys, counts)}


def allocate(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Integer shares of `total` proportional to weights (largest remainder: exact sum)."""
    w = np.array(list(weights.values()), dtype=float)
    raw = total * w / w.sum()
    floor = np.floor(raw).astype(int)
    order = np.argsort(-(raw - floor), kind="stable")
    floor[order[: total - floor.sum()]] += 1
    return {k: int(v) for k, v in zip(weights, floor)}


def force_year_targets(
    rng: np.random.Generator, plans: list[ForcePlan], years: list[str], calibrated: bool, scale: float
) -> dict[tuple[str, str], int]:
    """Known-count totals per force and year."""
    data = [p for p in plans if p.gives_data]
    targets: dict[tuple[str, str], int] = {}
    for i, year in enumerate(years):
        noise = {p.code: p.population * float(rng.lognormal(0, 0.25)) for p in data}
        if calibrated:
            if year == "2015/16":
                noise.pop(ONLY_2016_17)
                targets.update({(c, year): n for c, n in allocate(PUBLISHED[year], noise).items()})
            else:
                noise.pop(THAMES_VALLEY)
                rest = PUBLISHED[year] - PUBLISHED["thames_valley_2016_17"]
                targets.update({(c, year): n for c, n in allocate(rest, noise).items()})
                targets[(THAMES_VALLEY, year)] = PUBLISHED["thames_valley_2016_17"]
        else:
            base = (3903 + 1750 * i) * scale
            targets.update({(c, year): n for c, n in allocate(int(base), noise).items()})
    return targets


def build_force_year(rng: np.random.Generator, plan: ForcePlan, year: str, target: int) -> ForceYear:
    """The figures of one force's reply for one year, at the layout's granularity."""
    fy = ForceYear(plan.code, year)
    kind = plan.kind
    if kind in EXACT_AGE_LAYOUTS:
        unknown = int(round(target * UNKNOWN_AGE_SHARE))
        ages = split(rng, target - unknown, AGE_WEIGHTS)
        with_offence = kind != AGE_YEAR_XLSX
        for age, n in ages.items():
            if not n:
                continue
            if with_offence:
                for code, m in split(rng, n, offence_weights(year)).items():
                    if m:
                        fy.figures.append(Figure(code, (age, age), m, m))
            else:
                fy.figures.append(Figure(None, (age, age), n, n))
        if unknown:
            if with_offence:
                for code, m in split(rng, unknown, offence_weights(year)).items():
                    if m:
                        fy.figures.append(Figure(code, None, m, m))
            else:
                fy.figures.append(Figure(None, None, unknown, unknown))
    elif kind in BAND_LAYOUTS:
        bands = BANDS[plan.code]
        band_w = {b: sum(w for a, w in AGE_WEIGHTS.items() if b[0] <= a <= b[1]) for b in bands}
        for band, n in split(rng, target, band_w).items():
            for code, m in split(rng, n, offence_weights(year)).items():
                if m:
                    fy.figures.append(Figure(code, band, m, m))
    else:
        for code, m in split(rng, target, offence_weights(year)).items():
            if m:
                fy.figures.append(Figure(code, None, m, m))
    if plan.suppression and kind not in RECORD_LAYOUTS:
        suppress(fy)
    all_hidden = all(f.shown is None for f in fy.figures)
    assert fy.known == target or all_hidden, (plan.code, year, fy.known, target)
    return fy


def suppress(fy: ForceYear) -> None:
    """Counts of 1 to 4 are suppressed; their values move into the largest figure, so
    the known total is unchanged and the true total is larger (as in a real reply)."""
    deficit = 0
    for f in fy.figures:
        if 1 <= f.true <= SUPPRESSED_MAX:
            f.shown = None
            deficit += f.true
    visible = [f for f in fy.figures if f.shown is not None]
    if deficit and visible:  # a tiny force may have nothing left to show: known is then 0
        largest = max(visible, key=lambda f: f.true)
        largest.true += deficit
        largest.shown += deficit


def exact_age_counts(years: dict[tuple[str, str], ForceYear], plans: dict[str, ForcePlan], year: str):
    counts: dict[int, int] = {}
    bands_10 = 0
    suppressed_ages: set[int] = set()
    for (code, y), fy in years.items():
        if y != year:
            continue
        kind = plans[code].kind
        for f in fy.figures:
            if f.age is None:
                continue
            if kind in EXACT_AGE_LAYOUTS and f.age[0] == f.age[1]:
                counts[f.age[0]] = counts.get(f.age[0], 0) + (f.shown or 0)
                if f.shown is None:
                    suppressed_ages.add(f.age[0])
            elif f.age[1] <= 10:
                bands_10 += f.shown or 0
    return counts, bands_10, suppressed_ages


def calibrate_ages(years: dict[tuple[str, str], ForceYear], plans: dict[str, ForcePlan], year: str) -> None:
    """Tune the age tables of the forces that do not suppress (long tables with ages and
    record-level lists) so the published age figures hold exactly; each force keeps its
    total, since offences only move from one age to another."""
    pool = [fy for (code, y), fy in sorted(years.items())
            if y == year and plans[code].kind in (LONG_AGES_CSV, *RECORD_LAYOUTS)]
    assert any(fy.code == AGE_ADJUSTER for fy in pool)

    def move(age_from: int, age_to: int, n: int) -> None:
        """Move n offences from one exact age to another, largest figures first."""
        if n < 0:
            age_from, age_to, n = age_to, age_from, -n
        while n:
            donors = [(fy, f) for fy in pool for f in fy.figures
                      if f.age == (age_from, age_from) and f.true > 0]
            if not donors:
                raise ValueError(f"no offences at age {age_from} left to move to age {age_to}")
            fy, donor = max(donors, key=lambda d: d[1].true)
            step = min(n, donor.true)
            donor.true -= step
            donor.shown = donor.true
            target = fy.cell(donor.offence, (age_to, age_to))
            target.true += step
            target.shown = target.true
            n -= step
        for fy in pool:
            fy.figures[:] = [f for f in fy.figures if f.true > 0]

    want = PUBLISHED["modal_age_offences"]
    counts, _, _ = exact_age_counts(years, plans, year)
    move(16, 13, want - counts.get(13, 0))
    for age in range(3, 18):
        counts, _, _ = exact_age_counts(years, plans, year)
        if age != 13 and counts.get(age, 0) >= want:
            move(age, 11 if age < 13 else 17, counts[age] - (want - 20))
    counts, bands_10, _ = exact_age_counts(years, plans, year)
    under = sum(n for a, n in counts.items() if a <= 10) + bands_10
    gap = PUBLISHED["aged_10_and_under"] - under
    if gap > 0:  # spread what is missing over the young ages as they are weighted
        young = {a: w for a, w in AGE_WEIGHTS.items() if a <= 10}
        for age, share in allocate(gap, young).items():
            if share:
                move(16, age, share)
        gap = 0
    for age in (10, 9, 8):
        if not gap:
            break
        held = sum(f.true for fy in pool for f in fy.figures if f.age == (age, age))
        step = gap if gap > 0 else -min(-gap, held)
        move(16, age, step)
        gap -= step
    counts, _, suppressed = exact_age_counts(years, plans, year)
    if not counts.get(3) and 3 not in suppressed:
        move(16, 3, 1)
    if gap:
        raise ValueError(f"cannot bring offences against children aged ten and under to the published figure: {gap:+d} left")


def check_published(years: dict[tuple[str, str], ForceYear], plans: dict[str, ForcePlan]) -> None:
    """Raise unless the sample round encodes the published figures exactly."""
    totals = {y: sum(fy.known for (c, yy), fy in years.items() if yy == y) for y in ("2015/16", "2016/17")}
    assert totals["2016/17"] == PUBLISHED["2016/17"], totals
    assert totals["2015/16"] == PUBLISHED["2015/16"], totals
    assert sum(1 for (c, y) in years if y == "2015/16") == PUBLISHED["forces_2015_16"]
    assert years[(THAMES_VALLEY, "2016/17")].known == PUBLISHED["thames_valley_2016_17"]
    counts, bands_10, suppressed = exact_age_counts(years, plans, "2016/17")
    modal = counts[13]
    assert modal == PUBLISHED["modal_age_offences"], counts
    assert all(n < modal for a, n in counts.items() if a != 13), counts
    under = sum(n for a, n in counts.items() if a <= 10) + bands_10
    assert 90 <= under <= 99, under
    present = {a for a, n in counts.items() if n} | suppressed
    assert min(present) == PUBLISHED["youngest_age"], sorted(present)


@dataclass(frozen=True)
class Headline:
    """The figures of a year as the pipeline must compute them from the files."""

    year: str
    offences: int  # known counts over the forces with data
    forces: int
    per_day: float
    modal_age: int | None  # None when two ages tie for the most offences
    modal_age_offences: int
    aged_10_and_under: int
    youngest_age: int | None
    change: float | None = None  # on the year before, as published (all forces with data)
    like_for_like_change: float | None = None  # forces with data in both years


def headline(years: dict[tuple[str, str], ForceYear], plans: dict[str, ForcePlan], year: str,
             before: str | None = None) -> Headline:
    start = int(year[:4])
    days = (date(start + 1, 4, 1) - date(start, 4, 1)).days
    totals = {c: fy.known for (c, y), fy in years.items() if y == year}
    counts, bands_10, suppressed = exact_age_counts(years, plans, year)
    top = max(counts.values(), default=0)
    modal = [a for a, n in counts.items() if n == top]
    present = {a for a, n in counts.items() if n} | suppressed
    offences = sum(totals.values())
    change = like = None
    if before:
        earlier = {c: fy.known for (c, y), fy in years.items() if y == before}
        both = sorted(set(earlier) & set(totals))
        if sum(earlier.values()):
            change = (offences - sum(earlier.values())) / sum(earlier.values())
        if sum(earlier[c] for c in both):
            like = (sum(totals[c] for c in both) - sum(earlier[c] for c in both)) / sum(earlier[c] for c in both)
    return Headline(
        year=year, offences=offences, forces=len(totals), per_day=round(offences / days, 1),
        modal_age=modal[0] if len(modal) == 1 and top else None, modal_age_offences=top,
        aged_10_and_under=sum(n for a, n in counts.items() if a <= 10) + bands_10,
        youngest_age=min(present, default=None), change=change, like_for_like_change=like,
    )
