"""Sheets -> observations: which layout reads each sheet of a reply, and what it found.

A recipe in schemas/layouts/ that matches the file wins. Otherwise every layout reads
every visible sheet and the surest wins; a sheet with figures that no layout reads with
confidence >= CONFIDENT is a Problem, and so is a sheet two confident layouts read
differently. Hidden sheets are never read (they may hold personal data) and sheets with
no figures are skipped; both are noted. Any Problem quarantines the whole file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from flows.cells.grid import Sheet, Workbook
from flows.layouts import crosstab, long, mapping, record_columns, records
from flows.layouts.context import SheetContext, nil_return, sheet_context
from flows.layouts.mapping import Recipe, load_mappings
from flows.layouts.region import number_cells, online_only, online_rows, range_of, restrict, visible
from flows.observations import CALENDAR_YEARS, NIL_LAYOUT, Observation, Problem, Reading, nil_observations

__all__ = ["CONFIDENT", "FileReading", "LAYOUTS", "Recipe", "SheetContext", "load_mappings",
           "read_file", "read_sheet"]

CONFIDENT = 0.5
"""A layout that finds its own structure (its header row, its columns) says 0.9 or more;
one that finds it but doubts it (two count columns) says 0.6 and reports why. Below
0.5 a layout is not claiming the sheet."""

LAYOUTS = (long, records, crosstab)


@dataclass
class FileReading:
    layout: str  # the layout(s) used, e.g. 'crosstab', 'long+crosstab', 'mapping:kent-2017'
    observations: list[Observation] = field(default_factory=list)
    totals: list[Observation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sheets: dict[str, str] = field(default_factory=dict)  # sheet -> layout, or why it was skipped
    calendar_sheets: list = field(default_factory=list)  # (sheet, problems) of sheets of calendar years only


def _signature(reading: Reading) -> list[tuple]:
    return sorted(
        (o.financial_year, o.offence or "", o.age_min if o.age_min is not None else -1,
         o.age_max if o.age_max is not None else -1, o.count.lower, o.count.upper)
        for o in reading.observations
    )


def side_by_side(sheet: Sheet) -> list[Sheet]:
    """The tables of a sheet that stand side by side, split at columns empty from their
    header down ('by offence' left, 'by age' right); the whole sheet when there is one."""
    figures = number_cells(sheet)
    if not figures:
        return [sheet]
    top = min(c.row for c in figures) - _HEADER_ROWS
    lines = {r for r, cells in sheet.rows().items() if len(cells) == 1 and isinstance(cells[0].value, str)}
    cols = sorted({c.col for c in sheet if c.row >= top and c.row not in lines})
    blocks: list[list[int]] = []
    for c in cols:
        if blocks and c == blocks[-1][-1] + 1:
            blocks[-1].append(c)
        else:
            blocks.append([c])
    with_figures = [b for b in blocks if any(f.col in b for f in figures)]
    if len(with_figures) < 2 or len(with_figures) != len(blocks):
        return [sheet]
    # a table of its own starts with a column of labels, headed by a name ('Offence',
    # 'Age of victim'); a block headed by a year or an age ('2020/21' past a spacer
    # column) is more columns of the table on its left
    def starts_a_table(block: list[int]) -> bool:
        first = min(f.row for f in figures if f.col in block)
        heads = [c.value for c in sheet if c.col == block[0] and first - _HEADER_ROWS <= c.row < first]
        return any(isinstance(v, str) and _names_a_dimension(v) for v in heads)

    if not all(starts_a_table(b) for b in blocks):
        return [sheet]
    return [restrict(sheet, 1, b[0] if i else 1, sheet.max_row, b[-1]) for i, b in enumerate(blocks)]


_HEADER_ROWS = 3  # a table's headings stand at most this many rows above its first figure


def _names_a_dimension(text: str) -> bool:
    """A heading that names what a column holds ('Offence', 'Age band'), not a value of it."""
    from flows import labels

    t = text.strip()
    return bool(t) and not (labels.financial_year(t) or labels.is_calendar_year(t) or labels.is_total(t)
                            or labels.age(t).is_child or labels.is_offence(t))


def stacked(sheet: Sheet) -> list[Sheet]:
    """The tables of a sheet that stand one under another with the same heading row (one
    per year under its own title line), split above each repeated heading row and the
    title lines just above it; the whole sheet when no heading row repeats."""
    rows = sheet.rows()

    def heading(cells) -> tuple | None:
        texts = tuple((c.col, str(c.value).strip().lower()) for c in cells if isinstance(c.value, str))
        numbers = [c for c in cells if not isinstance(c.value, str)]
        return texts if len(texts) >= 2 and not numbers else None

    seen: dict[tuple, list[int]] = {}
    for r in sorted(rows):
        h = heading(rows[r])
        if h is not None:
            seen.setdefault(h, []).append(r)
    listed = records.header_row(sheet)
    if listed is not None:
        # under a record list's header, two records alike (a csv list is all text) are
        # records, not a heading: only the header row itself, repeated, starts a table
        seen = {h: rs for h, rs in seen.items() if listed in rs}
    repeated = next((rs for rs in seen.values() if len(rs) > 1), None)
    if repeated is None:
        return [sheet]
    starts = []
    for r in repeated:
        start = r
        while start - 1 in rows and len(rows[start - 1]) == 1 and isinstance(rows[start - 1][0].value, str):
            start -= 1  # the table's title lines go with it
        starts.append(start)
    starts[0] = 1
    bounds = list(zip(starts, [s - 1 for s in starts[1:]] + [sheet.max_row]))
    return [restrict(sheet, a, 1, b, sheet.max_col) for a, b in bounds]


def read_sheet(sheet: Sheet, context: SheetContext) -> Reading:
    """The surest layout's reading of one visible sheet, table by table when tables stand
    side by side or one under another with the same headings (with a Problem when no
    layout or two read a table)."""
    parts = side_by_side(sheet)
    if len(parts) == 1 and len(stacks := stacked(sheet)) > 1:
        # each table under its own title: its year is the one its title names
        readings = [_read_table(part, _context_of(part, context)) for part in stacks]
        return _joined(sheet, readings, f"{len(stacks)} tables one under another, each read on its own")
    if len(parts) == 1:
        return _read_table(sheet, context)
    readings = [_read_table(part, context) for part in parts]
    return _joined(sheet, readings, f"{len(parts)} tables side by side, each read on its own")


def _context_of(part: Sheet, context: SheetContext) -> SheetContext:
    ctx = sheet_context(part, context.file_name)
    ctx.headers, ctx.mapping = context.headers, context.mapping
    return ctx


def _joined(sheet: Sheet, readings: list[Reading], note: str) -> Reading:
    out = Reading(layout="+".join(dict.fromkeys(r.layout for r in readings)),
                  confidence=min(r.confidence for r in readings))
    for r in readings:
        out.observations.extend(r.observations)
        out.totals.extend(r.totals)
        out.problems.extend(r.problems)
        out.notes.extend(r.notes)
    out.notes.append(f"sheet '{sheet.name}': {note}")
    return out


def _read_table(sheet: Sheet, context: SheetContext) -> Reading:
    listed = records.read(sheet, context)
    if listed is not None and listed.observations and not listed.problems:
        # A list read cleanly is not tried as another table: every value of it was read
        # under its column's heading (a date, an offence, an age, a reference) and every
        # number accounted for; a crosstab reading of the same cells would count ages.
        return listed
    readings = [r for r in (listed if m is records else m.read(sheet, context) for m in LAYOUTS)
                if r is not None and (r.observations or r.totals or r.problems)]
    confident = sorted((r for r in readings if r.confidence >= CONFIDENT), key=lambda r: -r.confidence)
    if not confident:
        cells = [(c.row, c.col) for c in number_cells(sheet)]
        where = range_of(sheet, cells) if cells else f"sheet '{sheet.name}'"
        tried = ", ".join(f"{r.layout} {r.confidence:.1f}" for r in readings) or "none recognised a table"
        return Reading(layout="none", confidence=0.0, problems=[Problem(
            f"could not tell which labels the numbers in {where} belong to: no layout reads sheet "
            f"'{sheet.name}' with confidence ({tried})",
            source=where,
        )])
    # A reading that accounts for every number of the sheet without a problem beats ones
    # that leave numbers unplaced or contradict themselves: that is evidence, where
    # confidence is only a layout's opinion of itself. Two clean readings must agree.
    clean = [r for r in confident if not r.problems]
    if len(clean) == 1:
        return clean[0]
    best = (clean or confident)[0]
    for other in (clean or confident)[1:]:
        if _signature(other) != _signature(best):
            best.problems.append(Problem(
                f"sheet '{sheet.name}' reads two ways: as {best.layout} ({len(best.observations)} figures) "
                f"and as {other.layout} ({len(other.observations)} figures); cannot tell which is right",
            ))
    return best


def read_file(workbook: Workbook, *, file_name: str, mappings: Iterable[Recipe] | None = None,
              force_code: str | None = None, round_name: str | None = None, columnar: bool = True) -> FileReading:
    """Every figure of one reply file, with the problems that make it untrustworthy.
    `columnar` False: plain record lists too are read through Cells (the reference
    the columnar reading is tested against)."""
    recipes = load_mappings() if mappings is None else list(mappings)
    names = [s.name for s in workbook.sheets]
    recipe = next((m for m in recipes if m.matches(file_name, names, force_code, round_name)), None)
    out = FileReading(layout="")
    used: list[str] = []
    all_scope: list[tuple[Sheet, SheetContext]] = []  # sheets of all offences, online or not
    nil_sheets: list[tuple[str, list[str], str]] = []  # (sheet, years, cell) saying nothing was recorded
    for sheet in workbook.sheets:
        if sheet.hidden:
            out.sheets[sheet.name] = "skipped: hidden"
            out.notes.append(f"hidden sheet '{sheet.name}' not read")
            continue
        if recipe is not None and recipe.sheets and sheet.name not in recipe.sheets:
            out.sheets[sheet.name] = f"skipped: not in schemas/layouts/{recipe.name}.yaml"
            out.notes.append(f"sheet '{sheet.name}' not read (not named in {recipe.name}.yaml)")
            continue
        if recipe is None and columnar and (fast := record_columns.read(sheet, file_name)) is not None:
            # a plain record list, read from its columns (the same reading as below, faster)
            reading, context = fast
            out.notes.extend(f"sheet '{sheet.name}' says at {where}: {line}" for where, line in context.unavailable)
            _read_into(out, used, sheet, context, recipe, reading)
            continue
        shown, hidden_notes = visible(sheet)
        out.notes.extend(hidden_notes)
        shown, scope_notes = online_only(shown)
        out.notes.extend(scope_notes)
        shown, scope_notes = online_rows(shown)
        out.notes.extend(scope_notes)
        if not number_cells(shown) and not records.is_record_list(shown):
            nil = nil_return(shown)
            if nil is not None:
                nil_sheets.append((sheet.name, *nil))
            out.sheets[sheet.name] = "skipped: no figures"
            continue
        context = sheet_context(shown, file_name)
        out.notes.extend(f"sheet '{sheet.name}' says at {where}: {line}" for where, line in context.unavailable)
        if context.all_offences and recipe is None:
            all_scope.append((shown, context))  # read only if no other sheet is the answer
            continue
        _read_into(out, used, shown, context, recipe)
    _all_offences_sheets(out, used, all_scope, recipe)
    for name, problems in out.calendar_sheets:
        if out.observations:
            # a sheet of calendar years beside one of financial years: the answer is the other
            out.notes.extend(f"sheet '{name}' not read: {p.message}" for p in problems)
        else:
            out.problems.extend(problems)
    if nil_sheets and not out.observations and not out.problems:
        # a letter that says nothing was recorded, and no figures anywhere in the file
        for name, years, where in nil_sheets:
            out.sheets[name] = "nil return"
            out.observations.extend(nil_observations(years, where, where))
            out.notes.append(f"sheet '{name}': a nil return in words at {where} ({', '.join(years)})")
        used.append(NIL_LAYOUT)
    out.notes.extend(f"sheet '{name}' has no figures: skipped" for name, why in out.sheets.items()
                     if why == "skipped: no figures")
    out.layout = "+".join(used) if used else "none"
    return out


def _read_into(out: FileReading, used: list[str], sheet: Sheet, context: SheetContext, recipe,
               reading: Reading | None = None) -> None:
    if reading is not None:
        pass  # read already (record_columns)
    elif recipe is not None:
        context.mapping = recipe
        reading = mapping.read(sheet, context)
    else:
        reading = read_sheet(sheet, context)
    if reading.problems and all(p.kind == CALENDAR_YEARS for p in reading.problems) and not reading.observations:
        out.calendar_sheets.append((sheet.name, reading.problems))
        out.sheets[sheet.name] = "calendar years"
        return
    out.sheets[sheet.name] = reading.layout
    if reading.layout not in used:
        used.append(reading.layout)
    out.observations.extend(reading.observations)
    out.totals.extend(reading.totals)
    out.problems.extend(reading.problems)
    out.notes.extend(reading.notes)


def _all_offences_sheets(out: FileReading, used: list[str], sheets: list[tuple[Sheet, SheetContext]],
                         recipe) -> None:
    """Sheets that count every child sexual offence, online or not: skipped beside the
    sheets that answer the request. Alone, a sheet only *named* 'All offences' is read
    (all offence types, most likely online-flagged); one whose title says online or not
    is a Problem, never read as online figures."""
    for sheet, context in sheets:
        where = context.all_offences
        if used:
            out.sheets[sheet.name] = "skipped: all offences, not only online-flagged"
            out.notes.append(f"sheet '{sheet.name}' counts all child sexual offences, online or not ({where}): "
                             "not read")
        elif where == "the sheet name" and all(c.all_offences == "the sheet name" for _, c in sheets):
            out.notes.append(f"sheet '{sheet.name}' is named as all offences, and no other sheet has figures: read")
            _read_into(out, used, sheet, context, recipe)
        else:
            out.sheets[sheet.name] = "not read: all offences, not only online-flagged"
            out.problems.append(Problem(
                f"sheet '{sheet.name}' counts all child sexual offences, online or not ({where}), and no sheet "
                "gives the online-flagged ones", source=where))
