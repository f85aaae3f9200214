"""A record list read column by column, straight from the reader's grid.

A reply that lists its records has thousands of rows but few distinct values in each
column. Here each column of the list's body is factorised (pandas, in C) into codes
and its distinct values; a row's kind (a record, a footnote, a total, something odd)
is worked out per distinct value and combined across columns with numpy; the records
are grouped by their distinct combination of the table's columns, and each
combination goes through records.Tally once, with all of its rows. No Cell is made for
the body, and no Python object per record.

This is only a faster way to the reading the Cell path gives (flows.layouts.records
after read_file's steps): it takes a sheet only when each of those steps would leave
it as it is, and returns None otherwise, so the Cell path reads it. The body is the
run of plain records under the header row; the rows above it (titles, the header) and
from the first row that is not a plain record to the end (footnotes, a stated total,
a bad row) are made into Cells and read as the Cell path reads them.
tests/test_record_columns.py checks that both ways give the same reading.
"""
from __future__ import annotations

from itertools import zip_longest

import numpy as np
import pandas as pd

from flows import labels
from flows.cells.grid import Sheet, cell_value
from flows.layouts.columns import COUNT
from flows.layouts.context import SheetContext, sheet_context
from flows.layouts.records import Tally, add_rows, header_of
from flows.layouts.region import is_number, number_cells, online_only, stray_numbers
from flows.observations import Count, Reading

HEADER_SEARCH_ROWS = 40  # find_header_row looks at this many rows with values: the head holds them all
MIN_BODY_ROWS = 3  # a shorter list may be two figure rows read as 'all offences, of which online'
LONG_TEXT = 20  # a number beside one text this long is a footnote's (region._is_footnote_number)
LEAD_ROWS = 200  # online_only reads the records above the first figure: made into Cells, at most this many


def read(sheet: Sheet, file_name: str) -> tuple[Reading, SheetContext] | None:
    """(the records layout's clean reading, the sheet's context) of a plain record list
    read from its grid; None when the sheet is not one, its reading has a problem (the
    Cell path lets the other layouts try), or the Cell path must read it."""
    grid = sheet.grid
    if grid is None or sheet.cells_made or sheet.merged or sheet.hidden:
        return None
    if grid.hidden_rows or grid.hidden_cols:
        return None  # visible() would leave them out, and note them
    head_end = _head_end(grid)
    head = _part(sheet, grid.first_row, head_end)
    found = header_of(head, SheetContext(file_name=file_name, sheet_name=sheet.name))
    if not isinstance(found, tuple):
        return None
    header, roles = found
    if COUNT in roles:
        return None
    tally = Tally(sheet, header, roles)
    body = _Body(grid, header + 1, tally)
    if body.plain_rows < MIN_BODY_ROWS:
        return None
    end = header + body.plain_rows  # the last plain record
    top = _part(sheet, grid.first_row, header)
    tail = _part(sheet, end + 1, grid.last_row)
    first_body_number = body.first_number_row()
    if first_body_number is not None and first_body_number - header > LEAD_ROWS:
        return None
    # the records down to the first with a number: online_only reads the rows above the first figure
    lead = _part(sheet, header + 1, first_body_number) if first_body_number is not None else None
    outline = _joined(sheet, top, tail, lead)
    if not _steps_leave_it(sheet, outline, top, tail, body, end):
        return None
    context = sheet_context(outline, file_name)
    if context.all_offences:
        return None  # read only if no other sheet is the answer: read_file decides
    # the body, one distinct combination at a time, then the rows after it as the Cell path reads them
    for rows, values, repeats in body.combinations():
        tally.add(rows, values, repeats)
    if tally.ref_col is not None:
        tally.seen_before = body.seen
    used = {(header, c.col) for c in top.cells.values() if c.row == header}
    rows = tail.rows()  # the rows after the body, as records.read reads them
    stated_total = add_rows(tally, rows, rows, context, used)
    reading = tally.reading(stated_total, lambda: stray_numbers(_joined(sheet, top, tail), used))
    if reading is None or reading.problems:
        return None  # another layout may read it: the Cell path tries them all
    return reading, context


def _head_end(grid) -> int:
    """The row where the first HEADER_SEARCH_ROWS rows with a value end (+1 for the first body row)."""
    seen = 0
    for i, values in enumerate(grid.rows):
        if any(cell_value(v) is not None for v in values):
            seen += 1
            if seen >= HEADER_SEARCH_ROWS:
                return grid.first_row + i + 1
    return grid.last_row


def _part(sheet: Sheet, first_row: int, last_row: int) -> Sheet:
    """The rows first_row..last_row of a grid's sheet, as Cells (a few rows)."""
    from flows.cells.grid import Grid

    grid = sheet.grid
    a, b = max(first_row - grid.first_row, 0), max(last_row - grid.first_row + 1, 0)
    part = Grid(grid.rows[a:b], grid.first_row + a, grid.first_col, number_formats=grid.number_formats)
    return Sheet(name=sheet.name, cells=part.cells(), is_csv=sheet.is_csv)


def _joined(sheet: Sheet, *parts: Sheet | None) -> Sheet:
    cells = {}
    for part in parts:
        if part is not None:
            cells.update(part.cells)
    return Sheet(name=sheet.name, cells=dict(sorted(cells.items())), is_csv=sheet.is_csv)


class _Body:
    """The rows under the header, column by column: each column's codes and distinct
    values, and the run of plain records from the first row."""

    def __init__(self, grid, first_row: int, tally: Tally) -> None:
        self.first_row = first_row
        rows = grid.rows[first_row - grid.first_row:]
        self.n = len(rows)
        self.tally = tally
        columns = list(zip_longest(*rows, fillvalue="")) if rows else []
        self.cols = [grid.first_col + j for j in range(len(columns))]
        self.codes: dict[int, np.ndarray] = {}
        self.values: dict[int, list] = {}  # col -> its distinct values, as Cells hold them
        for col, column in zip(self.cols, columns):
            codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=False)
            self.codes[col] = codes
            self.values[col] = [cell_value(v) for v in uniques]
        del columns
        self.plain_rows = self._plain_run()

    def _per_value(self, col: int, judge) -> np.ndarray:
        """judge(value) for each row of one column, worked out once per distinct value."""
        return np.fromiter((judge(v) for v in self.values[col]), dtype=bool,
                           count=len(self.values[col]))[self.codes[col]]

    def _plain_run(self) -> int:
        """How many rows from the first are plain records: the date is a date; two values
        or more, all within the table's columns; no text that labels a total; not a
        number beside one long text (a footnote's); nothing a heading row could repeat."""
        if not self.n or self.tally.date_col not in self.codes:
            return 0
        t = self.tally
        filled = np.zeros(self.n, dtype=np.int32)
        odd = np.zeros(self.n, dtype=bool)  # a value outside the table's columns, or a total's label
        long_text = np.zeros(self.n, dtype=bool)
        for col in self.cols:
            # each distinct value judged once, into bits: 1 a value, 2 a total's label, 4 a long text
            bits = np.fromiter(map(_bits, self.values[col]), dtype=np.int8, count=len(self.values[col]))
            bits = bits[self.codes[col]]
            has = (bits & 1).astype(bool)
            filled += has
            if col < t.first or col > t.last_col:
                odd |= has
            odd |= (bits & 2).astype(bool)
            long_text |= (bits & 4).astype(bool)
        dated = self._per_value(t.date_col, lambda v: v is not None and t.year_of(v) is not None)
        plain = dated & (filled >= 2) & ~odd & ~((filled == 2) & long_text)
        bad = np.flatnonzero(~plain)
        return int(bad[0]) if bad.size else self.n

    def _value(self, col: int, i: int):
        return self.values[col][self.codes[col][i]]

    def first_number_row(self) -> int | None:
        """The first plain record holding a number (as number_cells and the context see one)."""
        for i in range(self.plain_rows):  # almost always the first
            if any(_number_like(self._value(col, i)) for col in self.cols):
                return self.first_row + i
        return None

    def figure_rows(self, enough: int) -> int:
        """How many plain records hold a figure, counted up to `enough`: cheap columns
        first (numbers), text columns of many distinct values (references) only if needed."""
        numbers = np.zeros(self.plain_rows, dtype=bool)
        for col in sorted(self.cols, key=lambda c: len(self.values[c])):
            numbers |= self._per_value(col, is_number)[:self.plain_rows]
            if numbers.sum() >= enough:
                break
        return int(numbers.sum())

    def occupied_cols(self, from_row: int) -> set[int]:
        """The columns with a value in a plain record at or below `from_row`."""
        start = max(from_row - self.first_row, 0)
        return {col for col in self.cols
                if self._per_value(col, lambda v: v is not None)[start:self.plain_rows].any()}

    def combinations(self):
        """(rows, values, repeats) of each distinct combination of the table's columns but
        the reference, in the order each first appears: rows in order, a numpy array;
        repeats, row -> the earlier row with the same values and reference."""
        t, n = self.tally, self.plain_rows
        # records group by their financial year, not their date: every plain record has one
        years = [t.year_of(v) for v in self.values[t.date_col]]
        year_codes = pd.factorize(np.asarray(years, dtype=object), use_na_sentinel=False)[0]
        key = self._key([c for c in t.table_cols if c != t.ref_col],
                        {t.date_col: year_codes[self.codes[t.date_col][:n]]})
        repeats = self._repeats(key) if t.ref_col is not None else {}
        order = np.argsort(key, kind="stable")
        starts = np.flatnonzero(np.r_[True, key[order][1:] != key[order][:-1]])
        groups = np.split(order, starts[1:])
        groups.sort(key=lambda g: g[0])
        for members in groups:
            i = int(members[0])
            values = tuple(self._value(c, i) if c in self.codes else None for c in t.table_cols)
            rows = members + self.first_row
            mine = {r: repeats[r] for r in rows.tolist() if r in repeats} if repeats else {}
            yield rows, values, mine

    def _key(self, cols: list[int], instead: dict[int, np.ndarray] | None = None) -> np.ndarray:
        """One code per plain record for its combination of values in `cols` (`instead`:
        a column's codes for something other than its values)."""
        n = self.plain_rows
        key = np.zeros(n, dtype=np.int64)
        for col in cols:
            if instead and col in instead:
                codes = instead[col]
            else:
                codes = self.codes[col][:n] if col in self.codes else np.zeros(n, dtype=np.int64)
            key = pd.factorize(key * (int(codes.max()) + 1 if n else 1) + codes)[0].astype(np.int64)
        return key

    def _repeats(self, key: np.ndarray) -> dict[int, int]:
        """Row -> the earlier row it repeats (same values, reference included)."""
        full = self._key(self.tally.table_cols)
        _, first, inverse = np.unique(full, return_index=True, return_inverse=True)
        first_of = first[inverse]
        again = np.flatnonzero(first_of != np.arange(len(full)))
        return {int(i) + self.first_row: int(first_of[i]) + self.first_row for i in again}

    def seen(self):
        """(values, first row) of every distinct record, reference included: what the
        tail's rows are compared with (made only if the tail holds records)."""
        full = self._key(self.tally.table_cols)
        _, first = np.unique(full, return_index=True)
        for i in first.tolist():
            yield tuple(self._value(c, i) if c in self.codes else None for c in self.tally.table_cols), \
                i + self.first_row


def _bits(v) -> int:
    """1: a value; 2: a text that labels a total ('Total: 57', as records._total_row
    judges it); 4: a text as long as a footnote's (LONG_TEXT)."""
    if v is None:
        return 0
    if type(v) is not str:
        return 1
    return 1 | (2 if labels.is_total(v.split(":")[0]) else 0) | (4 if len(v.strip()) >= LONG_TEXT else 0)


def _number_like(v) -> bool:
    """A number as the context's first figure row sees it (context._first_number_row)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return True
    return isinstance(v, str) and isinstance(labels.count(v), Count)


def _steps_leave_it(sheet: Sheet, outline: Sheet, top: Sheet, tail: Sheet, body: _Body, end: int) -> bool:
    """Whether read_file's steps before the records layout would leave the sheet as it
    is: online_only, online_rows, side_by_side, stacked (flows.layouts). `outline`: the
    rows above the body, the body's rows down to its first figure, and the rows after it."""
    from flows.layouts import stacked

    around = _joined(sheet, top, tail)  # the rows above and below the body
    figures = number_cells(outline)
    first_figure = min((c.row for c in figures), default=None)
    if first_figure is None:
        return len(stacked(around)) == 1  # no figure: online_only and side_by_side have nothing to do
    if first_figure > end and body.plain_rows:
        return False  # online_only would read every record above a figure below the list
    if online_only(outline)[0] is not outline:
        return False
    head_tail_rows = {c.row for c in number_cells(around)}
    if len(head_tail_rows) + body.figure_rows(enough=3) == 2:
        return False  # online_rows reads a reply of two figure rows
    # side_by_side splits only where columns with values have a gap between them
    top_row = first_figure - 3
    lines = {r for r, cells in around.rows().items() if len(cells) == 1 and isinstance(cells[0].value, str)}
    cols = {c.col for c in around.cells.values() if c.row >= top_row and c.row not in lines}
    cols |= body.occupied_cols(top_row)
    if cols and max(cols) - min(cols) + 1 != len(cols):
        return False
    # stacked splits at a repeat of the header row: a plain record never repeats it (its
    # date is a date), so a repeat is in the rows around the body
    return len(stacked(around)) == 1
