"""`foi export` on a real warehouse file: every format read back as its users read it
(csv with pandas, parquet with DuckDB, xlsx with openpyxl)."""
from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
import zipfile

import duckdb
import openpyxl
import pandas as pd
import pytest

from flows import warehouse
from flows.cli import main
from flows.disclosure import FORMULA_STARTS
from flows.export import ExportError, export
from small_counts import FORMULAS, KENT, RUN_ID, TVP, build

MARTS = ["current_offences", "force_year_totals", "age_distribution", "offence_group_totals",
         "headline_figures", "force_audit", "force_year_changes", "published_figures"]
OFFENCE_KEY = ["force_code", "financial_year", "source"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("export") / "foi.duckdb")


@pytest.fixture(scope="module")
def files(db, tmp_path_factory):
    """Every format exported once: format -> the paths written."""
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    out = tmp_path_factory.mktemp("exports")
    written = {fmt: export(db, out / fmt, fmt) for fmt in ("csv", "parquet", "xlsx")}
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # opened read-only
    return written


def warehouse_rows(db, table, order):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT * FROM {table} ORDER BY {', '.join(order)}").fetchall()


def read_csv(files, table):
    return pd.read_csv(next(p for p in files["csv"] if p.stem == table), keep_default_na=False,
                       na_values=[""], dtype=str)


def read_parquet(files, table, order):
    path = next(p for p in files["parquet"] if p.stem == table)
    with duckdb.connect() as con:
        cur = con.execute(f"SELECT * FROM read_parquet('{path}') ORDER BY {', '.join(order)}")
        return [d[0] for d in cur.description], cur.fetchall()


def read_sheet(files, table):
    sheet = openpyxl.load_workbook(files["xlsx"][0])[table]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return list(header), rows


def as_text(value):
    return None if value is None else str(value)


def test_every_mart_and_offences_one_file_each(db, files):
    assert [p.name for p in files["csv"]] == [f"{t}.csv" for t in ["offences", *MARTS]]
    assert [p.name for p in files["parquet"]] == [f"{t}.parquet" for t in ["offences", *MARTS]]
    assert [p.name for p in files["xlsx"]] == ["foi.xlsx"]
    assert openpyxl.load_workbook(files["xlsx"][0]).sheetnames == ["Notes", "offences", *MARTS]


# --- round trips where no rule applies ---------------------------------------------------

def test_csv_round_trip(db, files):
    totals = pd.read_csv(next(p for p in files["csv"] if p.stem == "force_year_totals"))
    expected = warehouse.read_table(db, "force_year_totals")
    pd.testing.assert_frame_equal(totals, expected, check_dtype=False)
    changes = pd.read_csv(next(p for p in files["csv"] if p.stem == "force_year_changes"))
    pd.testing.assert_frame_equal(changes, warehouse.read_table(db, "force_year_changes"), check_dtype=False)
    # offence rows whose counts are 0 or 5 and over, and whose text is plain, come back as they were
    back = read_csv(files, "offences").set_index(OFFENCE_KEY)
    kept = warehouse.read_table(db, "offences")
    kept = kept[(kept.offences.eq(0) | kept.offences.ge(5)).fillna(False) & kept.force_code.ne(KENT)]
    assert len(kept) == 6
    for r in kept.to_dict("records"):
        got = back.loc[tuple(r[k] for k in OFFENCE_KEY)]
        assert {k: (None if pd.isna(got[k]) else got[k]) for k in got.index} == {
            k: (None if pd.isna(v) else str(v)) for k, v in r.items() if k not in OFFENCE_KEY}


def test_parquet_round_trip(db, files):
    for table, order in (("force_year_totals", ["financial_year", "force_code"]),
                         ("headline_figures", ["financial_year"]),
                         ("force_year_changes", ["financial_year", "force_code"])):
        names, rows = read_parquet(files, table, order)
        assert names == list(warehouse.read_table(db, table).columns)
        assert rows == warehouse_rows(db, table, order)
    names, rows = read_parquet(files, "offences", OFFENCE_KEY)
    ours = {tuple(r[names.index(k)] for k in OFFENCE_KEY): r for r in rows}
    count_cols = {names.index(c) for c in ("offences", "offences_lower", "offences_upper")}
    for r in warehouse_rows(db, "offences", OFFENCE_KEY):
        if r[names.index("offences")] in (0, 9, 12, 15, 30):  # rows no rule touches
            got = ours[tuple(r[names.index(k)] for k in OFFENCE_KEY)]
            assert got == tuple(as_text(v) if i in count_cols else v for i, v in enumerate(r))


def test_xlsx_round_trip(db, files):
    for table, order in (("force_year_totals", ["financial_year", "force_code"]),
                         ("offence_group_totals", ["financial_year", "offence_group"])):
        header, rows = read_sheet(files, table)
        assert header == list(warehouse.read_table(db, table).columns)
        assert rows == warehouse_rows(db, table, order)
    header, rows = read_sheet(files, "offences")
    expected = {tuple(r[header.index(k)] for k in OFFENCE_KEY): r for r in warehouse_rows(db, "offences", OFFENCE_KEY)}
    plain = [r for r in rows if r[header.index("offences")] in (0, 9, 12, 15, 30)]
    assert len(plain) == 6
    for r in plain:
        assert r == expected[tuple(r[header.index(k)] for k in OFFENCE_KEY)]


# --- the disclosure rule, in every format ---------------------------------------------------

def offences_at(files, fmt, force, age):
    """offences, offences_lower, offences_upper of one force's cell at one age, as written."""
    cols = ["offences", "offences_lower", "offences_upper"]
    if fmt == "csv":
        frame = read_csv(files, "offences")
        row = frame[(frame.force_code == force) & (frame.victim_age_min == str(age))]
        return tuple(row[cols].iloc[0])
    if fmt == "parquet":
        names, rows = read_parquet(files, "offences", OFFENCE_KEY)
    else:
        names, rows = read_sheet(files, "offences")
    row = next(r for r in rows if r[names.index("force_code")] == force and r[names.index("victim_age_min")] == age)
    return tuple(row[names.index(c)] for c in cols)


def national_at(files, fmt, age):
    if fmt == "csv":
        frame = read_csv(files, "age_distribution")
        return frame[frame.victim_age == str(age)].offences.iloc[0]
    names, rows = (read_parquet(files, "age_distribution", ["victim_age"]) if fmt == "parquet"
                   else read_sheet(files, "age_distribution"))
    return next(r for r in rows if r[names.index("victim_age")] == age)[names.index("offences")]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_three_at_one_age_for_one_force_is_withheld_but_not_nationally(files, fmt):
    assert offences_at(files, fmt, TVP, 12) == ("[c]", "[c]", "[c]")
    assert national_at(files, fmt, 12) in (3, "3")       # the same 3, for England and Wales
    assert offences_at(files, fmt, TVP, 13) in ((12, 12, 12), ("12", "12", "12"))
    assert offences_at(files, fmt, TVP, 2) in ((0, 0, 0), ("0", "0", "0"))  # zero stays zero


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_a_suppressed_count_is_never_exported_as_zero(files, fmt):
    assert offences_at(files, fmt, TVP, 3) == ("[c]", "[c]", "[c]")
    assert national_at(files, fmt, 3) == "[c]"


# --- formulas planted in reply text -----------------------------------------------------

def test_csv_text_is_neutralised(files):
    frame = read_csv(files, "offences")
    kent = frame[frame.force_code == KENT].sort_values("source")
    assert kent.offence_as_written.tolist() == ["'" + f for f in FORMULAS]
    assert read_csv(files, "force_audit").set_index("force_code").loc[KENT, "messages"] == "'=cmd|' /C calc'!A0"
    for path in files["csv"]:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        width = len(rows[0])
        for row in rows:
            assert len(row) == width, path  # a carriage return in text did not split a row
            for value in row:
                assert not (value.startswith(FORMULA_STARTS) and not _number(value)), (path, value)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_xlsx_text_is_never_a_formula(files):
    path = files["xlsx"][0]
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert not c.value.startswith(FORMULA_STARTS), (sheet.title, c.coordinate)
    sheet = book["offences"]
    header = [c.value for c in sheet[1]]
    written = sorted((r[header.index("source")], r[header.index("offence_as_written")])
                     for r in sheet.iter_rows(min_row=2, values_only=True) if r[header.index("force_code")] == KENT)
    # (XML reads a carriage return back as a line feed: the cell still starts with ')
    assert [w for _, w in written] == ["'" + f.replace("\r", "\n") for f in FORMULAS]
    with zipfile.ZipFile(path) as z:  # and no formula element anywhere in the file itself
        assert not any("<f>" in z.read(n).decode() or "<f " in z.read(n).decode()
                       for n in z.namelist() if n.startswith("xl/worksheets/"))
    # a negative number is a number, not neutralised text
    changes = book["force_year_changes"]
    header = [c.value for c in changes[1]]
    pct = changes.cell(row=2, column=header.index("pct_change") + 1)
    assert (pct.value, pct.data_type) == (-50.0, "n")


def test_notes_sheet_names_the_run_the_rule_and_the_date(files):
    lines = [r[0] for r in openpyxl.load_workbook(files["xlsx"][0])["Notes"].iter_rows(values_only=True) if r[0]]
    text = "\n".join(lines)
    assert f"Run id: {RUN_ID}" in text
    assert "Date exported: " in text
    assert "Counts from 1 to 4 are shown as '[c]'" in text
    assert "suppressed" in text and "never a 0" in text
    assert "offences: 15 rows; force by age level: rule applied" in lines
    assert "force_year_totals: 5 rows; counts shown as they are" in lines


# --- choosing tables, and the command line ----------------------------------------------

def test_tables_by_name_or_pattern(db, tmp_path):
    written = export(db, tmp_path, "csv", ["force_*", "offences"])
    assert [p.name for p in written] == ["offences.csv", "force_year_totals.csv", "force_audit.csv",
                                         "force_year_changes.csv"]
    with pytest.raises(ExportError, match="no table matches 'runs'"):
        export(db, tmp_path, "csv", ["runs"])  # not a mart
    with pytest.raises(ExportError, match="no warehouse"):
        export(tmp_path / "missing.duckdb", tmp_path, "csv")


def test_cli_export(db, tmp_path, capsys):
    assert main(["export", "--format", "xlsx", "--warehouse", str(db), "--out", str(tmp_path),
                 "--table", "headline_figures"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "foi.xlsx")
    assert openpyxl.load_workbook(tmp_path / "foi.xlsx").sheetnames == ["Notes", "headline_figures"]

    assert main(["export", "--format", "csv", "--warehouse", str(tmp_path / "none.duckdb")]) == 2
    assert "no warehouse at" in capsys.readouterr().err
    assert main(["export", "--format", "csv", "--warehouse", str(db), "--out", str(tmp_path),
                 "--table", "nosuch"]) == 2
    assert "no table matches 'nosuch'" in capsys.readouterr().err


def test_cli_help():
    done = subprocess.run([sys.executable, "-m", "flows.cli", "export", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--format" in done.stdout
