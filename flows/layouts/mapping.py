"""Analysts' recipes (schemas/layouts/*.yaml) for replies the automatic layouts misread.

A recipe names the files it is for and how to read them: which family (long, records,
crosstab), which sheets and range, the year when the reply does not say it, what '-'
and '*' mean, the reply's own headings and its own words for labels. The family then
reads the sheet as usual, so a mapped reply is checked exactly like any other.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import yaml

from flows import SCHEMAS, labels
from flows.cells.grid import Cell, Sheet
from flows.layouts import crosstab, long, records, relations
from flows.layouts.columns import ROLES
from flows.layouts.context import SheetContext
from flows.layouts.region import parse_range, restrict
from flows.observations import Problem, Reading

NAME = "mapping"
MAPPINGS_DIR = SCHEMAS / "layouts"
NOT_RECIPES = {"headers.yaml"}  # the shared heading spellings live beside the recipes
FAMILIES = {m.NAME: m for m in (long, records, crosstab, relations)}
_KEYS = {"description", "match", "read_as", "table", "financial_year", "nil_dash", "suppressed", "headers", "labels",
         "figures", "relations"}


@dataclass(frozen=True)
class Recipe:
    name: str
    file_name: str  # a glob on the reply's file name, case-insensitive: 'cumbria*.xlsx'
    read_as: str
    sheets: tuple[str, ...] = ()  # only these sheets (others are skipped with a note)
    table: str | None = None  # 'B4:H20': only this range of each sheet
    financial_year: str | None = None
    nil_dash: bool = False
    suppressed: dict[str, tuple[int, int]] = field(default_factory=dict)
    headers: dict[str, list[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    description: str = ""
    force_code: str | None = None  # only this force's replies (match.force)
    round: str | None = None  # only rounds whose name matches this glob (match.round)
    figures: str | None = None  # read_as relations: the range of cells holding figures ('C6:F20')
    relations: dict[str, str] = field(default_factory=dict)  # read_as relations: dimension -> direction

    def matches(self, file_name: str, sheet_names: list[str], force_code: str | None = None,
                round_name: str | None = None) -> bool:
        """A recipe that names a force never applies to another force's file: many forces
        send files with the same name ('response.xlsx')."""
        if self.force_code is not None and force_code is not None and force_code != self.force_code:
            return False
        if self.round is not None and round_name is not None and not fnmatch.fnmatch(round_name, self.round):
            return False
        if not fnmatch.fnmatch(file_name.lower(), self.file_name.lower()):
            return False
        return all(s in sheet_names for s in self.sheets)


def recipe_from(data: dict, name: str) -> Recipe:
    """A Recipe from a recipe's YAML, or ValueError saying what is wrong with it."""
    if not isinstance(data, dict):
        raise ValueError(f"{name}: a recipe is a mapping of keys")
    unknown = set(data) - _KEYS
    if unknown:
        raise ValueError(f"{name}: unknown keys {sorted(unknown)} (allowed: {sorted(_KEYS)})")
    match = data.get("match") or {}
    if not match.get("file_name"):
        raise ValueError(f"{name}: match.file_name is required")
    read_as = data.get("read_as")
    if read_as not in FAMILIES:
        raise ValueError(f"{name}: read_as must be one of {sorted(FAMILIES)}")
    fy = data.get("financial_year")
    if fy is not None and labels.financial_year(str(fy)) is None:
        raise ValueError(f"{name}: financial_year '{fy}' is not a financial year")
    table = data.get("table")
    if table is not None:
        parse_range(str(table))
    figures = data.get("figures")
    rels = {str(k): str(v) for k, v in (data.get("relations") or {}).items()}
    if read_as == relations.NAME:
        if not figures:
            raise ValueError(f"{name}: read_as relations needs figures (the range of cells holding counts)")
        parse_range(str(figures))
        bad = {k: v for k, v in rels.items() if k not in relations.DIMENSIONS or v not in relations.DIRECTIONS}
        if bad or not rels:
            raise ValueError(f"{name}: relations must map {list(relations.DIMENSIONS)} to one of "
                             f"{list(relations.DIRECTIONS)} (got {rels or 'nothing'})")
    elif figures or rels:
        raise ValueError(f"{name}: figures and relations go with read_as: relations")
    headers = {str(k): [str(v) for v in (vs or [])] for k, vs in (data.get("headers") or {}).items()}
    bad_roles = set(headers) - set(ROLES)
    if bad_roles:
        raise ValueError(f"{name}: unknown heading roles {sorted(bad_roles)} (allowed: {list(ROLES)})")
    suppressed = {}
    for marker, bounds in (data.get("suppressed") or {}).items():
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(isinstance(b, int) for b in bounds)
                and 0 <= bounds[0] <= bounds[1]):
            raise ValueError(f"{name}: suppressed['{marker}'] must be [lower, upper]")
        suppressed[str(marker)] = (bounds[0], bounds[1])
    force_code = None
    if match.get("force"):
        from flows.forces import ForceNameError, match_force

        try:
            force_code = match_force(str(match["force"])).code
        except ForceNameError as exc:
            raise ValueError(f"{name}: match.force: {exc}") from exc
    sheets = match.get("sheets") or []
    if isinstance(sheets, str):
        sheets = [sheets]
    return Recipe(
        name=name,
        file_name=str(match["file_name"]),
        read_as=read_as,
        sheets=tuple(str(s) for s in sheets),
        table=str(table) if table else None,
        financial_year=labels.financial_year(str(fy)) if fy is not None else None,
        nil_dash=bool(data.get("nil_dash", False)),
        suppressed=suppressed,
        headers=headers,
        labels={str(k): str(v) for k, v in (data.get("labels") or {}).items()},
        description=str(data.get("description") or ""),
        force_code=force_code,
        round=str(match["round"]) if match.get("round") else None,
        figures=str(figures) if figures else None,
        relations=rels,
    )


def load_mappings(directory: Path = MAPPINGS_DIR) -> list[Recipe]:
    """Every recipe in a folder, in file-name order (the first that matches a file wins)."""
    paths = sorted(p for p in Path(directory).glob("*.y*ml") if p.name not in NOT_RECIPES)
    return list(_load(tuple((str(p), p.stat().st_mtime_ns) for p in paths)))


@lru_cache(maxsize=4)
def _load(stamped: tuple[tuple[str, int], ...]) -> tuple[Recipe, ...]:
    out = []
    for path, _ in stamped:
        p = Path(path)
        out.append(recipe_from(yaml.safe_load(p.read_text(encoding="utf-8")), p.stem))
    return tuple(out)


def _relabel(sheet: Sheet, words: dict[str, str]) -> Sheet:
    if not words:
        return sheet
    wanted = {labels.normalise(k): v for k, v in words.items()}
    cells = {}
    for key, cell in sheet.cells.items():
        v = cell.value
        if isinstance(v, str) and labels.normalise(v) in wanted:
            cell = Cell(cell.row, cell.col, wanted[labels.normalise(v)], cell.number_format, cell.hidden)
        cells[key] = cell
    return Sheet(name=sheet.name, cells=cells, merged=list(sheet.merged), hidden=sheet.hidden, is_csv=sheet.is_csv)


def read(sheet: Sheet, context: SheetContext) -> Reading | None:
    """Read a sheet with the recipe read_file matched (context.mapping); None without one."""
    recipe = context.mapping
    if not isinstance(recipe, Recipe):
        return None
    part = restrict(sheet, *parse_range(recipe.table)) if recipe.table else sheet
    part = _relabel(part, recipe.labels)
    ctx = replace(
        context,
        financial_year=recipe.financial_year or context.financial_year,
        year_conflict="" if recipe.financial_year else context.year_conflict,
        calendar_year="" if recipe.financial_year else context.calendar_year,
        nil_dash=recipe.nil_dash or context.nil_dash,
        markers={**context.markers, **recipe.suppressed},
        headers={**context.headers, **recipe.headers},
    )
    if recipe.read_as == relations.NAME:
        reading = relations.read(part, ctx, figures=recipe.figures, relations=recipe.relations,
                                 financial_year=recipe.financial_year)
    else:
        reading = FAMILIES[recipe.read_as].read(part, ctx)
    layout = f"{NAME}:{recipe.name}"
    if reading is None:
        return Reading(layout=layout, confidence=1.0, problems=[Problem(
            f"the recipe schemas/layouts/{recipe.name}.yaml reads sheet '{sheet.name}' as {recipe.read_as}, "
            "but no such table was found there",
        )])
    reading.layout = layout
    reading.confidence = 1.0
    reading.notes.append(f"sheet '{sheet.name}' read with schemas/layouts/{recipe.name}.yaml ({recipe.read_as})")
    if recipe.table:
        outside = len(sheet.cells) - len(part.cells)
        if outside:
            reading.notes.append(f"sheet '{sheet.name}': {outside} cells outside {recipe.table} not read (recipe)")
    return reading
