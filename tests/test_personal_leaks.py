"""Personal values planted in the hidden parts of replies never leave the reader.

One real refresh (the `foi refresh` command, the Prefect flow, the worker processes,
GX, the report) over replies that carry personal data where forces leave it: hidden and
very hidden sheets, hidden rows and columns, comments, cells beside the table, a crime
reference column and free text in a record list, a sheet named after a person. Then the
warehouse file, every text column of every table, the run logs and reports, Prefect's
database and stored results, and what the command printed are searched for each value.
"""
from __future__ import annotations

import contextlib

import os
from pathlib import Path

import duckdb
import openpyxl
import pytest
from openpyxl.comments import Comment

from tests.corpus import BY_OFFENCE, offence_year_rows

ROUND = "2017-online-child-sex-offences"
NAME = "Persephone Wetherall-Bygrave"
SURNAME = "Wetherall-Bygrave"
DOB = "14/03/2006"
ADDRESS = "27 Acacia Avenue"
POSTCODE = "LS6 9QW"
CRIME_REF = "CR/044187/16"
PHONE = "07700 900461"
EMAIL = "p.wetherall@example.com"
OTHER_NAME = "Ignatius Fairweather"
PLANTED = [NAME, SURNAME, DOB, ADDRESS, POSTCODE, CRIME_REF, PHONE, EMAIL, OTHER_NAME, "044187"]
PERSON_ROWS = [["Name", "Date of birth", "Address", "Postcode", "Crime reference", "Telephone", "Email"],
               [NAME, DOB, ADDRESS, POSTCODE, CRIME_REF, PHONE, EMAIL],
               [OTHER_NAME, "02/11/2007", "3 Mill Lane", "BD7 1AY", "CR/051122/16", "07700 900982",
                "i.fairweather@example.org"]]
TOTALS = {"2015/16": sum(v[0] for v in BY_OFFENCE.values()), "2016/17": sum(v[1] for v in BY_OFFENCE.values())}


def _workbook(rows) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in rows:
        ws.append(row)
    return wb


def hidden_sheets(path: Path) -> Path:
    wb = _workbook(offence_year_rows())
    for title, state in (("Raw", "hidden"), ("Victims", "veryHidden")):
        ws = wb.create_sheet(title)
        for row in PERSON_ROWS:
            ws.append(row)
        ws.sheet_state = state
    wb.save(path)
    return path


def hidden_rows_columns_comments(path: Path) -> Path:
    rows = offence_year_rows()
    wb = _workbook(rows)
    ws = wb.active
    below = len(rows) + 3
    for i, row in enumerate(PERSON_ROWS):
        for j, value in enumerate(row, 1):
            ws.cell(below + i, j, value)
        ws.row_dimensions[below + i].hidden = True
    ws.cell(1, 10, "Email")
    ws.cell(2, 10, EMAIL)
    ws.column_dimensions["J"].hidden = True
    ws["B2"].comment = Comment(f"Checked with {NAME} on {PHONE}", "analyst")
    ws.cell(30, 14, f"Victim: {OTHER_NAME}, {ADDRESS}, {POSTCODE}")  # beside the table, visible
    wb.save(path)
    return path


def records_with_references(path: Path) -> Path:
    lines = ["Crime Reference,Date Recorded,Offence,Victim Age,Notes"]
    for n in range(12):
        ref = CRIME_REF if n == 0 else f"CR/{50000 + n:06d}/16"
        note = f"Victim {NAME} lives at {ADDRESS}" if n == 0 else ""
        lines.append(f"{ref},{12 + n % 12:02d}/06/2016,Sexual grooming,{12 + n % 5},{note}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sheet_named_after_a_person(path: Path) -> Path:
    wb = _workbook(offence_year_rows())
    wb.active.title = f"{OTHER_NAME} {DOB.replace('/', '.')}"  # 31 characters, as Excel allows
    wb.save(path)
    return path


REPLIES = {
    "Kent": hidden_sheets,
    "Durham": hidden_rows_columns_comments,
    "Surrey": records_with_references,
    "Lancashire": sheet_named_after_a_person,
}


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """One refresh of the leaky replies, with a Prefect test server and database of its
    own (not the session's): the search below reads the whole database, and one shared
    with the other tests of a worker holds thousands of their timestamps, whose
    microseconds may spell a planted digit run ('044187') by chance."""
    import flows.refresh  # noqa: F401  (sets Prefect's environment first)
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield _refresh(tmp_path_factory)


def _refresh(tmp_path_factory) -> dict:
    from flows.cli import main

    base = tmp_path_factory.mktemp("leaks")
    raw = base / "raw"
    for folder, write in REPLIES.items():
        (raw / ROUND / folder).mkdir(parents=True)
        write(raw / ROUND / folder / ("reply.csv" if folder == "Surrey" else "reply.xlsx"))
    warehouse = base / "warehouse" / "foi.duckdb"
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["refresh", "--raw", str(raw), "--warehouse", str(warehouse)])
    return {"code": code, "warehouse": warehouse, "printed": out.getvalue() + err.getvalue()}


def _hits(data: bytes) -> list[str]:
    low = data.lower()
    return [v for v in PLANTED if v.lower().encode() in low or v.lower().encode("utf-16-le") in low]


def test_the_replies_were_read_and_flagged(refreshed):
    con = duckdb.connect(str(refreshed["warehouse"]), read_only=True)
    returns = {row[0].split("/")[1]: row[1:] for row in con.execute(
        "SELECT path, status, reason, personal_data FROM returns").fetchall()}
    totals = dict(con.execute(
        "SELECT force_code || ' ' || financial_year, SUM(offences) FROM offences GROUP BY ALL").fetchall())
    con.close()
    # the hidden parts are flagged by place, and the figures beside them load
    for folder in ("Kent", "Durham", "Surrey"):
        status, reason, where = returns[folder]
        assert status == "loaded" and reason is None, (folder, returns[folder])
        assert where and "possible personal data" in where, folder
    assert "hidden sheet 'Raw'" in returns["Kent"][2] and "hidden sheet 'Victims'" in returns["Kent"][2]
    assert "hidden rows" in returns["Durham"][2] and "comment" in returns["Durham"][2]
    assert "crime_reference" in returns["Surrey"][2]
    # a sheet named after a person cannot be cited without naming them: kept out
    assert returns["Lancashire"][:2] == ("quarantined", "personal_data")
    from flows.forces import match_force

    kent, durham, surrey = (match_force(f).code for f in ("Kent", "Durham", "Surrey"))
    assert totals == {f"{kent} 2015/16": TOTALS["2015/16"], f"{kent} 2016/17": TOTALS["2016/17"],
                      f"{durham} 2015/16": TOTALS["2015/16"], f"{durham} 2016/17": TOTALS["2016/17"],
                      f"{surrey} 2016/17": 12}


def test_no_personal_value_in_any_table(refreshed):
    con = duckdb.connect(str(refreshed["warehouse"]), read_only=True)
    columns = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'").fetchall()
    found = []
    for table, column in columns:
        for value in PLANTED:
            n = con.execute(f'SELECT count(*) FROM "{table}" WHERE contains(lower("{column}"), ?)',
                            [value.lower()]).fetchall()[0][0]
            if n:
                found.append((table, column, value))
    con.close()
    assert found == []


def test_no_personal_value_in_any_file_the_run_wrote(refreshed):
    folder = refreshed["warehouse"].parent
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in files) and any(p.suffix == ".json" for p in files)
    assert any(p.suffix == ".html" for p in files)  # the run report
    leaks = {str(p.relative_to(folder)): _hits(p.read_bytes()) for p in files}
    assert {k: v for k, v in leaks.items() if v} == {}


def test_no_personal_value_in_prefect_or_what_was_printed(refreshed):
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    home = Path(os.environ["PREFECT_HOME"])
    places = [p for p in home.rglob("*") if p.is_file()]
    url = PREFECT_API_DATABASE_CONNECTION_URL.value() or ""
    assert "sqlite" in url, url  # the test harness's database: a file that can be searched
    db = Path(url.split("///", 1)[-1])
    assert db.is_file()
    places += [p for p in db.parent.glob(db.name + "*") if p.is_file()]
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as con:  # this module's own database: its one refresh
        assert con.execute("SELECT count(*) FROM flow_run").fetchone()[0] == 1
    assert any((home / "storage").iterdir())  # the readings Prefect cached are searched too
    leaks = {str(p): _hits(p.read_bytes()) for p in places}
    assert {k: v for k, v in leaks.items() if v} == {}
    assert _hits(refreshed["printed"].encode()) == []
