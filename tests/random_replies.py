"""Random replies: random figures rendered in a random layout, format and wording, with
the known per-year totals a correct reading must give."""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from corpus import ods, text, xls, xlsx
from flows.offences import load_offences

YEARS = ["2013/14", "2014/15", "2015/16", "2016/17", "2017/18", "2018/19"]
MARKERS = ["*", "<5", "[c]"]


@dataclass
class Spec:
    layout: str          # long | crosstab | years_down | age_year
    fmt: str             # csv | xlsx | xls | ods
    years: list[str]
    offences: list[str]
    cells: dict[tuple[str, str], int | None]  # (row key, year) -> count (None: suppressed)
    marker: str | None
    year_style: int
    naming: str
    offset: tuple[int, int]
    title: bool
    total_row: bool

    def expected(self) -> dict[str, int]:
        out = {y: 0 for y in self.years}
        for (_, y), v in self.cells.items():
            out[y] += v or 0
        return out


def year_label(y: str, style: int) -> str:
    a = int(y[:4])
    return [y, f"{a}-{str(a + 1)[2:]}", f"{a}/{a + 1}", f"April {a} to March {a + 1}", f"FY{str(a)[2:]}/{str(a + 1)[2:]}"][style]


def offence_label(code: str, naming: str) -> str:
    o = load_offences()[code]
    return {"code": code, "description": o.description, "both": f"{code} - {o.description}"}[naming]


def random_spec(rng: random.Random) -> Spec:
    layout = rng.choice(["long", "crosstab", "years_down", "age_year"])
    start = rng.randrange(len(YEARS) - 2)
    years = YEARS[start:start + rng.randint(1, 3)]
    offences = rng.sample(sorted(load_offences()), rng.randint(1, 6))
    keys = [str(a) for a in range(rng.randint(3, 8), 18)] if layout == "age_year" else offences
    marker = rng.choice([None, *MARKERS])
    cells: dict[tuple[str, str], int | None] = {}
    for k in keys:
        for y in years:
            v = rng.choice([0, rng.randint(1, 4), rng.randint(5, 60), rng.randint(100, 2500)])
            cells[(k, y)] = None if marker and 1 <= v <= 4 else v
    return Spec(
        layout=layout, fmt=rng.choice(["csv", "xlsx", "xls", "ods"]), years=years,
        offences=offences, cells=cells, marker=marker, year_style=rng.randrange(5),
        naming=rng.choice(["code", "description", "both"]),
        offset=(rng.randint(1, 5), rng.randint(1, 4)), title=rng.random() < 0.5,
        total_row=rng.random() < 0.5 and not marker,
    )


def rows_of(spec: Spec) -> list[list]:
    show = lambda v: spec.marker if v is None else v  # noqa: E731
    keys = sorted({k for k, _ in spec.cells}, key=lambda k: (len(k), k))
    label = (lambda k: f"Aged {k}") if spec.layout == "age_year" else (lambda k: offence_label(k, spec.naming))
    ys = [year_label(y, spec.year_style) for y in spec.years]
    if spec.layout == "long":
        rows = [["Financial Year", "Offence", "Number of Offences"]]
        rows += [[year_label(y, spec.year_style), label(k), show(spec.cells[(k, y)])] for k in keys for y in spec.years]
    elif spec.layout == "years_down":
        rows = [["Year", *(label(k) for k in keys)]]
        rows += [[yl, *(show(spec.cells[(k, y)]) for k in keys)] for y, yl in zip(spec.years, ys)]
    else:
        head = "Victim age" if spec.layout == "age_year" else "Offence"
        rows = [[head, *ys]]
        rows += [[label(k), *(show(spec.cells[(k, y)]) for y in spec.years)] for k in keys]
        if spec.total_row:
            rows.append(["Total", *(sum(spec.cells[(k, y)] or 0 for k in keys) for y in spec.years)])
    if spec.marker:
        rows += [[], [f"{spec.marker} denotes a figure between 1 and 4"]]
    if spec.title:
        rows = [["Response to your Freedom of Information request"], [], *rows]
    return rows


def render(spec: Spec, folder: Path) -> Path:
    rows = rows_of(spec)
    if spec.fmt == "csv":
        return text(folder / "reply.csv", rows)
    if spec.fmt == "xls":
        return xls(folder / "reply.xls", rows)
    if spec.fmt == "ods":
        return ods(folder / "reply.ods", rows)
    return xlsx(folder / "reply.xlsx", {"Data": rows}, at=spec.offset)
