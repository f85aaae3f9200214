"""A record list read from its columns gives exactly the reading the Cell path gives.

Each case is a real file (xlsx written with openpyxl, csv written as text) read twice:
flows.layouts.read_file with columnar=True (the grid path for plain record lists) and
columnar=False (every sheet through Cells). The two FileReadings must be equal, and
each case says whether the columnar path must have taken the sheet, so a change that
silently sent every list back to the Cell path (or took a sheet it must not) fails.
"""
from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from flows.cells import read_workbook
from flows.layouts import read_file, record_columns

OFFENCES = [
    "Sexual communication with a child",
    "Rape of a female child under 13",
    "Sexual activity involving a child under 16",
    "Indecent photographs of children",
    "Sexual grooming",
]


def _records(n: int, *, ref: bool = True, online: bool = False, seed: int = 3):
    """n plausible records: (reference, recorded date, offence, age[, online flag])."""
    out = []
    start = date(2015, 4, 1)
    for i in range(n):
        k = (i * 7919 + seed) % 1000
        row = [start + timedelta(days=(i * 3) % 700), OFFENCES[k % len(OFFENCES)], 10 + k % 8]
        if ref:
            row.insert(0, f"01/{i + 1:05d}/15")
        if online:
            row.append("Y" if k % 5 else "N")
        out.append(row)
    return out


def _header(ref: bool = True, online: bool = False):
    h = ["Date recorded", "Offence", "Age of victim"]
    if ref:
        h.insert(0, "Crime reference")
    if online:
        h.append("Online flag")
    return h


def _xlsx(path: Path, rows, *, hide_row: int | None = None, merge: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Records"
    for row in rows:
        ws.append(row)
    if hide_row:
        ws.row_dimensions[hide_row].hidden = True
    if merge:
        ws.merge_cells(merge)
    wb.save(path)
    return path


def _csv(path: Path, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        for row in rows:
            w.writerow([v.strftime("%d/%m/%Y") if isinstance(v, date) else v for v in row])
    return path


def _both(path: Path):
    fast = read_file(read_workbook(path), file_name=path.name)
    cells = read_file(read_workbook(path), file_name=path.name, columnar=False)
    return fast, cells


def _taken(path: Path) -> bool:
    wb = read_workbook(path)
    return any(record_columns.read(s, path.name) is not None for s in wb.sheets)


def _same(fast, cells) -> None:
    assert fast.layout == cells.layout
    assert fast.observations == cells.observations
    assert fast.totals == cells.totals
    assert [p.message for p in fast.problems] == [p.message for p in cells.problems]
    assert fast.notes == cells.notes
    assert fast.sheets == cells.sheets


def _cases():
    """(name, writer, rows, columnar path must take it)."""
    plain = [_header()] + _records(400)
    titled = [["Online child sexual offences recorded, 2015/16 and 2016/17"], []] + plain
    footnoted = plain + [[], ["* Figures are taken from a live system and may change."]]
    total = plain + [["Total", None, None, 400]]
    wrong_total = plain + [["Total", None, None, 401]]
    bad_date_late = plain[:300] + [["01/99999/15", "not known", OFFENCES[0], 12]] + plain[300:]
    dup_with_ref = plain[:200] + [plain[150]] + plain[200:]
    flagged = [_header(online=True)] + _records(300, online=True)
    text_ages = [_header()] + [r[:3] + [f"{r[3]} years"] for r in _records(200)]
    unknown_offence = plain[:50] + [["01/88888/15", date(2016, 5, 5), "Something nobody codes", 12]] + plain[50:]
    adults = plain[:20] + [["01/77777/15", date(2016, 5, 5), OFFENCES[1], 19]] + plain[20:]
    gap = [["Crime reference", "Date recorded", None, "Offence", "Age of victim"]] + [
        [r[0], r[1], None, r[2], r[3]] for r in _records(100)]
    no_ref = [_header(ref=False)] + _records(300, ref=False)  # records alike are records
    stray = plain + [[], [None, None, None, None, None, 17]]
    # the first records give no age (text dates: no number until the first age)
    text_dates = [r[:1] + [r[1].strftime("%d/%m/%Y")] + r[2:] for r in _records(300)]
    late_ages = [_header()] + [r[:3] + [None] for r in text_dates[:3]] + text_dates[3:]
    later_ages = [_header()] + [r[:3] + [None] for r in text_dates[:250]] + text_dates[250:]
    return [
        ("plain xlsx", _xlsx, plain, {}, True),
        ("title above", _xlsx, titled, {}, True),
        ("footnote below", _xlsx, footnoted, {}, True),
        ("stated total that agrees", _xlsx, total, {}, True),
        ("stated total that disagrees", _xlsx, wrong_total, {}, False),
        ("a bad date after 300 records", _xlsx, bad_date_late, {}, False),
        ("a repeated record", _xlsx, dup_with_ref, {}, False),
        ("online flag column", _xlsx, flagged, {}, True),
        ("text ages", _xlsx, text_ages, {}, True),
        ("an unrecognised offence (a problem: every layout tries)", _xlsx, unknown_offence, {}, False),
        ("an adult among the records", _xlsx, adults, {}, True),
        ("a hidden row", _xlsx, plain, {"hide_row": 40}, False),
        ("a merged title", _xlsx, titled, {"merge": "A1:D1"}, False),
        ("an empty column inside the list", _xlsx, gap, {}, False),
        ("a stray number below", _xlsx, stray, {}, False),
        ("no number in the first records", _xlsx, late_ages, {}, True),
        ("no number in the first 250 records", _xlsx, later_ages, {}, False),
        ("plain csv", _csv, plain, {}, True),
        ("csv with no reference, records alike", _csv, no_ref, {}, True),
        ("csv with an online flag and a footnote", _csv, flagged + [["Source: Niche RMS extract, 1 May 2017"]], {},
         True),
    ]


@pytest.mark.parametrize("name, writer, rows, options, taken", _cases(), ids=[c[0] for c in _cases()])
def test_the_columns_read_what_the_cells_read(tmp_path, name, writer, rows, options, taken):
    path = writer(tmp_path / ("reply.csv" if writer is _csv else "reply.xlsx"), rows, **options)
    fast, cells = _both(path)
    _same(fast, cells)
    assert _taken(path) is taken
    assert fast.observations or fast.problems  # every case is a reply with something in it


def test_records_alike_in_a_csv_list_are_counted_not_split_as_tables(tmp_path):
    """Two identical records in an all-text csv list were once taken for a repeated
    heading row: the list was cut in two and quarantined."""
    rows = [_header(ref=False), ["01/05/2016", OFFENCES[0], "14"], ["01/05/2016", OFFENCES[0], "14"],
            ["03/06/2016", OFFENCES[1], "11"]]
    for columnar in (True, False):
        found = read_file(read_workbook(_csv(tmp_path / "r.csv", rows)), file_name="r.csv", columnar=columnar)
        assert not found.problems
        counts = {(o.offence, o.age_min): o.count.value for o in found.observations}
        assert counts == {(OFFENCES[0], 14): 2, (OFFENCES[1], 11): 1}


def test_a_plain_list_is_read_without_making_its_cells(tmp_path):
    path = _xlsx(tmp_path / "reply.xlsx", [_header()] + _records(2000))
    wb = read_workbook(path)
    found = read_file(wb, file_name=path.name)
    assert sum(o.count.value for o in found.observations) == 2000
    assert wb.sheets[0]._cells is None  # no Cell was made for the list


def test_the_simulators_record_lists_read_the_same_both_ways(tmp_path):
    subprocess.run([sys.executable, "-m", "flows.cli", "simulate", "--out", str(tmp_path / "raw"),
                    "--records", "1.0"], check=True, capture_output=True)
    files = [p for p in (tmp_path / "raw").rglob("*") if p.suffix in (".xlsx", ".csv", ".xls", ".ods")]
    taken = 0
    for path in files:
        fast, cells = _both(path)
        _same(fast, cells)
        taken += _taken(path)
    assert len(files) >= 30
    assert taken >= len(files) * 0.8  # nearly every list is plain
