"""The FOI round simulator: writes a whole round of replies into a raw folder.

`simulate_round` writes raw/<round>/<force folder>/<files> and returns a Truth, the
figures the files encode, for tests only: the pipeline computes its figures from the
files. The sample round is calibrated to the figures the NSPCC published in 2017.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from flows import SAMPLE_ROUND
from flows.simulate import letters, numbers
from flows.simulate import plan as P
from flows.simulate.writers import WRITERS

DEFAULT_YEARS = ["2015/16", "2016/17"]


@dataclass
class Truth:
    """What the files of a round encode, kept by the simulator from its own figures.

    `by_class` and `by_age` hold the figures below a force-year's total, so a test can
    tell a figure filed under the wrong offence, age or force from a right one. They
    follow `known`: a suppressed cell adds nothing (its `_upper` twin counts it at its
    most, SUPPRESSED_MAX, as a reply's footnote allows), and each only holds the force
    replies that give figures that way:

    - by_class (force, year, class): replies with a figure per offence (plan.OFFENCE_LAYOUTS,
      summed over their ages or bands). A sub-code is counted in the class ONS publishes it
      in ('71/17' sexual communication with a child in '88A'). The age x year crosstab
      (no offence breakdown) is left out: it has no class to check.
    - by_age (force, year, age): replies with exact single ages (plan.EXACT_AGE_LAYOUTS),
      summed over offences; figures whose age was not recorded are not in it. Replies in
      age bands are left out, since a band says nothing about any one age.

    Every data reply the simulator writes is one the pipeline is expected to load, so
    every such force-year is here, with each class or age it has a figure for (0 when
    all its figures are suppressed).
    """

    round_name: str
    known: dict[tuple[str, str], int] = field(default_factory=dict)  # (force, year) -> known count
    true: dict[tuple[str, str], int] = field(default_factory=dict)   # including suppressed values
    suppressed_cells: dict[tuple[str, str], int] = field(default_factory=dict)
    layouts: dict[str, str] = field(default_factory=dict)            # force -> layout or reply kind
    records: int = 0
    headlines: dict[str, numbers.Headline] = field(default_factory=dict)  # year -> figures
    by_class: dict[tuple[str, str, str], int] = field(default_factory=dict)        # known counts
    by_class_upper: dict[tuple[str, str, str], int] = field(default_factory=dict)  # at most
    by_age: dict[tuple[str, str, int], int] = field(default_factory=dict)          # known counts
    by_age_upper: dict[tuple[str, str, int], int] = field(default_factory=dict)    # at most

    def add_breakdowns(self, kind: str, fy: numbers.ForceYear) -> None:
        """Record one force-year's figures by class and by exact age (see the class doc)."""
        def add(known: dict, upper: dict, key, f: numbers.Figure) -> None:
            known[key] = known.get(key, 0) + (f.shown or 0)
            upper[key] = upper.get(key, 0) + (numbers.SUPPRESSED_MAX if f.shown is None else f.shown)

        for f in fy.figures:
            if kind in P.OFFENCE_LAYOUTS:
                add(self.by_class, self.by_class_upper, (fy.code, fy.year, numbers.ons_class(f.offence)), f)
            if kind in P.EXACT_AGE_LAYOUTS and f.age is not None and f.age[0] == f.age[1]:
                add(self.by_age, self.by_age_upper, (fy.code, fy.year, f.age[0]), f)

    def year_total(self, year: str) -> int:
        return sum(n for (c, y), n in self.known.items() if y == year)

    def summary(self) -> str:
        years = sorted({y for _, y in self.known})
        parts = [f"{y}: {self.year_total(y):,} offences from "
                 f"{sum(1 for _, yy in self.known if yy == y)} forces" for y in years]
        return "; ".join(parts)


def simulate_round(
    out_dir: Path,
    *,
    seed: int = 2017,
    round_name: str = SAMPLE_ROUND,
    years: list[str] | None = None,
    scale: float = 1.0,
    record_level_share: float | None = None,
) -> Truth:
    years = list(years or DEFAULT_YEARS)
    calibrated = (round_name == SAMPLE_ROUND and years == DEFAULT_YEARS and scale == 1.0
                  and not record_level_share)
    rng = np.random.default_rng(seed)
    plans = P.load_plan(record_level_share)
    by_code = {p.code: p for p in plans}
    targets = numbers.force_year_targets(rng, plans, years, calibrated, scale)

    force_years: dict[tuple[str, str], numbers.ForceYear] = {}
    for (code, year), target in sorted(targets.items()):
        if calibrated or target > 0:
            force_years[(code, year)] = numbers.build_force_year(rng, by_code[code], year, target)
    if calibrated:
        numbers.calibrate_ages(force_years, by_code, "2016/17")
        numbers.check_published(force_years, by_code)

    round_dir = Path(out_dir) / round_name
    if round_dir.exists():
        shutil.rmtree(round_dir)
    write_round_file(round_dir, round_name, years)
    truth = Truth(round_name)
    for plan in plans:
        truth.layouts[plan.code] = plan.kind
        if plan.kind == P.NO_REPLY:
            continue
        folder = round_dir / plan.folder
        folder.mkdir(parents=True)
        if plan.kind == P.S12:
            letters.write_pdf(folder / "FOI response - refusal.pdf", letters.S12_TEXT)
            continue
        if plan.kind == P.S40:
            letters.write_docx(folder / "Refusal notice.docx", letters.S40_TEXT)
            continue
        fys = {y: force_years[(plan.code, y)] for y in years if (plan.code, y) in force_years}
        WRITERS[plan.kind](folder, plan, fys, np.random.default_rng([seed, int(plan.code[1:])]))
        if plan.code == P.THAMES_VALLEY:
            letters.write_pdf(folder / "Covering letter.pdf", [
                "Thank you for your request. Please find our response attached.",
                "Figures are for offences with the online crime flag, victims under 18."])
        for year, fy in fys.items():
            truth.known[(plan.code, year)] = fy.known
            truth.true[(plan.code, year)] = fy.true_total
            truth.suppressed_cells[(plan.code, year)] = sum(f.shown is None for f in fy.figures)
            truth.add_breakdowns(plan.kind, fy)
            if plan.kind in P.RECORD_LAYOUTS:
                truth.records += fy.true_total
    for i, year in enumerate(years):
        truth.headlines[year] = numbers.headline(force_years, by_code, year, years[i - 1] if i else None)
    return truth


def write_round_file(round_dir: Path, round_name: str, years: list[str]) -> None:
    """raw/<round>/round.yaml: the years the request asked for (flows/rounds.py)."""
    round_dir.mkdir(parents=True, exist_ok=True)
    title = round_name.split("-", 1)[1].replace("-", " ") if "-" in round_name else round_name
    (round_dir / "round.yaml").write_text(
        "# The financial years this request asked for (flows/rounds.py).\n"
        f"title: {title}\nyears: [{', '.join(years)}]\n", encoding="utf-8")


def simulate_rounds(out_dir: Path, *, rounds: int = 10, seed: int = 2017, scale: float = 1.0,
                    record_level_share: float | None = None) -> list[Truth]:
    """Several yearly rounds (for benchmarks): round i is sent in 2018+i and asks for
    the two financial years before it."""
    truths = []
    for i in range(rounds):
        sent = 2018 + i
        years = [f"{sent - 3}/{str(sent - 2)[2:]}", f"{sent - 2}/{str(sent - 1)[2:]}"]
        truths.append(simulate_round(
            out_dir, seed=seed + i, round_name=f"{sent}-online-child-sex-offences", years=years,
            scale=scale, record_level_share=record_level_share))
    return truths
