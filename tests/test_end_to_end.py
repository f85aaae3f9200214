"""`foi simulate` then `foi refresh`: the published figures, computed from the files.

Every assertion reads the warehouse that the real Prefect flow published; nothing is
taken from the simulator's memory except where a test says it compares the two (the
figures by force, year and offence class or exact age, against the simulator's Truth).
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from flows import SAMPLE_ROUND
from flows.cli import main
from flows.simulate import Truth, simulate_round

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


@pytest.fixture(scope="module")
def truth(tmp_path_factory) -> Truth:
    """What the sample round's files encode, by the simulator (same seed as `foi simulate`;
    test_simulate.py checks the same seed writes the same bytes)."""
    return simulate_round(tmp_path_factory.mktemp("truth"))


def query(db: Path, sql: str, *params):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


# --- figures below the force-year totals: a misfiled figure ---------------------------------

def warehouse_by_class(db: Path, round_name: str) -> tuple[dict, dict]:
    """(force, year, offence_code) -> offences, and -> offences_upper, over the rows that
    feed the totals and name an offence (offence_code is NULL for a label spanning classes:
    kept, as key None, since the simulator never writes one)."""
    rows = query(db, """
        SELECT force_code, financial_year, offence_code,
               coalesce(sum(offences), 0), coalesce(sum(offences_upper), 0)
        FROM offences
        WHERE round = ? AND in_totals AND offence_classes IS NOT NULL
        GROUP BY ALL""", round_name)
    return ({(f, y, c): int(n) for f, y, c, n, _ in rows},
            {(f, y, c): int(u) for f, y, c, _, u in rows})


def warehouse_by_age(db: Path, round_name: str) -> tuple[dict, dict]:
    """(force, year, age) -> offences, and -> offences_upper, over the age figures of
    exact single ages."""
    rows = query(db, """
        SELECT force_code, financial_year, victim_age_min,
               coalesce(sum(offences), 0), coalesce(sum(offences_upper), 0)
        FROM offences
        WHERE round = ? AND in_age_figures AND victim_age_min = victim_age_max
        GROUP BY ALL""", round_name)
    return ({(f, y, a): int(n) for f, y, a, n, _ in rows},
            {(f, y, a): int(u) for f, y, a, _, u in rows})


def _order(key) -> tuple:
    """Classes as Home Office numbers them (17A, 19E, 21, 86, 88A), ages as numbers."""
    if key is None:
        return (1, 0, "")
    if isinstance(key, int):
        return (0, key, "")
    m = re.match(r"(\d+)(.*)", key)
    return (0, int(m.group(1)), m.group(2)) if m else (0, 0, key)


def breakdown_mismatches(expected: dict, found: dict, what: str) -> dict[tuple[str, str], str]:
    """(force, year) -> what differs, for each force-year whose figures by `what` (class
    or age) are not the truth's. A force-year on one side only is a mismatch. Zeros are
    left out on both sides: a crosstab writes 0 for an offence a year does not have."""
    def by_force_year(d: dict) -> dict:
        out: dict = defaultdict(dict)
        for (force, year, key), n in d.items():
            out[(force, year)]
            if n:
                out[(force, year)][key] = n
        return out

    def shown(figures: dict) -> str:
        return ", ".join(f"{k}: {figures[k]}" for k in sorted(figures, key=_order))

    exp, got = by_force_year(expected), by_force_year(found)
    problems = {}
    for force, year in sorted(set(exp) | set(got)):
        e, g = exp.get((force, year)), got.get((force, year))
        if g is None:
            problems[(force, year)] = f"{force} {year}: no figures by {what} in the warehouse; expected {shown(e)}"
        elif e is None:
            problems[(force, year)] = f"{force} {year}: figures by {what} the truth does not have: {shown(g)}"
        elif e != g:
            diffs = [f"{k} expected {e.get(k, 0)}, found {g.get(k, 0)}"
                     for k in sorted(set(e) | set(g), key=_order) if e.get(k, 0) != g.get(k, 0)]
            problems[(force, year)] = f"{force} {year} by {what}: " + "; ".join(diffs)
    return problems


def assert_breakdowns_match(db: Path, truth: Truth) -> None:
    """The warehouse's offences by force x year x class and by force x year x exact age
    are the truth's, known counts and upper bounds, for every force-year either has (an
    upper bound is reported only where the known counts agree)."""
    problems: list[str] = []
    for what, expected, expected_upper, (found, found_upper) in (
        ("class", truth.by_class, truth.by_class_upper, warehouse_by_class(db, truth.round_name)),
        ("age", truth.by_age, truth.by_age_upper, warehouse_by_age(db, truth.round_name)),
    ):
        known = breakdown_mismatches(expected, found, what)
        upper = breakdown_mismatches(expected_upper, found_upper, f"{what} (upper bound)")
        problems += known.values()
        problems += [message for key, message in upper.items() if key not in known]
    shown = problems[:12] + ([f"... and {len(problems) - 12} more"] if len(problems) > 12 else [])
    assert not problems, f"{len(problems)} force-year breakdowns differ from the truth:\n" + "\n".join(shown)


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


def test_offences_by_force_year_class_and_age_are_the_truths(published, truth):
    """A figure filed under another offence class, age or force leaves every total right
    but not these: each force-year's figures by class and by exact age, from the files."""
    _, _, db = published
    # 36 of the 40 forces with data give offences (Leicestershire 2016/17 only); 10 exact ages.
    assert len({(f, y) for f, y, _ in truth.by_class}) == 2 * 36 - 1
    assert len({(f, y) for f, y, _ in truth.by_age}) == 2 * 10
    assert_breakdowns_match(db, truth)


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
    # every reply in the force folders (round.yaml, beside them, says what the round asked for)
    on_disk = sum(1 for p in (raw / SAMPLE_ROUND).rglob("*") if p.is_file() and p.parent != raw / SAMPLE_ROUND)
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
