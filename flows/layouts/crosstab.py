"""Crosstabs: one dimension across (a header row), one down (row labels), counts between.

The header row is found by what its cells say (years, ages or offences, never by
position), the table's columns are the ones under it, each row's label is the text to
the left, and each number takes its column's and its row's labels (unpivotr's
'up' and 'left'). Merged header cells spread over their columns; a second header row
under the first adds a second dimension (ages under each year). Several tables may
stand one below another. Whatever is left over, or cannot be labelled, is a Problem.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from flows import labels
from flows.cells.grid import Cell, Sheet
from flows.labels import Age
from flows.layouts.columns import COUNT, role_of
from flows.layouts.context import SheetContext
from flows.layouts.fields import figure_cell, group_members
from flows.layouts.figures import Figure, Over, blank_cells_note, check_and_record, offence_key
from flows.layouts.region import is_footnote, number_cells, stray_numbers
from flows.observations import CALENDAR_YEARS, Count, Problem, Reading

NAME = "crosstab"

YEAR, CALYEAR, AGE, OFFENCE, SEX = "year", "calendar year", "age", "offence", "sex"
DIMENSIONS = (YEAR, CALYEAR, AGE, OFFENCE, SEX)
# The victim's sex splits figures ('Female' / 'Male' under each year): the figures are
# told apart and added up, and each sex's Total covers only its own (Figure.split).
_WEAK_AGE = "weak age"  # a bare number that may be an age: only with other ages or an 'age' heading
_TOTAL, _GROUP = "total", "group"
_MEASURE = "measure"  # a row labelled 'Number of offences': the table's only row, no dimension
_UNKNOWN = "unknown offence"  # a row key's note: its offence label is not recognised
_SHARE = "share"  # a column of percentages or rates beside the counts: skipped, noted

_LOOK_BELOW = 4  # a header cell must have figures within this many rows under it
_AGE_RUN = 5  # bare numbers running 0, 1, 2, ... across at least this many columns are ages


def _kinds(value) -> set[str]:
    """Every dimension a header or row label could name."""
    if value is None or isinstance(value, bool):
        return set()
    if isinstance(value, str):
        return set(_text_kinds(value.strip()))
    return _number_kinds(value)


@lru_cache(maxsize=16384)
def _text_kinds(text: str) -> frozenset[str]:
    return frozenset(_kinds_of_text(text))


_PARTIAL_TOTAL = re.compile(r"\b(?:excluding|excl\.?|except|other than|not including|without)\b", re.I)
_NOT_OFFENCES = re.compile(r"^(?:number of |no\.? of |total )?(?:victims|suspects|offenders|persons|people|arrests"
                           r"|outcomes|charges)\b", re.I)
_SHARE_WORDS = re.compile(r"%|\bper ?cent\b|\bpercentage\b|\bproportion\b|\brate\b|\bper 1,?000\b"
                          r"|^(?:change|difference|increase|decrease|variance|\+/-|\+ ?/ ?-)\b"
                          # part of a year: never a financial year's figure
                          r"|\byear to date\b|\bytd\b|\bto date\b|\bpart year\b", re.I)
_OF_WHICH = re.compile(r"^\s*(?:of which|of these|including|incl\.?)\b", re.I)  # a part of the row above


def _kinds_of_text(text: str) -> set[str]:
    if not text:
        return set()
    if _SHARE_WORDS.search(text):
        return {_SHARE}  # '% of total', 'Rate per 1,000': derived from the counts, never counted
    if labels.financial_year(text):
        return {YEAR}
    if labels.total_label(text):
        return {_TOTAL}
    kinds = set()
    if labels.normalise(text) in labels.SEX_WORDS:
        return {SEX}
    if labels.is_calendar_year(text):
        kinds.add(CALYEAR)
    if labels.is_offence(text):
        kinds.add(OFFENCE)
    a = labels.age(text)
    if a.is_label:
        plain = text.replace(" ", "").lstrip("-").isdigit()
        kinds.add(_WEAK_AGE if plain else AGE)
    if not kinds and labels.offence_group(text):
        kinds.add(_GROUP)
    if not kinds and role_of(text, by_words=False) == COUNT:
        kinds.add(_MEASURE)
    return kinds


def _number_kinds(value) -> set[str]:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        kinds = set()
        if labels.is_calendar_year(value):
            kinds.add(CALYEAR)
        if labels.age(value).is_label:
            kinds.add(_WEAK_AGE)
        if labels.is_offence(str(value)):
            kinds.add(OFFENCE)
        return kinds
    return set()


def _is_date(value) -> bool:
    if isinstance(value, (date, datetime)):
        return True
    return isinstance(value, str) and labels.parse_date(value) is not None


def _dated_rows(sheet: Sheet) -> frozenset[int]:
    """Rows holding a date (each distinct text parsed once: a record list repeats them)."""
    known: dict[str, bool] = {}
    out = set()
    for c in sheet:
        v = c.value
        if isinstance(v, str):
            if v not in known:
                known[v] = _is_date(v)
            if known[v]:
                out.add(c.row)
        elif _is_date(v):
            out.add(c.row)
    return frozenset(out)


def _as_kind(kinds: set[str], kind: str) -> bool:
    return kind in kinds or (kind == AGE and _WEAK_AGE in kinds)


def _value(kind: str, value):
    """A label's value for its dimension: '2016/17', an Age, or the offence as written."""
    if kind == YEAR:
        return labels.financial_year(str(value))
    if kind == AGE:
        return labels.age(value)
    if kind == OFFENCE:
        return str(value).strip() if not isinstance(value, (int, float)) else str(int(value))
    if kind == SEX:
        return labels.normalise(str(value))
    return str(value).strip()


def _overlapping(ages: list[Age]) -> bool:
    spans = sorted((a.min, a.max if a.max is not None else 200) for a in ages if a.min is not None)
    return any(b[0] <= a[1] for a, b in zip(spans, spans[1:]))


@dataclass
class _Header:
    row: int
    kind: str
    cols: list[int]  # columns holding a label of `kind` or a total


@dataclass
class _Table:
    header_rows: list[_Header]
    columns: dict[int, dict[str, object]] = field(default_factory=dict)  # col -> dim -> value/Over
    skip: set[int] = field(default_factory=set)  # columns left out (a calendar year beside financial years)
    first_col: int = 0
    last_row: int = 0


class _Grid:
    """The sheet with each cell's kinds worked out once."""

    def __init__(self, sheet: Sheet, ctx: SheetContext):
        self.sheet = sheet
        self.ctx = ctx
        self.rows = sheet.rows()
        self.kinds: dict[tuple[int, int], set[str]] = {}
        self.numbers: set[tuple[int, int]] = set()
        self.row_cols: dict[int, list[int]] = {}
        self.reported: set[tuple[int, int]] = set()  # cells a problem already names
        self.max_row = sheet.max_row
        self.dated_rows = sheet.memo("dated_rows", _dated_rows)
        for cell in sheet:
            # rows with a date are records or notes, never headers or table rows
            self.kinds[(cell.row, cell.col)] = set() if cell.row in self.dated_rows else _kinds(cell.value)
            if ctx.markers and isinstance(cell.value, str) and isinstance(ctx.count(cell.value), Count):
                self.numbers.add((cell.row, cell.col))  # a marker only this reply's footnotes define
        self.numbers.update((c.row, c.col) for c in number_cells(sheet))
        for rng in sheet.merged:  # a merged header speaks for every column under it
            top = sheet.value(rng.min_row, rng.min_col)
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) not in self.kinds:
                        self.kinds[(r, c)] = _kinds(top)
        for r, c in self.kinds:
            self.row_cols.setdefault(r, []).append(c)
        for cols in self.row_cols.values():
            cols.sort()

    def value(self, row: int, col: int):
        return self.sheet.filled_value(row, col)

    def figures_below(self, row: int, col: int) -> bool:
        return any((r, col) in self.numbers for r in range(row + 1, row + 1 + _LOOK_BELOW))

    def age_hint(self, row: int, cols: list[int]) -> bool:
        """An 'Age' heading left of the numbers on their row, or merged over several of
        them: only then are bare numbers in a row ages rather than figures."""
        def says_age(v) -> bool:
            return isinstance(v, str) and "age" in labels.normalise(v).split()

        if any(says_age(c.value) and c.col < cols[0] for c in self.rows.get(row, [])):
            return True
        # 0, 1, 2, ... 17 across: a run of consecutive numbers no count heading would make
        values = sorted(int(float(v)) for c in cols if (isinstance(v := self.sheet.value(row, c), (int, float))
                        and not isinstance(v, bool) and float(v).is_integer())
                        or (isinstance(v, str) and v.strip().isdigit()))
        if len(values) >= _AGE_RUN and values == list(range(values[0], values[0] + len(values))) \
                and values[-1] <= 17:
            return True
        for rng in self.sheet.merged:
            if rng.max_row in (row - 1, row - 2) and says_age(self.sheet.value(rng.min_row, rng.min_col)):
                if sum(rng.min_col <= c <= rng.max_col for c in cols) >= 2:
                    return True
        return False

    def labels_left(self, row: int, col: int) -> bool:
        """Row labels under the header, left of its first column (as a table has)."""
        return any(c < col for r in range(row + 1, row + 4) for c in self.row_cols.get(r, []))

    def header_at(self, row: int, *, sub_of: _Header | None = None) -> _Header | None:
        """The header this row is, if its cells name one dimension across the figures."""
        cols = self.row_cols.get(row, [])
        if not cols or row in self.dated_rows:
            return None  # headers hold no dates: a row with one is a record
        labelled = {c: self.kinds[(row, c)] for c in cols if self.kinds[(row, c)]}
        tally = {k: [c for c, ks in labelled.items() if _as_kind(ks, k)] for k in DIMENSIONS}
        strong = {k: cs for k, cs in tally.items() if cs and (k != AGE or any(AGE in labelled[c] for c in cs))}
        weak = tally[AGE]
        if AGE not in strong and len(weak) >= 2 and self.age_hint(row, weak):
            # bare numbers that are ages by their heading or their run (0..17): '17' among
            # them is the age 17, not offence class 17
            strong = {k: [c for c in cs if c not in weak] for k, cs in strong.items()}
            strong = {k: cs for k, cs in strong.items() if cs}
            strong[AGE] = weak
            for c in weak:
                labelled[c] = {AGE}
        if SEX in strong:
            # 'Female | Male | Unknown': beside sexes, an unknown is the sex not recorded
            unknown = [c for c, ks in labelled.items() if AGE in ks and c not in strong[SEX]
                       and labels.age(self.value(row, c)).kind == labels.UNKNOWN]
            if unknown:
                strong[SEX] = sorted(strong[SEX] + unknown)
                for c in unknown:
                    labelled[c] = {SEX}
                strong.pop(AGE, None)
        if not strong:
            return None
        kind = max(strong, key=lambda k: (len(strong[k]), k == YEAR))
        cols_k = strong[kind]
        if kind == AGE:
            ages = [(labels.age(self.value(row, c)), AGE in labelled[c]) for c in cols_k]
            real = sum(a.is_child or (strong_cell and a.kind != labels.UNKNOWN) for a, strong_cell in ages)
            if real < 2 and len(cols_k) > 1:
                return None  # 'Unknown' beside '86': not a row of age headings
        # every other labelled cell must be a total, a dimension name or part of this kind
        for c, ks in labelled.items():
            if c in cols_k or _TOTAL in ks:
                continue
            if kind == YEAR and ks == {CALYEAR}:
                continue  # a calendar year beside financial years: its column is left out (_read_table)
            if ks & {YEAR, CALYEAR, OFFENCE, AGE} and not (AGE in ks and not self.figures_below(row, c)
                                                            and labels.age(self.value(row, c)).kind == labels.UNKNOWN):
                return None  # a row label of another kind: a data row, not a header
            # ('(blank)' over no figures in a pivot's years is no label of another kind)
        if sub_of is not None and kind == sub_of.kind:
            return None
        values = [self.value(row, c) for c in cols_k]
        real = [self.sheet.value(row, c) for c in cols_k if (row, c) in self.sheet.cells]
        if sub_of is None and len(set(map(str, real))) < len(real):
            return None  # repeated labels: not a header (e.g. a row of '1-4' markers)
        if kind == AGE and sub_of is None and _overlapping([labels.age(v) for v in values]):
            return None
        if not self.labels_left(row, cols_k[0]):
            return None  # '13-15 | 5 | 6': a row label and its figures, not a header
        if kind == CALYEAR and len(values) >= 2 and all(isinstance(v, (int, float)) for v in values):
            years = sorted(int(v) for v in values)
            if years != list(range(years[0], years[0] + len(years))):
                return None
        if not any(self.figures_below(row, c) for c in cols_k):
            return None
        if len(cols_k) == 1:
            # one heading: only with a figure right under it and nothing but words beside it
            # (not a title line such as 'Financial year 2016/17', not a row of a list)
            col = cols_k[0]
            left = [self.sheet.value(row, c) for c in cols if c < col]
            right = [c for c in cols if c > col]
            if not left or not any((r, col) in self.numbers for r in (row + 1, row + 2)):
                return None
            if not all(isinstance(v, str) or v is None for v in left):
                return None
            if any(not labelled.get(c, set()) & {_TOTAL, _SHARE} for c in right):
                return None
        # 'Total' columns right of the labelled ones, or left of them over figures (a Total
        # column before the years: never a column of row labels, since it holds figures)
        totals = [c for c, ks in labelled.items() if _TOTAL in ks and c not in cols_k
                  and (c > min(cols_k) or (self.figures_below(row, c) and any(x < c for x in cols)))]
        return _Header(row, kind, sorted(set(cols_k) | set(totals)))


def read(sheet: Sheet, context: SheetContext) -> Reading | None:
    grid = _Grid(sheet, context)
    reading = Reading(layout=NAME, confidence=0.0)
    used: set[tuple[int, int]] = set()
    row, found, previous_end = 1, 0, 0
    while row <= grid.max_row:
        header = grid.header_at(row)
        if header is None:
            row += 1
            continue
        found += 1
        table = _read_table(grid, header, reading, used, after=previous_end, first_table=found == 1)
        row = max(table.last_row, header.row) + 1
        previous_end = row - 1
    if not found or not (reading.observations or reading.totals or reading.problems):
        return None
    reading.problems.extend(stray_numbers(sheet, used | grid.reported))
    reading.confidence = 0.9
    return reading


def _read_table(grid: _Grid, first: _Header, reading: Reading, used: set, *, after: int, first_table: bool) -> _Table:
    sheet, ctx = grid.sheet, grid.ctx
    headers = [first]
    nxt = grid.header_at(first.row + 1, sub_of=first)
    if nxt is not None and _is_sub_header(grid, first, nxt):
        headers.append(nxt)
    table = _Table(headers)
    data_cols = sorted(set().union(*(h.cols for h in headers)))
    table.first_col = data_cols[0]
    problems = reading.problems
    # offences across: a heading no class names, among them and over figures, is kept
    # aside like an unknown row: it loads, unclassified, only if a stated total proves it
    unknown_cols: dict[int, str] = {}
    if headers[-1].kind == OFFENCE:
        for cell in grid.rows.get(headers[-1].row, []):
            if (data_cols[0] < cell.col < data_cols[-1] and cell.col not in data_cols and isinstance(cell.value, str)
                    and not grid.kinds.get((cell.row, cell.col)) and grid.figures_below(cell.row, cell.col)):
                why = labels.match_offence(cell.value).describe_unknown()
                unknown_cols[cell.col] = (f"column heading '{cell.value}' at {sheet.ref(cell.row, cell.col)} is "
                                          f"neither an offence, a total, an age nor a year ({why})")
        data_cols = sorted(set(data_cols) | set(unknown_cols))

    # -- what each column is
    for col in data_cols:
        key: dict[str, object] = {}
        for h in headers:
            v = grid.value(h.row, col)
            ks = grid.kinds.get((h.row, col), set())
            if v is None or (isinstance(v, str) and not v.strip()):
                continue
            if _TOTAL in ks:
                key[h.kind] = _over(v, h, col, table, grid)
            elif col in unknown_cols and h is headers[-1]:
                key[h.kind], key[_UNKNOWN] = str(v).strip(), unknown_cols[col]
            elif _as_kind(ks, h.kind) or (h.kind == SEX and labels.age(v).kind == labels.UNKNOWN):
                key[h.kind] = _value(h.kind, v)
            else:
                problems.append(Problem(
                    f"column heading '{v}' at {sheet.ref(h.row, col)} is not a {h.kind} like the others on its row",
                    source=sheet.ref(h.row, col),
                ))
        if any(isinstance(v, Over) for v in key.values()):
            for h in headers:  # a 'Total' column under a two-row header covers the upper row too
                key.setdefault(h.kind, Over(str(grid.value(headers[-1].row, col) or "Total")))
        if len(key) - (_UNKNOWN in key) < len(headers):
            missing = [h.kind for h in headers if h.kind not in key]
            if any((r, col) in grid.numbers for r in range(headers[-1].row + 1, headers[-1].row + 1 + _LOOK_BELOW)):
                problems.append(Problem(
                    f"the figures under {sheet.ref(headers[-1].row, col)} have no {' or '.join(missing)} heading",
                    source=sheet.ref(headers[-1].row, col),
                ))
            continue
        table.columns[col] = key
    for h in headers:
        for c in range(h.cols[0], h.cols[-1] + 1):
            if (h.row, c) in sheet.cells:
                used.add((h.row, c))
    # unrecognised headings to the right of the table, over figures
    for cell in grid.rows.get(headers[-1].row, []):
        if cell.col > data_cols[-1] and isinstance(cell.value, str) and grid.figures_below(cell.row, cell.col) \
                and _SHARE not in grid.kinds.get((cell.row, cell.col), set()):
            problems.append(Problem(
                f"column heading '{cell.value}' at {sheet.ref(cell.row, cell.col)} is not a year, an age, "
                "an offence or a total",
                source=sheet.ref(cell.row, cell.col),
            ))

    # -- the rows
    calendar = [c for c in grid.rows.get(first.row, []) if first.kind == YEAR and c.col not in data_cols
                and grid.kinds.get((c.row, c.col)) == {CALYEAR}]
    table.skip = {c.col for c in calendar}
    rows = _data_rows(grid, table, headers, used)
    for cell in calendar:
        below = [(r, cell.col) for r, _, _ in rows if (r, cell.col) in sheet.cells]
        used.update(below + [(cell.row, cell.col)])
        reading.notes.append(f"column '{cell.value}' at {sheet.ref(cell.row, cell.col)} is a calendar year, "
                             "not a financial year: not read")
    for cell in grid.rows.get(headers[-1].row, []):
        if _SHARE in grid.kinds.get((cell.row, cell.col), set()):
            below = [(r, cell.col) for r, _, _ in rows if (r, cell.col) in sheet.cells]
            used.update(below + [(cell.row, cell.col)])
            reading.notes.append(f"column '{cell.value}' at {sheet.ref(cell.row, cell.col)} holds shares, rates, "
                                 "changes or part of a year, not a year's counts: not read")
    # the table's cells are accounted for, even when a problem below keeps them out
    used.update((r, c) for r, _, _ in rows for c in data_cols if (r, c) in sheet.cells)
    across = {h.kind for h in headers}
    down, row_values = _row_dimension(grid, rows, across, problems, reading.notes, [h.row for h in headers])
    table_ref = sheet.range_ref(
        headers[0].row, min([table.first_col] + [c.col for _, ls, _ in rows for c in ls]),
        max([headers[-1].row] + [r for r, _, _ in rows]), max(data_cols),
    )
    if CALYEAR in across or down == CALYEAR:
        where = sheet.range_ref(headers[0].row, data_cols[0], headers[-1].row, data_cols[-1]) \
            if CALYEAR in across else table_ref
        problems.append(Problem(
            f"calendar years, not financial years: {where} kept out of the figures", source=where,
            kind=CALENDAR_YEARS,
        ))
        return table
    context_year = None
    if YEAR not in across and down != YEAR:
        context_year = _context_year(ctx, table_ref, problems, after, first.row, first_table)
        if context_year is None:
            return table
    if OFFENCE not in across and down != OFFENCE and ctx.title_offences:
        problems.append(Problem(
            f"the title at {ctx.title_source} names one offence ({ctx.title_offences[0]}) but the table "
            f"{table_ref} has no offence column: cannot tell whether it covers all offences",
            source=ctx.title_source,
        ))
        return table

    figures: list[Figure] = []
    blanks: list[str] = []
    for r, label_cells, row_key in row_values:
        for col, col_key in table.columns.items():
            ref = sheet.ref(r, col)
            cell = sheet.cells.get((r, col))
            if cell is None:
                blanks.append(ref)
                continue
            used.add((r, col))
            read = figure_cell(cell.value, ref, ctx)
            if isinstance(read, Problem):
                problems.append(read)
                continue
            c, unavailable = read
            dims = {k: v for k, v in col_key.items() if k != _UNKNOWN}
            unknown = row_key.get(_UNKNOWN, "") or col_key.get(_UNKNOWN, "")
            for dim, v in row_key.items():
                if dim == _UNKNOWN:
                    continue
                if dim in dims:
                    problems.append(Problem(f"{ref} has two {dim} labels", source=ref))
                dims[dim] = v
            figure = _figure(dims, context_year, c, ref, problems)
            if figure is not None:
                figure.unknown = unknown
                figure.unavailable = unavailable
                figure.line = r
                if label_cells and isinstance(label_cells[-1].value, str):
                    text = label_cells[-1].value
                    figure.indent = len(text) - len(text.lstrip())
                if down == OFFENCE and label_cells:
                    figure.offence_ref = sheet.ref(r, label_cells[-1].col)
                elif OFFENCE in across:
                    figure.offence_ref = sheet.ref(headers[[h.kind for h in headers].index(OFFENCE)].row, col)
                figures.append(figure)
    reading.notes.extend(blank_cells_note(blanks, table_ref))
    check_and_record(figures, table_ref, reading)
    return table


def _is_sub_header(grid: _Grid, first: _Header, sub: _Header) -> bool:
    """A second header row splits the first one's columns: each upper label (merged or
    followed by blanks) stands over several lower ones, and nothing labels the row at left."""
    if sub.cols[0] < first.cols[0]:
        return False
    if any(c.col < first.cols[0] and grid.kinds.get((c.row, c.col)) for c in grid.rows.get(sub.row, [])):
        return False  # a row label: this is the first row of figures
    upper = [c for c in first.cols if (first.row, c) in grid.sheet.cells]
    return len(sub.cols) > len(upper)


def _over(value, header: _Header, col: int, table: _Table, grid: _Grid) -> Over:
    """A total column: everything, an offence group, or the columns since the last total."""
    tl = labels.total_label(str(value))
    text = str(value).strip()
    if tl and tl.group and header.kind == OFFENCE:
        return Over(text, group_members(tl.group))
    if tl and tl.kind == "sub":
        members = []
        for c in sorted(table.columns, reverse=True):
            v = table.columns[c].get(header.kind)
            if isinstance(v, Over):
                break
            members.append(offence_key(v) if header.kind == OFFENCE else v)
        return Over(text, frozenset(members))
    return Over(text)


def _data_rows(grid: _Grid, table: _Table, headers: list[_Header], used: set) -> list[tuple[int, list[Cell], bool]]:
    """(row, label cells, has figures) for each row of the table, down to its end."""
    first_col = table.first_col
    data_cols = set(table.columns) | set().union(*(h.cols for h in headers))
    out = []
    row = headers[-1].row + 1
    while row <= grid.max_row:
        cells = grid.rows.get(row, [])
        if not cells:
            row += 1
            continue
        if is_footnote(cells) and not any(grid.kinds.get((c.row, c.col)) for c in cells):
            break  # a footnote, wherever it starts
        label_cells = [c for c in cells if c.col < first_col and c.col not in table.skip]
        figures = [c for c in cells if c.col in data_cols]
        if not figures:
            if label_cells and all(_row_label_kinds(grid, [c]) - {YEAR, CALYEAR} for c in label_cells) and \
                    not any(c.col >= first_col for c in cells):
                out.append((row, label_cells, False))  # a group heading inside the table
                row += 1
                continue
            break  # a footnote, a title or another table: the table ends here
        if not label_cells and grid.header_at(row) is not None:
            break
        header = grid.header_at(row) if label_cells else None
        if header is not None and not _row_label_kinds(grid, label_cells) and \
                not all((row, c) in grid.numbers for c in header.cols):
            break  # another table's header ('<5' beside a label is a figure, not an age heading)
        out.append((row, label_cells, True))
        for c in label_cells:
            used.add((c.row, c.col))
        row += 1
    # trailing group headings without figures belong to no table
    while out and not out[-1][2]:
        out.pop()
    table.last_row = out[-1][0] if out else headers[-1].row
    return out


def _row_label_kinds(grid: _Grid, label_cells: list[Cell]) -> set[str]:
    kinds: set[str] = set()
    for c in label_cells:
        kinds |= grid.kinds.get((c.row, c.col), set())
    return kinds


def _label(label_cells: list[Cell], kind: str | None) -> tuple[object, list[Cell]] | None:
    """The row's label: the longest run of label cells, from the right, that names `kind`
    (a code column and a description column together read '88A - Sexual grooming')."""
    texts = [c for c in label_cells if not (isinstance(c.value, str) and not c.value.strip())]
    for i in range(len(texts)):
        part = texts[i:]
        if len(part) == 1:
            v = part[0].value
        else:
            v = " - ".join(str(int(c.value) if isinstance(c.value, float) and c.value.is_integer() else c.value).strip()
                           for c in part)
        ks = _kinds(v)
        if kind is None and ks:
            return v, part
        if kind is not None and (_as_kind(ks, kind) or ks & {_TOTAL, _GROUP, _MEASURE}):
            return v, part
    return None


_ROLE_DIMENSION = {"offence": OFFENCE, "offence_code": OFFENCE, "victim_age": AGE, "financial_year": YEAR}


def _named_by_heading(grid: _Grid, rows, headings: list[int]) -> str | None:
    """The dimension the heading over the row labels names ('Offence', 'HO code', 'Age')."""
    cols = {ls[-1].col for _, ls, has in rows if has and ls}
    if len(cols) != 1:
        return None
    (col,) = cols
    names = {_ROLE_DIMENSION.get(role_of(grid.sheet.value(r, col))) for r in headings}
    names.discard(None)
    return names.pop() if len(names) == 1 else None


def _row_dimension(grid: _Grid, rows, across: set[str], problems: list[Problem], notes: list[str],
                   headings: list[int] = ()):
    """Which dimension the row labels name (by vote), and each row's key."""
    sheet = grid.sheet
    votes = {k: 0 for k in DIMENSIONS}
    for _, label_cells, has in rows:
        if not has:
            continue
        found = _label(label_cells, None)
        if found:
            ks = _kinds(found[0])
            for k in DIMENSIONS:
                if _as_kind(ks, k):
                    votes[k] += 1
    ranked = sorted((k for k in DIMENSIONS if votes[k] and k not in across), key=lambda k: -votes[k])
    down = ranked[0] if ranked else None
    tied = [k for k in ranked if votes[k] == votes[ranked[0]]] if ranked else []
    named = _named_by_heading(grid, rows, headings)
    if len(tied) > 1 and named in tied:
        # '71' and '86' could be ages or offence codes: the column's own heading says which
        down, ranked = named, [named]
    if len(ranked) > 1 and votes[ranked[0]] == votes[ranked[1]]:
        where = sheet.range_ref(rows[0][0], rows[0][1][0].col if rows[0][1] else 1, rows[-1][0],
                                rows[-1][1][-1].col if rows[-1][1] else 1)
        problems.append(Problem(
            f"could not tell whether the row labels in {where} are {ranked[0]}s or {ranked[1]}s", source=where,
        ))
        return None, []

    labelled = [_label(ls, None) for _, ls, has in rows if has and ls]
    if down is None and len(labelled) == 1 and labelled[0] and _TOTAL in _kinds(labelled[0][0]):
        down = _MEASURE  # a single 'Total' row under the years: the counts themselves
    leaves = sum(1 for _, ls, has in rows if has and ls and (found := _label(ls, down)) is not None
                 and not _kinds(found[0]) & {_TOTAL, _GROUP, _MEASURE})
    out = []
    blank_rows: list[str] = []  # labelled rows with no figures at all
    block: list[object] = []  # the leaf labels since the last total or heading
    for r, label_cells, has in rows:
        if not label_cells:
            ref = sheet.range_ref(r, min(c.col for c in grid.rows[r]), r, max(c.col for c in grid.rows[r]))
            problems.append(Problem(f"the figures in {ref} have no row label", source=ref))
            grid.reported.update((r, c) for c in grid.row_cols.get(r, []))
            continue
        if not has:
            block = []
            heading = _label(label_cells, down)
            if heading and down and _as_kind(_kinds(heading[0]), down) and not _kinds(heading[0]) & {_GROUP, _TOTAL}:
                blank_rows.append(sheet.ref(r, label_cells[-1].col))
            continue
        found = _label(label_cells, down)
        ref = sheet.ref(r, label_cells[-1].col)
        if _OF_WHICH.search(str(label_cells[-1].value)):
            # '  of which: sexual communication with a child': already counted in the row above
            notes.append(f"row '{str(label_cells[-1].value).strip()}' at {ref} is part of the row above it: not "
                         "added again")
            grid.reported.update((r, c) for c in grid.row_cols.get(r, []))
            continue
        if found is None and _SHARE_WORDS.search(str(label_cells[-1].value)):
            notes.append(f"row '{label_cells[-1].value}' at {ref} holds shares or changes, not counts: not read")
            grid.reported.update((r, c) for c in grid.row_cols.get(r, []))
            continue
        if found is None and _NOT_OFFENCES.search(str(label_cells[-1].value)):
            # 'Number of victims' under the offences: a count of something else, never added
            notes.append(f"row '{label_cells[-1].value}' at {ref} counts victims or people, not offences: not read")
            grid.reported.update((r, c) for c in grid.row_cols.get(r, []))
            continue
        if found is None:
            text = " - ".join(str(c.value) for c in label_cells)
            match = labels.match_offence(text if len(label_cells) > 1 else label_cells[-1].value)
            reason = f" ({match.describe_unknown()})" if down in (OFFENCE, None) else ""
            message = f"row label '{text}' at {ref} is neither an offence, a total, an age nor a year{reason}"
            last = label_cells[-1].value
            if down == OFFENCE and isinstance(last, str) and (
                    not _kinds(last) or labels.age(last).kind == labels.UNKNOWN):
                # kept aside: it loads, unclassified, only if a stated total proves it a part
                out.append((r, label_cells, {OFFENCE: label_cells[-1].value.strip(), _UNKNOWN: message}))
                block.append(offence_key(label_cells[-1].value.strip()))
                continue
            problems.append(Problem(message, source=ref))
            grid.reported.update((r, c) for c in grid.row_cols.get(r, []))
            continue
        value, part = found
        if len(part) == 1 and isinstance(value, (int, float)) and any(
                c.col < part[0].col and labels.is_offence(c.value) for c in label_cells):
            # an offence, then a number, then the figures: the number is a column the reader
            # cannot name (a total without a heading?), not an age of the offence; never a guess
            where = sheet.ref(r, part[0].col)
            problems.append(Problem(f"{where} ({value}) stands between the offence and the figures under no "
                                    "heading the reader knows", source=where))
            grid.reported.update((r, c) for c in grid.row_cols.get(r, []))
            continue
        ks = _kinds(value)
        if down == _MEASURE or (_MEASURE in ks and down is None):
            out.append((r, label_cells, {}))  # 'Number of offences': the counts themselves
            continue
        if _TOTAL in ks or _GROUP in ks:
            if down is None:
                continue
            text = str(value).strip()
            tl = labels.total_label(text)
            if tl and _PARTIAL_TOTAL.search(text):
                # 'Total excluding indecent images': what it leaves out is not said in cells,
                # so it cannot be checked; a total is never added, so it is only noted
                notes.append(f"row '{text}' at {ref} is a total that leaves something out: not checked")
                grid.reported.update((r, c) for c in grid.row_cols.get(r, []))
                continue
            group = (tl.group if tl else None) or labels.offence_group(text)
            if down == OFFENCE and group:
                over = Over(text, group_members(group))
            elif tl and tl.kind == "sub":
                over = Over(text, frozenset(block))
            elif tl:
                # 'Total' after earlier totals or headings may be a subtotal of its block
                over = Over(text, block=frozenset(block) if block and len(block) < leaves else None)
            else:
                problems.append(Problem(f"row label '{text}' at {ref} is a heading with figures", source=ref))
                continue
            out.append((r, label_cells, {down: over}))
            block = []
            continue
        if down is None:
            continue
        v = _value(down, value)
        out.append((r, label_cells, {down: v}))
        block.append(offence_key(v) if down == OFFENCE else v)
    if blank_rows:
        notes.append(f"rows with a label and no figures, left out (not read as 0): {', '.join(blank_rows[:5])}"
                     + (" ..." if len(blank_rows) > 5 else ""))
    return down, out


def _context_year(ctx: SheetContext, table_ref: str, problems: list[Problem],
                  after: int, header_row: int, first_table: bool) -> str | None:
    """The year of a table without years: a title line just above it, the sheet name, or
    (for the sheet's first table) any title above the figures."""
    local = ctx.years_between(after + 1, header_row - 1)
    if len(local) > 1:
        problems.append(Problem(
            f"cannot tell which financial year {table_ref} is for: the lines above it name "
            f"{', '.join(sorted(local))}", source=table_ref,
        ))
        return None
    if local:
        (year, row), = local.items()
        if ctx.name_year and ctx.name_year != year:
            problems.append(Problem(
                f"the sheet name says {ctx.name_year} but row {row} above {table_ref} says {year}",
                source=table_ref,
            ))
            return None
        if not ctx.calendar_year:
            return year
    if ctx.calendar_year:
        problems.append(Problem(
            f"calendar years, not financial years: {ctx.calendar_source} says '{ctx.calendar_year}'; "
            f"{table_ref} kept out of the figures",
            source=ctx.calendar_source, kind=CALENDAR_YEARS,
        ))
        return None
    if ctx.name_year:
        return ctx.name_year
    if first_table and ctx.financial_year:
        return ctx.financial_year
    if ctx.year_conflict:
        problems.append(Problem(
            f"cannot tell which financial year {table_ref} is for: {ctx.year_conflict}", source=table_ref,
        ))
        return None
    problems.append(Problem(
        f"no financial year for the figures in {table_ref} (not in the table, the sheet name or a title)",
        source=table_ref,
    ))
    return None


def _figure(dims: dict, context_year: str | None, count: Count, ref: str, problems: list[Problem]) -> Figure | None:
    year = dims.get(YEAR, context_year)
    if year is None:
        problems.append(Problem(f"{ref} has no financial year", source=ref))
        return None
    a = dims.get(AGE)
    loaded = True
    if isinstance(a, Age):
        if a.kind == labels.MIXED:
            problems.append(Problem(
                f"{ref}: an age band that mixes children and adults cannot be split", source=ref,
            ))
            return None
        if a.kind in (labels.ADULT, labels.NEGATIVE):
            loaded = False
    return Figure(year=year, offence=dims.get(OFFENCE), age=a, count=count, source=ref, loaded=loaded,
                  split=dims.get(SEX))
