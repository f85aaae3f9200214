"""The personal-data scan of a sheet read from a file works from the sheet's Grid and
makes no Cell; it finds exactly what the scan of the same sheet's Cells finds.

Each file is read twice: once scanned as read (the grid path: every sheet's `_cells`
must still be None afterwards), once with `sheet.cells` made for every sheet first (the
Cell path). The findings and the values kept for scrubbing must be equal. The files hold
what the grid has and the Cells leave out: '' and whitespace-only texts (an xlsx string
kept with xml:space="preserve", csv fields), whole floats (12345.0 under a crime
reference header is 12345 in a Cell), hidden rows and columns, ragged csv rows, a table
ending at a row of blanks, a sheet not starting at A1.
"""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

from flows.cells import DATA_SUFFIXES, read_workbook
from flows.cells.grid import Grid, Sheet, Workbook
from flows.personal import (COMMENT, HIDDEN_COLUMNS, HIDDEN_ROWS, HIDDEN_SHEET, IN_TABLE, OUTSIDE, SHEET_NAME,
                            PersonalScan, read_comments, scan_workbook)

FIRST = ["Janet", "Oliver", "Amelia", "Harry", "Isla", "Jacob", "Poppy", "Charlie"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts"]
OFFENCES = ["Rape of a girl under 13", "Sexual communication with a child", "Indecent images of children"]
RECORDS = 3000
TABLE_END = 2500  # a row of blanks there ends the table under the headers


def _preserve_whitespace(path: Path) -> None:
    """openpyxl writes '   ' without xml:space="preserve", and readers then drop it:
    keep it, so that the grid holds whitespace-only texts as some forces' files do."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<t>", b'<t xml:space="preserve">')
            out.writestr(info, data)
    tmp.replace(path)


def _record(i: int) -> list:
    """One victim row: name, date of birth, crime reference, offence, age, notes (hidden)."""
    name = f"{FIRST[i % 8]} {LAST[(i // 8) % 8]}" if i % 17 else "Not known"
    if i % 5 == 0:
        dob = f"{1 + i % 28:02d}/{1 + i % 12:02d}/{2001 + i % 9}"  # a date written as text
    elif i % 23 == 0:
        dob = "   "  # whitespace only: no Cell
    else:
        dob = dt.date(2001 + i % 9, 1 + i % 12, 1 + i % 28)
    if i % 7 == 0:
        ref = float(10000 + i)  # a whole float: an int in a Cell, '12345' when scrubbing
    elif i % 11 == 0:
        ref = float(i % 50)  # a small count: not an identifier
    elif i % 13 == 0:
        ref = ""
    else:
        ref = f"CR/{12345 + i:06d}/19"
    notes = f"{FIRST[i % 8].lower()}.{LAST[i % 8].lower()}@example.com" if i % 97 == 0 else ("  " if i % 3 else "")
    return [name, dob, ref, OFFENCES[i % 3], 10 + i % 8, notes]


def leaky_records_xlsx(path: Path) -> Path:
    """A count table that leaks beside it, in a hidden row and a hidden column (one row
    of which holds nothing else), in a comment; a visible record sheet of a few thousand
    victims with hidden rows and a hidden column; a hidden sheet; a sheet named after a
    child; a sheet that starts at C5."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"] = "Kent Police - FOI 2017/00123"
    for r, row in enumerate([["Offence", "2015/16", "2016/17"], ["Sexual grooming", 40, 55.0],
                             ["Indecent images of children", 22, 31], ["Total", 62, 86]], start=3):
        for c, v in enumerate(row, start=1):
            ws.cell(r, c, v)
    ws["A8"] = "Questions: foi@kent.police.uk"
    ws["B9"] = "   "
    ws["A12"] = "jane.doe@example.com"
    ws.row_dimensions[12].hidden = True
    ws["F4"], ws["F5"] = "LS1 4AB", "M1 1AE"
    ws["F20"] = "BD7 1AY"  # a hidden column's value in a row with nothing else
    ws.column_dimensions["F"].hidden = True
    ws["H4"] = "07700 900123"
    ws["B4"].comment = Comment("Checked: victim DOB 01/02/2005", "Analyst")

    victims = wb.create_sheet("Victims")
    victims.append(["Victim name", "Date of birth", "Crime reference", "Offence", "Age", "Notes"])
    for i in range(1, RECORDS + 1):
        row = victims.max_row + 1
        if row == TABLE_END:
            victims.append(["   ", "", "  ", None, None, " "])  # blanks only: the table ends here
            continue
        victims.append(_record(i))
    for r in list(range(100, 111)) + [TABLE_END + 3]:
        victims.row_dimensions[r].hidden = True
    victims.column_dimensions["F"].hidden = True

    raw = wb.create_sheet("Raw")
    raw.append(["Name", "Date of Birth", "Crime Ref"])
    for i in range(1, 41):
        raw.append([f"{FIRST[i % 8]} {LAST[i % 8]}", dt.datetime(2004 + i % 6, 1 + i % 12, 1 + i % 28),
                    float(20000 + i)])
    raw.sheet_state = "hidden"
    named = wb.create_sheet("John Smith 01.02.2005")
    named["A1"] = "Notes"
    offset = wb.create_sheet("Offset")
    offset["C5"], offset["D5"] = "Occurrence number", "Count"
    for i in range(6):
        offset.cell(6 + i, 3, f"NE/17/{54321 + i}" if i % 2 else float(60000 + i))
        offset.cell(6 + i, 4, 1)
    wb.save(path)
    _preserve_whitespace(path)
    return path


def plain_records_xlsx(path: Path) -> Path:
    """A record list without headers that name anything personal (the common case)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Records"
    ws.append(["Ref", "Date Recorded", "Offence", "Victim Age", "Online Flag"])
    for i in range(1, RECORDS + 1):
        ws.append([f"SY{19 + i % 2}{i * 7919 % 10**8:08d}", dt.date(2019, 4, 1) + dt.timedelta(days=i % 700),
                   OFFENCES[i % 3], float(10 + i % 8), "Y"])
    wb.save(path)
    return path


def records_csv(path: Path) -> Path:
    """Ragged records with blank lines, whitespace-only fields, a field spanning lines,
    a line of empty fields ending the table, and values below it."""
    lines = ["Victim name,DOB,Crime Ref,Offence,Contact"]
    for i in range(1, RECORDS + 1):
        if i == 1200:
            lines.append(" ,  ,,\t,")  # blanks only: the table ends here
            continue
        if i == 1500:
            lines.append("")
            continue
        name = f"{FIRST[i % 8]} {LAST[(i // 8) % 8]}" if i % 19 else "  "
        dob = f"{1 + i % 28:02d}/{1 + i % 12:02d}/{2001 + i % 9}" if i % 4 else "unknown"
        ref = f"CR/{12345 + i:06d}/19" if i % 6 else str(30000 + i)
        fields = [name, dob, ref, OFFENCES[i % 3]]
        if i % 10 == 0:
            fields.append(f"07700 9{i % 100000:05d}")
        if i % 250 == 0:
            fields[3] = '"Noted:\nvictim lives at 27 Acacia Avenue, LS6 9QW"'
        lines.append(",".join(fields[: 3 + i % 3] if i % 31 == 0 else fields))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _scans(path: Path, table_ranges=None) -> tuple[PersonalScan, PersonalScan, Workbook]:
    """(the scan as read: grid path, the scan with every sheet's cells made: Cell path,
    the workbook scanned on the grid path)."""
    wb = read_workbook(path)
    comments = read_comments(path, wb.file_type)
    from_grid = scan_workbook(wb, comments, table_ranges)
    other = read_workbook(path)
    for sheet in other.sheets:
        assert isinstance(sheet.cells, dict)  # made now
    from_cells = scan_workbook(other, comments, table_ranges)
    return from_grid, from_cells, wb


def assert_same_scan(path: Path, table_ranges=None) -> PersonalScan:
    before = [s._cells is None for s in read_workbook(path).sheets]
    from_grid, from_cells, wb = _scans(path, table_ranges)
    assert [s._cells is None for s in wb.sheets] == before, "the scan made Cells"
    assert from_grid.findings == from_cells.findings
    assert from_grid._values == from_cells._values
    return from_grid


def test_a_leaky_record_workbook(tmp_path: Path) -> None:
    path = leaky_records_xlsx(tmp_path / "leaky.xlsx")
    wb = read_workbook(path)
    assert all(s._cells is None and s.grid is not None for s in wb.sheets)  # every sheet on the grid path
    victims = next(s for s in wb.sheets if s.name == "Victims").grid
    assert victims.hidden_rows and victims.hidden_cols
    assert "   " in victims.rows[TABLE_END - 1] and 10007.0 in {r[2] for r in victims.rows}
    ranges = {"Data": [(3, 1, 6, 3)], "Victims": [(1, 1, 400, 4)]}
    for table_ranges in (None, ranges):
        scan = assert_same_scan(path, table_ranges)
    where = {f.where for f in scan.findings}
    assert {HIDDEN_SHEET, HIDDEN_ROWS, HIDDEN_COLUMNS, COMMENT, SHEET_NAME, OUTSIDE, IN_TABLE} <= where
    # F20 is in a hidden column of a shown row, though nothing else in row 20 shows: the
    # reader's hidden rows and columns say so (Cells alone would guess 'hidden rows')
    postcodes = {f.where: f.cells for f in scan.findings if f.sheet == "Data" and f.kind == "postcode"}
    assert "F20" in postcodes[HIDDEN_COLUMNS] and HIDDEN_ROWS not in postcodes
    kinds = {(f.sheet, f.kind) for f in scan.findings}
    assert {("Victims", "name"), ("Victims", "date_of_birth"), ("Victims", "crime_reference"),
            ("Victims", "email")} <= kinds
    # whole floats are scrubbed as a Cell holds them; blanks are never values
    assert "10007" in scan._values and "10007.0" not in scan._values
    assert "" not in scan._values and "   " not in scan._values
    # the table under the headers ends at the row of blanks: names below it are not found by header
    # (names match no pattern: only the header finds them, rows 2 to TABLE_END - 1)
    names = sum(f.count for f in scan.findings if f.sheet == "Victims" and f.kind == "name")
    assert TABLE_END * 0.9 < names <= TABLE_END - 2


def test_a_plain_record_list(tmp_path: Path) -> None:
    scan = assert_same_scan(plain_records_xlsx(tmp_path / "records.xlsx"))
    assert scan.findings == []


def test_a_ragged_csv(tmp_path: Path) -> None:
    path = records_csv(tmp_path / "records.csv")
    rows = read_workbook(path).sheets[0].grid.rows
    assert len(set(map(len, rows))) > 1 and [] in rows  # ragged, with empty lines
    scan = assert_same_scan(path)
    assert {f.kind for f in scan.findings} >= {"name", "date_of_birth", "crime_reference", "phone"}
    assert "" not in scan._values and "  " not in scan._values


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    from flows.simulate import simulate_round

    out = tmp_path_factory.mktemp("simulated")
    simulate_round(out)
    return out


def test_every_simulated_reply(simulated: Path) -> None:
    files = sorted(p for p in simulated.rglob("*") if p.is_file() and p.suffix.lower() in DATA_SUFFIXES)
    read = 0
    with_findings = 0
    for path in files:
        try:
            read_workbook(path)
        except Exception:  # noqa: BLE001  (a letter written as .txt: not a data file)
            continue
        read += 1
        with_findings += bool(assert_same_scan(path).findings)
    assert read >= 30 and with_findings >= 2


def test_blank_texts_and_offsets_in_a_hand_made_grid() -> None:
    """A grid not starting at A1, ragged, with '', whitespace, None and whole floats:
    the same as a Sheet of the Cells it makes (no grid at all)."""
    rows = [
        ["Victim name", "Date of birth", "Crime reference", "  "],
        ["Janet Smith", dt.date(2005, 2, 1), 12345.0, ""],
        ["", "   ", "CR/012345/19"],
        ["\t", "", "", ""],  # blanks only: the table ends here
        ["Oliver Jones", "01/02/2005", 54321.0, "jane.doe@example.com"],
        [],
        [" ", None, 7.0, "LS1 4AB"],
    ]
    for hidden_rows, hidden_cols in ((frozenset(), frozenset()), (frozenset({7, 11}), frozenset({6}))):
        grid = Grid(rows, first_row=5, first_col=3, hidden_rows=hidden_rows, hidden_cols=hidden_cols)
        on_grid = Workbook("hand.xlsx", "xlsx", [Sheet("Records", grid=grid)])
        on_cells = Workbook("hand.xlsx", "xlsx", [Sheet("Records", cells=grid.cells())])
        a, b = scan_workbook(on_grid), scan_workbook(on_cells)
        assert on_grid.sheets[0]._cells is None
        assert a.findings == b.findings and a.findings
        assert a._values == b._values
        assert "12345" in a._values and "12345.0" not in a._values
