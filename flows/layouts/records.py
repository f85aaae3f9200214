"""Record lists: one row per offence with its recorded date, offence and victim age.

The records of one financial year, offence and victim age are one Observation counting
them, its source every row it counts ('Records!A5:E5, A9:E12'), so each record stays
traceable to its row while the warehouse holds a row per figure, not per record. The
financial year comes from the recorded date (1 April to 31 March). Dates may be real
dates, Excel serials (this column is known to hold dates) or UK day-first text.
"""
from __future__ import annotations

from datetime import date

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
    found = find_header_row(sheet, (DATE, f"{OFFENCE}|{OFFENCE_CODE}|{AGE}"))
    return found is not None and COUNT not in found[1]


def read(sheet: Sheet, context: SheetContext) -> Reading | None:
    found = find_header_row(sheet, (DATE, f"{OFFENCE}|{OFFENCE_CODE}|{AGE}"), extra=context.headers)
    if found is None:
        return None
    header, roles = found
    if COUNT in roles:
        return None  # a count column makes it a long table
    reading = Reading(layout=NAME, confidence=0.95)
    problems = reading.problems
    repeated = repeated_role(sheet, header, roles, (DATE, AGE, REFERENCE, ONLINE), "list")
    if repeated:
        problems.append(repeated)
        reading.confidence = 0.6
        return reading
    date_col = roles[DATE][0]
    age_col = roles.get(AGE, [None])[0]
    ref_col = roles.get(REFERENCE, [None])[0]
    online_col = roles.get(ONLINE, [None])[0]
    offence_cols = sorted(roles.get(OFFENCE_CODE, []) + roles.get(OFFENCE, []))
    table_cols = sorted({date_col, *offence_cols, *(c for c in (age_col, ref_col, online_col) if c)})
    not_flagged: list[int] = []
    month_first = labels.says_month_first(sheet.value(header, date_col))
    first, last_col = table_cols[0], table_cols[-1]

    rows = sheet.rows()
    used = {(header, c.col) for c in rows[header]}
    # A list has thousands of rows but few distinct values per column: each value is
    # understood once (a value that is a Problem is worked out again at each row, so the
    # message names that row's cell), and the records of one year, offence and age become
    # one figure counting them, its source naming every row.
    years: dict = {}
    offences: dict = {}
    ages: dict = {}
    flags: dict = {}
    groups: dict[tuple, list[int]] = {}
    unknowns: dict[tuple, str] = {}
    seen: dict[tuple, int] = {}
    totals: dict[str, bool] = {}  # text -> whether it labels a total
    last = header
    stated_total: tuple[Count, str] | None = None
    for r in sorted(k for k in rows if k > header):
        cells = rows[r]
        if is_footnote(cells):
            break
        total = _total_row(sheet, r, cells, context, totals)
        if total is not None:
            stated_total = total
            used.update((r, c.col) for c in cells)
            break
        if not any(c.col in table_cols for c in cells):
            continue
        last = r
        used.update((r, c) for c in range(first, last_col + 1))
        bad = False
        v = sheet.value(r, date_col)
        year = years.get(v) if _hashable(v) else None
        if year is None:
            d = labels.parse_date(v, serial=True, month_first=month_first)
            year = labels.financial_year_of(d) if d is not None else None
            if year is not None and _hashable(v):
                years[v] = year
        if year is None:
            dref = sheet.ref(r, date_col)
            problems.append(Problem(
                f"no recorded date at {dref}" if v is None else f"'{v}' at {dref} is not a date", source=dref,
            ))
            bad = True
        offence, unknown = _cached(offences, tuple(sheet.value(r, c) for c in offence_cols),
                                   lambda: _offence(sheet, r, offence_cols)) if offence_cols else (None, "")
        a = _cached(ages, sheet.value(r, age_col) if age_col else None,
                    lambda: age_field(sheet, r, age_col, blank_is_unknown=True))
        where = None
        for v in (offence, a):
            if isinstance(v, Problem):
                problems.append(v)
                bad = True
            elif isinstance(v, Over):
                where = where or sheet.range_ref(r, first, r, last_col)
                problems.append(Problem(f"a total inside the record list at {where}", source=where))
                bad = True
        if offence_cols and offence is None:
            oref = sheet.ref(r, offence_cols[-1])
            problems.append(Problem(f"no offence at {oref}", source=oref))
            bad = True
        if ref_col is not None:
            key = tuple(sheet.value(r, c) for c in table_cols)
            if key in seen:
                where = where or sheet.range_ref(r, first, r, last_col)
                problems.append(Problem(
                    f"{where} repeats the record in row {seen[key]} (same reference, date, offence and age)",
                    source=where,
                ))
                bad = True
            seen.setdefault(key, r)
        flagged = _cached(flags, sheet.value(r, online_col) if online_col else None,
                          lambda: online_field(sheet, r, online_col))
        if isinstance(flagged, Problem):
            problems.append(flagged)
            bad = True
        elif not flagged:
            not_flagged.append(r)
            continue  # a record without the online flag is not asked for
        if bad:
            continue
        group = (year, offence, a)
        groups.setdefault(group, []).append(r)
        if unknown:
            unknowns.setdefault(group, unknown)

    figures: list[Figure] = []
    for (year, offence, a), members in groups.items():
        loaded = not (isinstance(a, Age) and a.kind in (labels.ADULT, labels.NEGATIVE))
        figures.append(Figure(
            year=year, offence=offence, age=a, count=Count.known(len(members)),
            source=sheet.rows_ref(members, first, last_col), loaded=loaded,
            unknown=unknowns.get((year, offence, a), ""),
        ))

    table_ref = sheet.range_ref(header, first, last, last_col)
    if not_flagged:
        reading.notes.append(f"{table_ref}: {len(not_flagged)} records without the online flag left out "
                             f"(rows {', '.join(map(str, not_flagged[:5]))}{' ...' if len(not_flagged) > 5 else ''})")
        if stated_total is not None:
            problems.append(Problem(
                f"the list at {table_ref} mixes online and other records and states a total at "
                f"{stated_total[1]}: cannot tell which records it counts", source=stated_total[1]))
            stated_total = None
    if stated_total is not None:
        count, tref = stated_total
        figures.append(Figure(year=Over("all"), offence=Over("Total") if offence_cols else None,
                              age=Over("Total") if age_col else None, count=count, source=tref))
    # a record is one offence: no row of a list is another's subtotal or a repeated cell
    check_and_record(figures, table_ref, reading, duplicates=False, group_rows=False)
    if not figures and not problems:
        return None
    problems.extend(stray_numbers(sheet, used))
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
