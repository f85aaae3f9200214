"""Long (tidy) tables: a header row, then one row per year, offence and age with a count.

The header row is found by its headings (schemas/layouts/headers.yaml); the year may
instead come from the sheet name or a title when the table has no year column.
"""
from __future__ import annotations

from flows import labels
from flows.cells.grid import Sheet
from flows.labels import Age
from flows.layouts.columns import (
    AGE, COUNT, DATE, OFFENCE, OFFENCE_CODE, ONLINE, YEAR, find_header_row, repeated_role,
)
from flows.layouts.context import SheetContext
from flows.layouts.fields import age_field, offence_field, online_field, unknown_offence, year_field
from flows.layouts.figures import Figure, Over, check_and_record, offence_key
from flows.layouts.region import is_footnote, stray_numbers
from flows.observations import CALENDAR_YEARS, Count, Problem, Reading

NAME = "long"


_AGE_HEADINGS = 3  # bare numbers 0-17 across a header row: ages as columns, a crosstab
_YEAR_ROWS = 2  # financial years heading rows of the label column: at least this many make an outline


def _year_label(value) -> str | None:
    return labels.financial_year(value.strip()) if isinstance(value, str) else None


def _year_rows(sheet: Sheet, header: int, col: int) -> bool:
    """The label column holds financial years heading the rows under them (a pivot table
    in outline form: '2019/20 | 247' then its offences)."""
    years = [r for (r, c), cell in sheet.cells.items() if c == col and r > header and _year_label(cell.value)]
    return len(years) >= _YEAR_ROWS or (len(years) == 1 and min(years) == header + 1)


def _ages_across(cells) -> bool:
    ages = [c for c in cells if isinstance(c.value, (int, float)) and not isinstance(c.value, bool)
            and float(c.value).is_integer() and 0 <= c.value <= 17]
    return len(ages) >= _AGE_HEADINGS


def _is_crosstab_heading(value) -> bool:
    """Years or age bands as headings make a crosstab, whatever else the row says."""
    if isinstance(value, str):
        a = labels.age(value)
        return bool(labels.financial_year(value) or labels.is_calendar_year(value)
                    or (a.is_label and a.kind != labels.UNKNOWN))
    return False


def read(sheet: Sheet, context: SheetContext) -> Reading | None:
    # a count beside offences or ages, or beside years alone ('Financial Year | Number of offences')
    found = find_header_row(sheet, (COUNT, f"{OFFENCE}|{OFFENCE_CODE}|{AGE}|{YEAR}"), extra=context.headers)
    if found is None:
        return None
    header, roles = found
    row_cells = sheet.rows().get(header, [])
    if any(_is_crosstab_heading(c.value) for c in row_cells) or _ages_across(row_cells):
        return None
    reading = Reading(layout=NAME, confidence=0.95)
    problems = reading.problems
    repeated = repeated_role(sheet, header, roles, (COUNT, YEAR, AGE, ONLINE, DATE), "table")
    if repeated:
        problems.append(repeated)
        reading.confidence = 0.6
        return reading
    count_col = roles[COUNT][0]
    year_col = roles.get(YEAR, [None])[0]
    # no year column: a recorded date gives each row's financial year (1 April - 31 March)
    date_col = roles.get(DATE, [None])[0] if year_col is None else None
    online_col = roles.get(ONLINE, [None])[0]
    age_col = roles.get(AGE, [None])[0]
    offence_cols = sorted(roles.get(OFFENCE_CODE, []) + roles.get(OFFENCE, []))
    table_cols = sorted({count_col, *offence_cols, *(c for c in (year_col, age_col, date_col, online_col) if c)})
    not_flagged: list[int] = []

    context_year = None
    # a pivot in outline form: year rows in the label column, each over its offences
    year_rows = year_col is None and offence_cols and _year_rows(sheet, header, offence_cols[-1])
    if year_col is None and date_col is None and not year_rows:
        context_year = context.financial_year
        if context_year is None:
            where = sheet.range_ref(header, table_cols[0], header, table_cols[-1])
            if context.calendar_year:
                msg = (f"calendar years, not financial years: {context.calendar_source} says "
                       f"'{context.calendar_year}'; {where} kept out of the figures")
            elif context.year_conflict:
                msg = f"cannot tell which financial year the table at {where} is for: {context.year_conflict}"
            else:
                msg = f"no financial year for the table at {where} (no year column, sheet name or title)"
            problems.append(Problem(msg, source=where, kind=CALENDAR_YEARS if context.calendar_year else ""))
            return reading

    used = {(header, c.col) for c in row_cells}
    figures: list[Figure] = []
    block: list[str] = []
    last = header
    rows = sheet.rows()
    for r in sorted(k for k in rows if k > header):
        if is_footnote(rows[r]):
            break  # footnotes under the table: the table ends here
        if not any(c.col in table_cols for c in rows[r]):
            continue  # nothing in the table's columns: any number here is reported as stray
        last = r
        for col in table_cols:
            used.add((r, col))
        ref = sheet.ref(r, count_col)
        bad = False
        if year_rows and (fy := _year_label(sheet.value(r, offence_cols[-1]))):
            # 'nearest above': the year heads the rows under it; its own figure is their total
            context_year, block = fy, []
            c = context.count(sheet.value(r, count_col))
            if isinstance(c, Count):
                figures.append(Figure(year=fy, offence=Over(str(sheet.value(r, offence_cols[-1])).strip()),
                                      age=None if age_col is None else Over("all"), count=c, source=ref))
            elif sheet.value(r, count_col) is not None:
                problems.append(Problem(f"{ref} holds '{sheet.value(r, count_col)}' where a count should be",
                                        source=ref))
            continue
        if year_rows and context_year is None:
            where = sheet.ref(r, offence_cols[-1])
            problems.append(Problem(f"no financial year above {where} (the years head their rows)", source=where))
            continue
        flagged = online_field(sheet, r, online_col)
        if isinstance(flagged, Problem):
            problems.append(flagged)
            continue
        if not flagged:
            not_flagged.append(r)
            continue  # counts without the online flag are not asked for
        if date_col is not None:
            d = labels.parse_date(sheet.value(r, date_col), serial=True,
                                  month_first=labels.says_month_first(sheet.value(header, date_col)))
            total_row = any(labels.is_total(sheet.value(r, c)) for c in offence_cols)
            if d is None and not total_row:
                dref = sheet.ref(r, date_col)
                problems.append(Problem(f"'{sheet.value(r, date_col)}' at {dref} is not a date", source=dref))
                continue
            year = labels.financial_year_of(d) if d else Over("all")  # a total row spans every date
        else:
            year = context_year if year_col is None else year_field(sheet, r, year_col)
        offence = offence_field(sheet, r, offence_cols, block) if offence_cols else None
        a = age_field(sheet, r, age_col, blank_is_unknown=False)
        unknown = ""
        if unknown_offence(offence):
            unknown, offence = offence.message, " - ".join(
                str(sheet.value(r, c)).strip() for c in offence_cols if sheet.value(r, c) is not None)
        for v in (year, offence, a):
            if isinstance(v, Problem):
                problems.append(v)
                bad = True
        c = context.count(sheet.value(r, count_col))
        if isinstance(c, Problem):
            problems.append(Problem(f"{ref}: {c.message}", source=ref))
            bad = True
        elif c is None:
            v = sheet.value(r, count_col)
            problems.append(Problem(
                f"no count at {ref}" if v is None else f"{ref} holds '{v}' where a count should be", source=ref,
            ))
            bad = True
        if bad:
            continue
        if offence_cols and offence is None:
            oref = sheet.ref(r, offence_cols[-1])
            problems.append(Problem(f"no offence at {oref}", source=oref))
            continue
        if year_rows and isinstance(offence, Over) and offence.members is None:
            year = Over(offence.label)  # 'Grand Total' under the last year covers every year
        loaded = not (isinstance(a, Age) and a.kind in (labels.ADULT, labels.NEGATIVE))
        figures.append(Figure(year=year, offence=offence, age=a, count=c, source=ref, loaded=loaded,
                              unknown=unknown, line=r))
        if isinstance(offence, Over):
            block = []
        elif isinstance(offence, str):
            block.append(offence_key(offence))

    table_ref = sheet.range_ref(header, table_cols[0], last, table_cols[-1])
    if not_flagged:
        reading.notes.append(f"{table_ref}: {len(not_flagged)} rows without the online flag left out "
                             f"(rows {', '.join(map(str, not_flagged[:5]))}{' ...' if len(not_flagged) > 5 else ''})")
    check_and_record(figures, table_ref, reading)
    problems.extend(stray_numbers(sheet, used))
    return reading
