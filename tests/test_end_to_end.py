"""`foi simulate` then `foi refresh`: the published figures, computed from the files.

Every assertion reads the warehouse that the real Prefect flow published; nothing is
taken from the simulator's memory except where a test says it compares the two.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows import SAMPLE_ROUND
from flows.cli import main

CONTRACT_TABLES = {
    "forces", "returns", "offences", "force_year_totals", "headline_figures",
    "age_distribution", "offence_group_totals",
}


@pytest.fixture(scope="module")
def published(tmp_path_factory, prefect_harness):
    """Simulate the sample round and run `foi refresh` on it, once for this module."""
    root = tmp_path_factory.mktemp("e2e")
    raw, db = root / "raw", root / "warehouse" / "foi.duckdb"
    assert main(["simulate", "--out", str(raw)]) == 0
    code = main(["refresh", "--raw", str(raw), "--warehouse", str(db)])
    return code, raw, db


def query(db: Path, sql: str, *params):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def headline(db: Path, year: str) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute("SELECT * FROM headline_figures WHERE financial_year = ?", [year])
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    assert len(rows) == 1, f"one headline row for {year}"
    return dict(zip(names, rows[0]))


def test_refresh_publishes(published):
    code, _, db = published
    assert code == 0
    assert db.exists()


def test_fills_the_contract_tables(published):
    _, _, db = published
    tables = {r[0] for r in query(db, "SELECT table_name FROM information_schema.tables")}
    assert CONTRACT_TABLES <= tables
    assert query(db, "SELECT count(*) FROM forces")[0][0] == 43
    for table in CONTRACT_TABLES:
        assert query(db, f"SELECT count(*) FROM {table}")[0][0] > 0, f"{table} is empty"
    columns = {
        r[0] for r in query(
            db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'offences'")
    }
    assert {
        "round", "force_code", "financial_year", "offence_code", "offence_description",
        "offence_group", "victim_age_min", "victim_age_max", "offences", "suppressed",
        "sha256", "source",
    } <= columns


def test_2016_17_headline(published):
    _, _, db = published
    h = headline(db, "2016/17")
    assert h["offences"] == 5653
    assert round(h["per_day"], 1) == 15.5
    assert h["modal_age"] == 13
    assert h["modal_age_offences"] == 257
    assert 90 <= h["aged_10_and_under"] <= 99
    assert h["youngest_age"] == 3
    assert h["previous_year_offences"] == 3903
    assert round(h["pct_change"], 1) == 44.8
    # Some forces gave 2016/17 only, so like-for-like differs from the published change.
    assert h["matched_forces"] < h["forces_with_data"]
    assert round(h["like_for_like_pct_change"], 1) != round(h["pct_change"], 1)


def test_2015_16_headline(published):
    _, _, db = published
    h = headline(db, "2015/16")
    assert h["offences"] == 3903
    assert h["forces_with_data"] == 39


def test_thames_valley(published):
    _, _, db = published
    rows = query(db, "SELECT offences FROM force_year_totals "
                     "WHERE force_code = 'E23000029' AND financial_year = '2016/17'")
    assert rows == [(183,)]


def test_marts_reconcile_with_facts(published):
    _, _, db = published
    by_force = dict(query(db, "SELECT financial_year, sum(offences) FROM force_year_totals GROUP BY 1"))
    by_group = dict(query(db, "SELECT financial_year, sum(offences) FROM offence_group_totals GROUP BY 1"))
    facts = dict(query(db, "SELECT financial_year, sum(offences) FROM offences WHERE in_totals GROUP BY 1"))
    assert by_force == by_group == facts


def test_every_offence_row_names_its_cell(published):
    _, _, db = published
    assert query(db, "SELECT count(*) FROM offences WHERE source IS NULL OR sha256 IS NULL")[0][0] == 0


def test_suppressed_counts_are_never_zero(published):
    _, _, db = published
    suppressed, as_zero = query(
        db, "SELECT count(*) FILTER (WHERE suppressed), "
            "count(*) FILTER (WHERE suppressed AND offences IS NOT NULL) FROM offences")[0]
    assert suppressed > 0, "the sample round suppresses small counts"
    assert as_zero == 0


def test_every_file_has_a_status(published):
    _, raw, db = published
    on_disk = sum(1 for p in (raw / SAMPLE_ROUND).rglob("*") if p.is_file())
    statuses = dict(query(db, "SELECT status, count(*) FROM returns GROUP BY 1"))
    assert sum(statuses.values()) == on_disk
    assert statuses.get("quarantined", 0) == 0, query(db, "SELECT path, message FROM returns WHERE status = 'quarantined'")
    assert statuses.get("not_machine_readable", 0) >= 2  # the refusal letters


def test_forces_without_data_are_listed(published):
    _, _, db = published
    replies = dict(query(db, "SELECT reply, count(*) FROM force_replies GROUP BY 1"))
    assert replies.get("data") == 40
    assert replies.get("no_reply", 0) >= 1
    assert replies.get("refused", 0) >= 2


def test_headline_command_prints_the_figures(published, capsys):
    _, _, db = published
    assert main(["headline", "--warehouse", str(db)]) == 0
    out = capsys.readouterr().out
    assert "5,653" in out and "3,903" in out and "+44.8%" in out


def test_headline_does_not_import_prefect_or_gx(published):
    """`foi headline` must answer in well under a second: no Prefect, GX or pandas."""
    _, _, db = published
    code = (
        "import sys; from flows.cli import main; main(['headline', '--warehouse', sys.argv[1]]);"
        "heavy = [m for m in ('prefect', 'great_expectations', 'pandas') if m in sys.modules];"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout


def test_explain_traces_thames_valley_to_its_cells(published, capsys):
    _, raw, db = published
    assert main(["explain", "--warehouse", str(db), "--year", "2016/17", "--force", "TVP"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Thames Valley (E23000029) 2016/17: 183 offences")
    cells = [line.split() for line in lines[1:]]
    assert sum(int(c[0].replace(",", "")) for c in cells if c[0] != "suppressed") == 183
    import re

    import openpyxl  # each named cell really holds the number printed beside it
    for line in lines[1:]:
        value, path, sheet, cell = re.match(r"\s*(\S+)\s+(.+?\.xlsx) '?(.+?)'?!([A-Z]+\d+)\s", line).groups()
        wb = openpyxl.load_workbook(raw / path, read_only=True)
        assert str(wb[sheet][cell].value) == value


def test_explain_by_force_adds_up_to_the_headline(published, capsys):
    _, _, db = published
    assert main(["explain", "--warehouse", str(db), "--year", "2016/17"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "2016/17: 5,653 offences from 40 forces"
    assert sum(int(line.split()[0].replace(",", "")) for line in lines[1:]) == 5653
