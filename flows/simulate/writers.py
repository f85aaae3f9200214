"""One writer per reply layout: a force's figures -> the files it sends back.

Wording, placement and formats vary between forces as they do in real replies; the
figures are exactly those of numbers.py, so the pipeline's results can be checked.
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

from flows.offences import load_offences
from flows.simulate import plan as P
from flows.simulate.files import FIXED_TIME, save_workbook, write_plain_xlsx
from flows.simulate.numbers import ForceYear

FOOTNOTE = {
    "*": "* denotes a figure between 1 and 4, suppressed to protect the identity of victims.",
    "<5": "<5 denotes a figure between 1 and 4.",
    "[c]": "[c] confidential: a figure between 1 and 4, suppressed.",
}


def offence_label(code: str, naming: str) -> str:
    offence = load_offences()[code]
    if naming == "code":
        return code
    if naming == "description":
        return offence.description
    if naming == "alias" and offence.aliases:
        return offence.aliases[0]
    return f"{code} - {offence.description}"


def year_label(year: str, style: int) -> str:
    start = int(year[:4])
    return [
        year,
        f"{start}-{str(start + 1)[2:]}",
        f"{start}/{start + 1}",
        f"April {start} to March {start + 1}",
        f"FY{str(start)[2:]}/{str(start + 1)[2:]}",
    ][style % 5]


def shown(value: int | None, marker: str | None, as_text: bool = False):
    if value is None:
        return marker
    return f"{value:,}" if as_text else value


def by_offence(fys: dict[str, ForceYear]) -> dict[str, dict[str, tuple[int, int | None]]]:
    """offence -> year -> (true, shown), summed over ages (only used where the layout has
    no age breakdown, so figures are one per offence already)."""
    out: dict[str, dict[str, tuple[int, int | None]]] = {}
    for year, fy in fys.items():
        for f in fy.figures:
            out.setdefault(f.offence, {})[year] = (f.true, f.shown)
    return dict(sorted(out.items(), key=lambda kv: -sum(t for t, _ in kv[1].values())))


def suppress_total(true: int, marker: str | None):
    return marker if marker and 1 <= true <= 4 else true


# --- long tables ---------------------------------------------------------------------

def long_ages_csv(folder: Path, plan: P.ForcePlan, fys: dict[str, ForceYear], rng) -> None:
    headers = (["Financial Year", "Offence", "Victim Age", "Number of Offences"]
               if plan.code == P.AGE_ADJUSTER else ["Year", "HO Code", "Age of Victim", "Crimes"])
    naming = "both" if plan.code == P.AGE_ADJUSTER else "code"
    rows = []
    for year, fy in fys.items():
        for f in sorted(fy.figures, key=lambda f: (f.offence, f.age or (99, 99))):
            age = "Not recorded" if f.age is None else str(f.age[0])
            rows.append([year_label(year, 0), offence_label(f.offence, naming), age, f.true])
    _write_csv(folder / "online_child_sexual_offences.csv", [headers, *rows])


def long_csv(folder: Path, plan: P.ForcePlan, fys: dict[str, ForceYear], rng) -> None:
    style = int(plan.code[-2:])
    headers = [["Financial year recorded", "Offence Description", "Offences"],
               ["FY", "Crime Type", "Count"],
               ["Year", "Classification", "No. of crimes"]][style % 3]
    rows = []
    for year, fy in fys.items():
        for f in sorted(fy.figures, key=lambda f: f.offence):
            rows.append([year_label(year, style), offence_label(f.offence, plan.naming), f.true])
    _write_csv(folder / f"FOI response {plan.folder}.csv", [headers, *rows])
    if plan.code == P.ONLY_2016_17:
        (folder / "covering note.txt").write_text(
            "Please find attached our figures for 2016/17. Our 2015/16 data is held on a legacy\n"
            "system that cannot be searched by the online flag, so we cannot provide it.\n")


def long_ods(folder: Path, plan: P.ForcePlan, fys: dict[str, ForceYear], rng) -> None:
    rows: list[list] = [["Year", "Offence", "Number"]]
    rows += [[year_label(year, 3), offence_label(f.offence, plan.naming), f.true]
             for year, fy in fys.items() for f in sorted(fy.figures, key=lambda f: f.offence)]
    write_ods(folder / "response.ods", "Data", rows)


def write_ods(path: Path, sheet: str, rows: list[list]) -> None:
    """A plain OpenDocument spreadsheet, written directly: odfpy's output depends on what
    the process wrote before (its namespace list grows), which breaks reproducible bytes."""
    import zipfile
    from xml.sax.saxutils import escape, quoteattr

    def cell(value) -> str:
        if isinstance(value, (int, float)):
            return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
        return (f'<table:table-cell office:value-type="string">'
                f"<text:p>{escape(str(value))}</text:p></table:table-cell>")

    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet><table:table table:name={quoteattr(sheet)}>{body}"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    stamp = FIXED_TIME.timetuple()[:6]
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype", stamp), "application/vnd.oasis.opendocument.spreadsheet")
        for name, text in (("META-INF/manifest.xml", manifest), ("content.xml", content)):
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)


# --- records ---------------------------------------------------------------------------

def _records(fys: dict[str, ForceYear], rng) -> list[tuple[date, str, int | None]]:
    out = []
    for year, fy in fys.items():
        start = date(int(year[:4]), 4, 1)
        days = (date(int(year[:4]) + 1, 4, 1) - start).days
        for f in fy.figures:
            for _ in range(f.true):
                out.append((start + timedelta(days=int(rng.integers(days))), f.offence,
                            None if f.age is None else f.age[0]))
    out.sort(key=lambda r: (r[0], r[1], -1 if r[2] is None else r[2]))
    return out


BIG_RECORD_LIST = 2000  # rows above which a record list is written without openpyxl (speed)


def records_xlsx(folder: Path, plan: P.ForcePlan, fys: dict[str, ForceYear], rng) -> None:
    records = _records(fys, rng)
    prefix = plan.code[-2:]
    text_dates = plan.code == "E23000031"
    rows = [
        [f"Freedom of Information request {plan.folder} - online child sexual offences"],
        ["Data extracted on 12/05/2017"],
        [],
        ["Crime Reference", "Recorded Date" if text_dates else "Date Recorded", "Offence", "Victim Age"],
    ]
    labels = {code: offence_label(code, "both") for code in {r[1] for r in records}}
    rows += [[f"{prefix}/{i:05d}/{str(when.year)[2:]}", when.strftime("%d/%m/%Y") if text_dates else when,
              labels[code], age] for i, (when, code, age) in enumerate(records, 1)]
    path = folder / "Online CSA offences.xlsx"
    if len(records) > BIG_RECORD_LIST:
        write_plain_xlsx(path, "Records", rows)
        return
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Records"
    for row in rows:
        ws.append(row)
    ws.column_dimensions["B"].width = 14
    if plan.code == "E23000006":
        notes = wb.create_sheet("Notes")
        notes["A1"] = "Notes"
        notes["A2"] = "Offences recorded with the Home Office online crime flag, victims under 18."
        notes["A3"] = "A blank victim age means the age was not recorded."
    save_workbook(wb, path)


def records_csv(folder: Path, plan: P.ForcePlan, fys: dict[str, ForceYear], rng) -> None:
    rows = [["Crime No", "Date", "Offence", "Victim Age"]]
    for i, (when, code, age) in enumerate(_records(fys, rng), 1):
        rows.append([f"CU{i:06d}", when.strftime("%d/%m/%Y"), offence_label(code, "description"),
                     "Unknown" if age is None else age])
    buf = io.StringIO()
    buf.write(f"{plan.folder.title()} Constabulary \u2013 FOI 2017/0457\r\n")
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    (folder / "foi_2017_0457.csv").write_bytes(buf.getvalue().encode("cp1252"))


# --- crosstabs -------------------------------------------------------------------------

def _title(ws, row: int, col: int, text: str, span: int) -> None:
    ws.cell(row=row, column=col, value=text).font = Font(bold=True)
    ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + span - 1)
    ws.cell(row=row, column=col).alignment = Alignment(horizontal="center")


def offence_year_xlsx(folder: Path, plan: P.ForcePlan, fys: dict[str, ForceYear], rng,
                      *, as_text: bool = False) -> None:
    years = list(fys)
    marker = plan.suppression
    table = by_offence(fys)
    top, left = (4, 2) if as_text or int(plan.code[-1]) % 2 else (3, 1)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Online offences"
    style = int(plan.code[-2:])
    _title(ws, 1, left, f"{plan.folder}: sexual offences against children with the online flag",
           len(years) + 2)
    header = ["Offence", *(year_label(y, style) for y in years)] + ([] if as_text else ["Total"])
    for j, h in enumerate(header):
        ws.cell(row=top, column=left + j, value=h).font = Font(bold=True)
    r = top + 1
    for code, per_year in table.items():
        ws.cell(row=r, column=left, value=offence_label(code, plan.naming))
        row_true = 0
        for j, y in enumerate(years, 1):
            true, show = per_year.get(y, (0, 0))
            row_true += true
            ws.cell(row=r, column=left + j, value=shown(show, marker, as_text))
        if not as_text:
            ws.cell(row=r, column=left + len(years) + 1, value=suppress_total(row_true, marker))
        r += 1
    ws.cell(row=r, column=left, value="Total").font = Font(bold=True)
    grand = 0
    for j, y in enumerate(years, 1):
        true = fys[y].true_total
        grand += true
        value = suppress_total(true, marker)
        ws.cell(row=r, column=left + j, value=f"{value:,}" if as_text and isinstance(value, int) else value)
    if not as_text:
        ws.cell(row=r, column=left + len(years) + 1, value=suppress_total(grand, marker))
    notes = [FOOTNOTE[marker]] if marker else []
    notes += ["Source: force crime recording system, data extracted 12/05/2017.",
              "Figures are provisional and may change."]
    for k, note in enumerate(notes):
        ws.cell(row=r + 2 + k, column=left, value=note)
    save_workbook(wb, folder / f"{plan.folder} FOI response.xlsx")


def offence_year_text_xlsx(folder, plan, fys, rng) -> None:
    offence_year_xlsx(folder, plan, fys, rng, as_text=True)


def offence_year_xls(folder: Path, plan: P.ForcePlan, fys: dict[str, ForceYear], rng) -> None:
    import xlwt

    years = list(fys)
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    bold = xlwt.easyxf("font: bold on")
    ws.write_merge(0, 0, 0, len(years), f"{plan.folder} - online child sexual offences", bold)
    ws.write(2, 0, "Home Office Offence", bold)
    for j, y in enumerate(years, 1):
        ws.write(2, j, year_label(y, 1), bold)
    r = 3
    for code, per_year in by_offence(fys).items():
        ws.write(r, 0, offence_label(code, plan.naming))
        for j, y in enumerate(years, 1):
            ws.write(r, j, per_year.get(y, (0, 0))[1])
        r += 1
    ws.write(r, 0, "Total", bold)
    for j, y in enumerate(years, 1):
        ws.write(r, j, fys[y].true_total)
    wb.save(str(folder / "response.xls"))


def subtotals_xlsx(folder: Path, plan: P.ForcePlan, fys: dict[str, ForceYear], rng) -> None:
    years = list(fys)
    offences = load_offences()
    table = by_offence(fys)
    groups: dict[str, list[str]] = {}
    for code in sorted(table, key=lambda c: (offences[c].group, c)):
        groups.setdefault(offences[code].group, []).append(code)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    _title(ws, 1, 1, f"{plan.folder}: online child sexual offences by offence group", len(years) + 1)
    ws.append([])
    ws.append(["Offence", *(year_label(y, 2) for y in years)])
    for group, codes in groups.items():
        for code in codes:
            ws.append([offence_label(code, "description"),
                       *(table[code].get(y, (0, 0))[1] for y in years)])
        ws.append([f"Total {group}", *(sum(table[c].get(y, (0, 0))[0] for c in codes) for y in years)])
    ws.append(["Grand total", *(fys[y].true_total for y in years)])
    save_workbook(wb, folder / "FOI online offences.xlsx")


def age_year_xlsx(folder: Path, plan: P.ForcePlan, fys: dict[str, ForceYear], rng) -> None:
    years = list(fys)
    marker = plan.suppression
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Ages"
    _title(ws, 1, 1, f"{plan.folder}: offences with the online flag by age of victim", len(years) + 1)
    ws.append([])
    ws.append(["Victim age", *(year_label(y, 0) for y in years)])
    ages = sorted({f.age for fy in fys.values() for f in fy.figures}, key=lambda a: (a is None, a))
    yrs = plan.code == "E23000019"
    for age in ages:
        label = "Unknown" if age is None else (f"{age[0]} yrs" if yrs else age[0])
        values = []
        for y in years:
            cell = next((f for f in fys[y].figures if f.age == age), None)
            values.append(0 if cell is None else shown(cell.shown, marker))
        ws.append([label, *values])
    ws.append(["Total", *(suppress_total(fys[y].true_total, marker) for y in years)])
    ws.append([])
    ws.append([FOOTNOTE[marker]] if marker else [])
    save_workbook(wb, folder / "Ages of victims.xlsx")


def sheet_per_year_bands_xlsx(folder: Path, plan: P.ForcePlan, fys: dict[str, ForceYear], rng) -> None:
    from flows.simulate.numbers import BANDS

    bands = BANDS[plan.code]
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for year, fy in fys.items():
        ws = wb.create_sheet(year_label(year, 1))
        ws["A1"] = f"Financial year {year}: offences by age band of victim"
        ws.append([])
        ws.append(["Offence", *(f"{lo}-{hi}" for lo, hi in bands), "Total"])
        offences = sorted({f.offence for f in fy.figures})
        for code in offences:
            cells = [next((f.true for f in fy.figures if f.offence == code and f.age == b), 0) for b in bands]
            ws.append([offence_label(code, plan.naming), *cells, sum(cells)])
        ws.append(["Total", *(sum(f.true for f in fy.figures if f.age == b) for b in bands), fy.true_total])
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Age bands are of the victim's age when the offence was recorded."
    save_workbook(wb, folder / "Online offences by age band.xlsx")


def _write_csv(path: Path, rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


WRITERS = {
    P.LONG_AGES_CSV: long_ages_csv,
    P.LONG_CSV: long_csv,
    P.LONG_ODS: long_ods,
    P.RECORDS_XLSX: records_xlsx,
    P.RECORDS_CSV: records_csv,
    P.OFFENCE_YEAR_XLSX: offence_year_xlsx,
    P.OFFENCE_YEAR_TEXT_XLSX: offence_year_text_xlsx,
    P.OFFENCE_YEAR_XLS: offence_year_xls,
    P.SUBTOTALS_XLSX: subtotals_xlsx,
    P.AGE_YEAR_XLSX: age_year_xlsx,
    P.SHEET_PER_YEAR_BANDS_XLSX: sheet_per_year_bands_xlsx,
}
