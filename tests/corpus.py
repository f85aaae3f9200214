"""A corpus of reply layouts written the way forces write them, each with the
force-year totals (known counts) a correct reading must give. Written independently of
the simulator, so the reader is checked against files it was not tuned on."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

import openpyxl

Rows = list[list]


@dataclass(frozen=True)
class Layout:
    name: str
    write: Callable[[Path], Path]  # writes the reply into a folder, returns its path
    expected: dict[str, int]       # financial year -> known count
    # (financial year, Home Office class) -> known count, from the layout's own table:
    # a reader that files a figure under the wrong class fails here, not only a wrong total
    classes: dict[tuple[str, str], int] | None = None


def xlsx(path: Path, sheets: dict[str, Rows], *, at=(1, 1), merge_title=False, hidden: dict | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if v is not None:
                    ws.cell(row=at[0] + i, column=at[1] + j, value=v)
        if merge_title and rows:
            width = max(len(r) for r in rows)
            ws.merge_cells(start_row=at[0], start_column=at[1], end_row=at[0], end_column=at[1] + width - 1)
    for name, rows in (hidden or {}).items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        ws.sheet_state = "hidden"
    wb.save(path)
    return path


def xls(path: Path, rows: Rows) -> Path:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Data")
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v is not None:
                ws.write(i, j, v)
    wb.save(str(path))
    return path


def ods(path: Path, rows: Rows) -> Path:
    """An OpenDocument spreadsheet written with odfpy, apart from the simulator's writer."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Data")
    for row in rows:
        tr = TableRow()
        for v in row:
            if v is None:
                tc = TableCell()
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                tc = TableCell(valuetype="float", value=v)
                tc.addElement(P(text=str(v)))
            else:
                tc = TableCell(valuetype="string")
                tc.addElement(P(text=str(v)))
            tr.addElement(tc)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def text(path: Path, rows: Rows, *, delimiter=",", encoding="utf-8", preamble: list[str] = ()) -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        for line in preamble:
            fh.write(line + "\r\n")
        csv.writer(fh, delimiter=delimiter, lineterminator="\r\n").writerows(
            [["" if v is None else v for v in row] for row in rows])
    return path


# Figures shared by many layouts: 2015/16 and 2016/17 by offence.
BY_OFFENCE = {"88A": (40, 55), "86": (22, 31), "22B": (17, 20), "21": (9, 12)}
TOTALS = {"2015/16": 88, "2016/17": 118}
BY_CLASS = {(y, code): v[i] for code, v in BY_OFFENCE.items() for i, y in enumerate(("2015/16", "2016/17"))}
AGES = {12: (10, 14), 13: (25, 31), 14: (20, 26), 15: (9, 12)}  # 64 / 83
AGE_TOTALS = {"2015/16": 64, "2016/17": 83}


def offence_year_rows(years=("2015/16", "2016/17"), names=None, as_text=False, total_row=False,
                      total_col=False) -> Rows:
    names = names or {"88A": "Sexual grooming", "86": "Indecent images of children",
                      "22B": "Sexual activity involving a child under 16",
                      "21": "Sexual activity involving a child under 13"}
    rows = [["Offence", *years] + (["Total"] if total_col else [])]
    for code, values in BY_OFFENCE.items():
        cells = [f"{v:,}" if as_text else v for v in values]
        rows.append([names[code], *cells] + ([sum(values)] if total_col else []))
    if total_row:
        sums = [sum(v[i] for v in BY_OFFENCE.values()) for i in range(2)]
        rows.append(["Total", *sums] + ([sum(sums)] if total_col else []))
    return rows


def long_rows(year_style=lambda y: y) -> Rows:
    rows = [["Financial Year", "Offence", "Number of Offences"]]
    for code, values in BY_OFFENCE.items():
        for y, v in zip(("2015/16", "2016/17"), values):
            rows.append([year_style(y), code, v])
    return rows


RECORD_CLASSES: dict[tuple[str, str], int] = {}  # filled once by records_rows (every call writes the same records)


def records_rows(date_style: Callable[[date], object], with_age=True) -> tuple[Rows, dict[str, int]]:
    RECORD_CLASSES.clear()
    rows = [["Crime Reference", "Date Recorded", "Offence", "Victim Age"] if with_age
            else ["Crime Reference", "Date Recorded", "Offence"]]
    days = [date(2016, 3, 31), date(2016, 4, 1), date(2016, 12, 25), date(2017, 3, 31), date(2017, 4, 1)]
    expected: dict[str, int] = {}
    n = 0
    for k in range(30):
        d = days[k % len(days)] + timedelta(days=0)
        fy = f"{d.year}/{str(d.year + 1)[2:]}" if d.month >= 4 else f"{d.year - 1}/{str(d.year)[2:]}"
        expected[fy] = expected.get(fy, 0) + 1
        n += 1
        label, code = [("88A", "88A"), ("86 Indecent images of children", "86"), ("Sexual grooming", "88A")][k % 3]
        RECORD_CLASSES[(fy, code)] = RECORD_CLASSES.get((fy, code), 0) + 1
        row = [f"AB/{n:05d}/17", date_style(d), label]
        if with_age:
            row.append(None if k % 7 == 0 else 11 + k % 6)
        rows.append(row)
    return rows, expected


def age_year_rows(marker=None) -> Rows:
    rows = [["Age of victim", "2015/16", "2016/17"]]
    for age, values in AGES.items():
        rows.append([age, *values])
    if marker:
        rows.append([16, marker, 3 if marker is None else marker])
    rows.append(["Not recorded", 5, 6])
    return rows


def _rec(date_style, fmt):
    rows, expected = records_rows(date_style)

    def write(folder: Path) -> Path:
        if fmt == "xlsx":
            return xlsx(folder / "records.xlsx", {"Records": [["Online offences, victims under 18"], [], *rows]})
        if fmt == "xls":
            return xls(folder / "records.xls", [[d.strftime("%d/%m/%Y") if isinstance(d, date) else d for d in r] for r in rows])
        return text(folder / "records.csv", rows)
    return write, expected


def layouts() -> list[Layout]:
    out: list[Layout] = []

    def add(name, write, expected, classes=None):
        out.append(Layout(name, write, expected, dict(classes) if classes is not None else None))

    add("long csv", lambda f: text(f / "r.csv", long_rows()), TOTALS, BY_CLASS)
    add("long csv ';' cp1252 with a preamble", lambda f: text(
        f / "r.csv", long_rows(), delimiter=";", encoding="cp1252", preamble=["Réponse FOI – 2017"]), TOTALS, BY_CLASS)
    add("long tab-separated", lambda f: text(f / "r.csv", long_rows(lambda y: y.replace("/", "-")), delimiter="\t"), TOTALS)
    add("long csv utf-8 BOM, years 'April 2016 to March 2017'", lambda f: text(
        f / "r.csv", long_rows(lambda y: f"April {y[:4]} to March {int(y[:4]) + 1}"), encoding="utf-8-sig"), TOTALS)
    add("long xlsx starting at C5 under a title", lambda f: xlsx(
        f / "r.xlsx", {"Data": [["FOI 2017/001 response"], [], *long_rows()]}, at=(3, 3)), TOTALS)
    add("long ods, years 'FY16/17'", lambda f: ods(
        f / "r.ods", long_rows(lambda y: f"FY{y[2:4]}/{y[5:]}")), TOTALS)
    add("long xls", lambda f: xls(f / "r.xls", long_rows()), TOTALS, BY_CLASS)
    add("long csv with ages", lambda f: text(f / "r.csv", [["Year", "HO Code", "Victim Age", "Crimes"]] + [
        [y, "88A", a, v[i]] for a, v in AGES.items() for i, y in enumerate(("2015/16", "2016/17"))]), AGE_TOTALS)

    for label, style, fmt in (
        ("records xlsx, real dates", lambda d: d, "xlsx"),
        ("records xlsx, text dates dd/mm/yyyy", lambda d: d.strftime("%d/%m/%Y"), "xlsx"),
        ("records csv, ISO dates", lambda d: d.isoformat(), "csv"),
        ("records csv, '1 April 2016' dates", lambda d: f"{d.day} {d:%B %Y}", "csv"),
        ("records xls, text dates", lambda d: d, "xls"),
    ):
        write, expected = _rec(style, fmt)
        add(label, write, expected, RECORD_CLASSES)

    add("offence x year at A1", lambda f: xlsx(f / "r.xlsx", {"Sheet1": offence_year_rows()}), TOTALS, BY_CLASS)
    add("offence x year at D6, merged title, footnotes", lambda f: xlsx(f / "r.xlsx", {"Data": [
        ["Online child sexual offences"], [], *offence_year_rows(total_row=True),
        [], ["Source: crime recording system"], ["Figures are provisional"]]}, at=(6, 4), merge_title=True), TOTALS)
    add("offence x year with Total row and column", lambda f: xlsx(
        f / "r.xlsx", {"Data": offence_year_rows(total_row=True, total_col=True)}), TOTALS, BY_CLASS)
    add("offence x year, numbers stored as text", lambda f: xlsx(
        f / "r.xlsx", {"Data": offence_year_rows(as_text=True, total_row=True)}), TOTALS)
    add("offence x year, codes as labels, years '2016-2017'", lambda f: xlsx(f / "r.xlsx", {"Data": offence_year_rows(
        years=("2015-2016", "2016-2017"), names={c: c for c in BY_OFFENCE})}), TOTALS, BY_CLASS)
    add("offence x year xls", lambda f: xls(f / "r.xls", [["Response"], [], *offence_year_rows(total_row=True)]), TOTALS)
    add("offence x year ods", lambda f: ods(f / "r.ods", offence_year_rows()), TOTALS, BY_CLASS)
    add("offence x year csv", lambda f: text(f / "r.csv", offence_year_rows(total_row=True)), TOTALS, BY_CLASS)
    add("years down, offences across", lambda f: xlsx(f / "r.xlsx", {"Data": [
        ["Year", "Sexual grooming", "Indecent images of children",
         "Sexual activity involving a child under 16", "Sexual activity involving a child under 13"],
        ["2015/16", *(v[0] for v in BY_OFFENCE.values())],
        ["2016/17", *(v[1] for v in BY_OFFENCE.values())]]}), TOTALS, BY_CLASS)
    add("age x year", lambda f: xlsx(f / "r.xlsx", {"Ages": age_year_rows()}),
        {"2015/16": 69, "2016/17": 89})
    add("age x year with '*' and a footnote", lambda f: xlsx(f / "r.xlsx", {"Ages": [
        *age_year_rows(marker="*"), [], ["* denotes a figure between 1 and 4"]]}),
        {"2015/16": 69, "2016/17": 89})
    add("one sheet per year, offence x age band", lambda f: xlsx(f / "r.xlsx", {
        "2015-16": [["Offence", "0-12", "13-15", "16-17"], ["Sexual grooming", 10, 20, 10],
                    ["Indecent images of children", 5, 12, 5]],
        "2016-17": [["Offence", "0-12", "13-15", "16-17"], ["Sexual grooming", 15, 25, 15],
                    ["Indecent images of children", 6, 15, 10]]}), {"2015/16": 62, "2016/17": 86},
        {("2015/16", "88A"): 40, ("2015/16", "86"): 22, ("2016/17", "88A"): 55, ("2016/17", "86"): 31})
    add("one sheet per year, year in a title line, exact ages across", lambda f: xlsx(f / "r.xlsx", {
        "Sheet1": [["Financial year 2016/17"], [], ["Offence", "Aged 12", "Aged 13", "Aged 14"],
                   ["Sexual grooming", 4, 9, 7], ["Indecent images of children", 2, 5, 6]]}), {"2016/17": 33},
        {("2016/17", "88A"): 20, ("2016/17", "86"): 13})
    add("offence groups with sub-totals", lambda f: xlsx(f / "r.xlsx", {"Data": [
        ["Offence", "2015/16", "2016/17"],
        ["Rape of a female aged under 16", 3, 5], ["Rape of a female child under 13", 2, 2], ["Total rape", 5, 7],
        ["Sexual grooming", 40, 55], ["Total grooming and sexual communication", 40, 55],
        ["Grand total", 45, 62]]}), {"2015/16": 45, "2016/17": 62},
        {("2015/16", "19D"): 3, ("2015/16", "19E"): 2, ("2015/16", "88A"): 40,
         ("2016/17", "19D"): 5, ("2016/17", "19E"): 2, ("2016/17", "88A"): 55})
    add("data sheet, notes sheet and a hidden sheet", lambda f: xlsx(f / "r.xlsx", {
        "Data": offence_year_rows(), "Notes": [["Notes"], ["Online flag only."]]},
        hidden={"Working": [["Name", "Age"], ["A person", 13]]}), TOTALS, BY_CLASS)
    return out
