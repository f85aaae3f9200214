"""Record lists: one row per offence with its recorded date, offence and victim age.

Each record is an Observation with a count of 1, its source the record's row; the
financial year comes from the recorded date (1 April to 31 March). Dates may be real
dates, Excel serials (this column is known to hold dates) or UK day-first text.
"""
from __future__ import annotations

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
    figures: list[Figure] = []
    seen: dict[tuple, int] = {}
    last = header
    stated_total: tuple[Count, str] | None = None
    for r in sorted(k for k in rows if k > header):
        cells = rows[r]
        if is_footnote(cells):
            break
        total = _total_row(sheet, r, cells, context)
        if total is not None:
            stated_total = total
            used.update((r, c.col) for c in cells)
            break
        if not any(c.col in table_cols for c in cells):
            continue
        last = r
        used.update((r, c) for c in range(first, last_col + 1))
        where = sheet.range_ref(r, first, r, last_col)
        d = labels.parse_date(sheet.value(r, date_col), serial=True, month_first=month_first)
        bad = False
        if d is None:
            dref = sheet.ref(r, date_col)
            v = sheet.value(r, date_col)
            problems.append(Problem(
                f"no recorded date at {dref}" if v is None else f"'{v}' at {dref} is not a date", source=dref,
            ))
            bad = True
        offence = offence_field(sheet, r, offence_cols, []) if offence_cols else None
        a = age_field(sheet, r, age_col, blank_is_unknown=True)
        unknown = ""
        if unknown_offence(offence):
            unknown, offence = offence.message, " - ".join(
                str(sheet.value(r, c)).strip() for c in offence_cols if sheet.value(r, c) is not None)
        for v in (offence, a):
            if isinstance(v, Problem):
                problems.append(v)
                bad = True
            elif isinstance(v, Over):
                problems.append(Problem(f"a total inside the record list at {where}", source=where))
                bad = True
        if offence_cols and offence is None:
            oref = sheet.ref(r, offence_cols[-1])
            problems.append(Problem(f"no offence at {oref}", source=oref))
            bad = True
        key = tuple(sheet.value(r, c) for c in table_cols)
        if ref_col is not None and key in seen:
            problems.append(Problem(
                f"{where} repeats the record in row {seen[key]} (same reference, date, offence and age)",
                source=where,
            ))
            bad = True
        seen.setdefault(key, r)
        flagged = online_field(sheet, r, online_col)
        if isinstance(flagged, Problem):
            problems.append(flagged)
            bad = True
        elif not flagged:
            not_flagged.append(r)
            continue  # a record without the online flag is not asked for
        if bad:
            continue
        loaded = not (isinstance(a, Age) and a.kind in (labels.ADULT, labels.NEGATIVE))
        figures.append(Figure(
            year=labels.financial_year_of(d), offence=offence, age=a, count=Count.known(1),
            source=where, loaded=loaded, unknown=unknown,
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
    check_and_record(figures, table_ref, reading, duplicates=False)
    if not figures and not problems:
        return None
    problems.extend(stray_numbers(sheet, used))
    return reading


def _total_row(sheet: Sheet, row: int, cells, context: SheetContext) -> tuple[Count, str] | None:
    """'Total: 57' or 'Total records | 57' under the list: checked against the records."""
    texts = [c for c in cells if isinstance(c.value, str) and labels.is_total(c.value.split(":")[0])]
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
