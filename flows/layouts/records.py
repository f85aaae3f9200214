"""Record lists: one row per offence with its recorded date, offence and victim age.

The records of one financial year, offence and victim age are one Observation counting
them, its source every row it counts ('Records!A5:E5, A9:E12'), so each record stays
traceable to its row while the warehouse holds a row per figure, not per record. The
financial year comes from the recorded date (1 April to 31 March). Dates may be real
dates, Excel serials (this column is known to hold dates) or UK day-first text.
"""
from __future__ import annotations

from datetime import date

import numpy as np

from flows import labels
from flows.cells.grid import Sheet
from flows.labels import Age
from flows.layouts.columns import (
    AGE, COUNT, DATE, OFFENCE, OFFENCE_CODE, ONLINE, REFERENCE, find_header_row, repeated_role,
)
from flows.layouts.context import SheetContext
from flows.layouts.fields import age_field, offence_field, online_field, unknown_offence
from flows.layouts.figures import Figure, Over, check_and_record
from flows.layouts.region import is_footnote, stray_numbers
from flows.observations import Count, Problem, Reading

NAME = "records"


def is_record_list(sheet: Sheet) -> bool:
    """A list of records needs no number anywhere (text ages, or no age column): a header
    row naming a recorded date and an offence or age is enough to be read as one."""
    return header_row(sheet) is not None


def header_row(sheet: Sheet) -> int | None:
    """The header row of a record list, or None."""
    found = find_header_row(sheet, (DATE, f"{OFFENCE}|{OFFENCE_CODE}|{AGE}"))
    return found[0] if found is not None and COUNT not in found[1] else None


def header_of(sheet: Sheet, context: SheetContext):
    """(header row, roles) of a record list, a Reading that says why the list cannot be
    read (two columns for one role), or None when the sheet is not a record list."""
    found = find_header_row(sheet, (DATE, f"{OFFENCE}|{OFFENCE_CODE}|{AGE}"), extra=context.headers)
    if found is None:
        return None
    header, roles = found
    if COUNT in roles:
        return None  # a count column makes it a long table
    repeated = repeated_role(sheet, header, roles, (DATE, AGE, REFERENCE, ONLINE), "list")
    if repeated:
        reading = Reading(layout=NAME, confidence=0.6)
        reading.problems.append(repeated)
        return reading
    return header, roles


def read(sheet: Sheet, context: SheetContext) -> Reading | None:
    found = header_of(sheet, context)
    if found is None or isinstance(found, Reading):
        return found
    header, roles = found
    tally = Tally(sheet, header, roles)
    rows = sheet.rows()
    used = {(header, c.col) for c in rows[header]}
    stated_total = add_rows(tally, rows, (k for k in rows if k > header), context, used)
    return tally.reading(stated_total, lambda: stray_numbers(sheet, used))


def add_rows(tally: "Tally", rows: dict, numbers, context: SheetContext, used: set) -> tuple[Count, str] | None:
    """The rows `numbers` (of `rows`, row -> its cells) into the tally, in order, until
    a footnote or a stated total under the list: that total, or None. `used` gains the
    cells the list accounts for."""
    sheet = tally.sheet
    totals: dict[str, bool] = {}  # text -> whether it labels a total
    for r in sorted(numbers):
        cells = rows[r]
        if is_footnote(cells):
            return None
        total = _total_row(sheet, r, cells, context, totals)
        if total is not None:
            used.update((r, c.col) for c in cells)
            return total
        if not any(c.col in tally.table_cols for c in cells):
            continue
        used.update((r, c) for c in range(tally.first, tally.last_col + 1))
        tally.add([r], tuple(sheet.value(r, c) for c in tally.table_cols))
    return None


class Tally:
    """The records of a list, counted into one figure per year, offence and age.

    Rows come in as groups sharing the values of the table's columns (one row at a time
    from the cells, or every row of a distinct combination at once from the columns,
    flows.layouts.record_columns): each distinct value is understood once (a value that
    is a Problem is worked out again at each row, so the message names that row's cell),
    and problems are kept by row, so both ways give the same reading in the same order."""

    def __init__(self, sheet: Sheet, header: int, roles: dict[str, list[int]]) -> None:
        self.sheet = sheet
        self.header = header
        self.date_col = roles[DATE][0]
        self.age_col = roles.get(AGE, [None])[0]
        self.ref_col = roles.get(REFERENCE, [None])[0]
        self.online_col = roles.get(ONLINE, [None])[0]
        self.offence_cols = sorted(roles.get(OFFENCE_CODE, []) + roles.get(OFFENCE, []))
        self.table_cols = sorted({self.date_col, *self.offence_cols,
                                  *(c for c in (self.age_col, self.ref_col, self.online_col) if c)})
        self.first, self.last_col = self.table_cols[0], self.table_cols[-1]
        self.month_first = labels.says_month_first(sheet.value(header, self.date_col))
        self.last = header  # the last row of the list
        self._index = {c: i for i, c in enumerate(self.table_cols)}
        self._years: dict = {}
        self._offences: dict = {}
        self._ages: dict = {}
        self._flags: dict = {}
        self._problems: list[tuple[int, int, Problem]] = []  # (row, order, problem)
        # rows as chunks (lists, or numpy arrays from record_columns), joined once at the end
        self._not_flagged: list = []
        self._groups: dict[tuple, list] = {}
        self._unknowns: dict[tuple, str] = {}
        self._seen: dict[tuple, int] = {}
        # rows added with their repeats worked out by the caller: (values, first row) of
        # each, made only if a row is later added without (record_columns' tail)
        self.seen_before = None

    def _problem(self, row: int, problem: Problem) -> None:
        self._problems.append((row, len(self._problems), problem))

    def year_of(self, v):
        """The financial year a recorded date falls in, or None."""
        year = self._years.get(v) if _hashable(v) else None
        if year is None:
            d = labels.parse_date(v, serial=True, month_first=self.month_first)
            year = labels.financial_year_of(d) if d is not None else None
            if year is not None and _hashable(v):
                self._years[v] = year
        return year

    def add(self, rows, values: tuple, repeats: dict[int, int] | None = None) -> None:
        """Rows (in order) whose table columns hold `values` (in table_cols order).

        `repeats` (row -> the earlier row it repeats) is given by a caller that compared
        the rows' references itself (record_columns); otherwise each row's values,
        reference included, are looked up among the rows seen so far."""
        sheet, at = self.sheet, self._index
        self.last = max(self.last, int(rows[-1]))
        v = values[at[self.date_col]]
        year = self.year_of(v)
        offence, unknown = _cached(self._offences, tuple(values[at[c]] for c in self.offence_cols),
                                   lambda: _offence(sheet, rows[0], self.offence_cols)) \
            if self.offence_cols else (None, "")
        a = _cached(self._ages, values[at[self.age_col]] if self.age_col else None,
                    lambda: age_field(sheet, rows[0], self.age_col, blank_is_unknown=True))
        flagged = _cached(self._flags, values[at[self.online_col]] if self.online_col else None,
                          lambda: online_field(sheet, rows[0], self.online_col))
        if repeats is None and self.ref_col is not None:
            first = self._seen_rows().setdefault(values, rows[0])
            repeats = {r: first for n, r in enumerate(rows) if n or first != r}
        problem_free = (year is not None and not isinstance(offence, (Problem, Over))
                        and not isinstance(a, (Problem, Over)) and not (self.offence_cols and offence is None)
                        and not isinstance(flagged, Problem))
        group = (year, offence, a)
        if problem_free and not repeats:  # every row alike: all at once
            if flagged is False:
                self._not_flagged.append(rows)  # records without the online flag are not asked for
                return
            self._groups.setdefault(group, []).append(rows)
            if unknown:
                self._unknowns.setdefault(group, unknown)
            return
        for r in rows:
            repeat = repeats.get(r) if repeats else None
            bad = not (problem_free and repeat is None) and self._row_problems(
                r, values, year, offence, a, flagged, repeat)
            if flagged is False:
                self._not_flagged.append([r])
                continue  # a record without the online flag is not asked for
            if bad:
                continue
            self._groups.setdefault(group, []).append([r])
            if unknown:
                self._unknowns.setdefault(group, unknown)

    def _seen_rows(self) -> dict[tuple, int]:
        """The values (reference included) of every row added so far -> its first row."""
        if self.seen_before is not None:
            for values, row in self.seen_before():
                self._seen.setdefault(values, row)
            self.seen_before = None
        return self._seen

    def _row_problems(self, r: int, values: tuple, year, offence, a, flagged, repeats: int | None) -> bool:
        """The problems of one row, in the order a person reads them; whether there were any."""
        sheet, at = self.sheet, self._index
        count = len(self._problems)
        if year is None:
            v = values[at[self.date_col]]
            dref = sheet.ref(r, self.date_col)
            self._problem(r, Problem(
                f"no recorded date at {dref}" if v is None else f"'{v}' at {dref} is not a date", source=dref,
            ))
        if isinstance(offence, Problem):
            offence = _offence(sheet, r, self.offence_cols)[0]
        if isinstance(a, Problem):
            a = age_field(sheet, r, self.age_col, blank_is_unknown=True)
        where = None
        for v in (offence, a):
            if isinstance(v, Problem):
                self._problem(r, v)
            elif isinstance(v, Over):
                where = where or sheet.range_ref(r, self.first, r, self.last_col)
                self._problem(r, Problem(f"a total inside the record list at {where}", source=where))
        if self.offence_cols and offence is None:
            oref = sheet.ref(r, self.offence_cols[-1])
            self._problem(r, Problem(f"no offence at {oref}", source=oref))
        if repeats is not None:
            where = where or sheet.range_ref(r, self.first, r, self.last_col)
            self._problem(r, Problem(
                f"{where} repeats the record in row {repeats} (same reference, date, offence and age)",
                source=where,
            ))
        if isinstance(flagged, Problem):
            self._problem(r, online_field(sheet, r, self.online_col))
        return len(self._problems) > count

    def reading(self, stated_total: tuple[Count, str] | None, strays) -> Reading | None:
        """The list's Reading; `strays()` gives the problems of numbers outside it."""
        sheet = self.sheet
        reading = Reading(layout=NAME, confidence=0.95)
        problems = reading.problems
        problems.extend(p for _, _, p in sorted(self._problems, key=lambda t: (t[0], t[1])))
        figures: list[Figure] = []
        for (year, offence, a), chunks in self._groups.items():
            members = np.concatenate(chunks)
            loaded = not (isinstance(a, Age) and a.kind in (labels.ADULT, labels.NEGATIVE))
            figures.append(Figure(
                year=year, offence=offence, age=a, count=Count.known(len(members)),
                source=sheet.rows_ref(members, self.first, self.last_col), loaded=loaded,
                unknown=self._unknowns.get((year, offence, a), ""),
            ))
        table_ref = sheet.range_ref(self.header, self.first, self.last, self.last_col)
        not_flagged = np.sort(np.concatenate(self._not_flagged)).tolist() if self._not_flagged else []
        if not_flagged:
            reading.notes.append(f"{table_ref}: {len(not_flagged)} records without the online flag left out "
                                 f"(rows {', '.join(map(str, not_flagged[:5]))}"
                                 f"{' ...' if len(not_flagged) > 5 else ''})")
            if stated_total is not None:
                problems.append(Problem(
                    f"the list at {table_ref} mixes online and other records and states a total at "
                    f"{stated_total[1]}: cannot tell which records it counts", source=stated_total[1]))
                stated_total = None
        if stated_total is not None:
            count, tref = stated_total
            figures.append(Figure(year=Over("all"), offence=Over("Total") if self.offence_cols else None,
                                  age=Over("Total") if self.age_col else None, count=count, source=tref))
        # a record is one offence: no row of a list is another's subtotal or a repeated cell
        check_and_record(figures, table_ref, reading, duplicates=False, group_rows=False)
        if not figures and not problems:
            return None
        problems.extend(strays())
        return reading


def _hashable(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, date))


def _cached(cache: dict, key, compute):
    """compute() once per distinct value, except a Problem: it names its own row's cell."""
    if not _hashable(key) and not (isinstance(key, tuple) and all(map(_hashable, key))):
        return compute()
    if key in cache:
        return cache[key]
    out = compute()
    if not isinstance(out, Problem) and not (isinstance(out, tuple) and isinstance(out[0], Problem)):
        cache[key] = out
    return out


def _offence(sheet: Sheet, row: int, cols: list[int]) -> tuple:
    """(offence, why it is not recognised): an unrecognised label is kept with its words,
    for a stated total to judge (flows.layouts.figures)."""
    offence = offence_field(sheet, row, cols, [])
    if unknown_offence(offence):
        return " - ".join(str(sheet.value(row, c)).strip() for c in cols
                          if sheet.value(row, c) is not None), offence.message
    return offence, ""


def _total_row(sheet: Sheet, row: int, cells, context: SheetContext,
               known: dict[str, bool]) -> tuple[Count, str] | None:
    """'Total: 57' or 'Total records | 57' under the list: checked against the records.
    `known`: texts already judged (a list repeats its offences and ages)."""
    def is_total(text: str) -> bool:
        if text not in known:
            known[text] = labels.is_total(text.split(":")[0])
        return known[text]

    texts = [c for c in cells if isinstance(c.value, str) and is_total(c.value)]
    if not texts:
        return None
    numbers = [(c, context.count(c.value)) for c in cells if c is not texts[0]]
    numbers = [(c, n) for c, n in numbers if isinstance(n, Count)]
    if len(numbers) == 1:
        return numbers[0][1], sheet.ref(row, numbers[0][0].col)
    tail = texts[0].value.split(":", 1)[1:] if ":" in texts[0].value else []
    if tail and isinstance(n := context.count(tail[0]), Count):
        return n, sheet.ref(row, texts[0].col)
    return None
