"""Publication gates: a failed critical check leaves the published warehouse byte for
byte as it was; a failed warning still publishes and is reported."""
from __future__ import annotations

import hashlib
import json
import shutil

import duckdb
import pytest

from flows import SCHEMAS
from flows.cli import main

ROUND = "2017-gate-test"


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("gate") / "raw" / ROUND
    (root / "TVP").mkdir(parents=True)
    (root / "TVP" / "reply.csv").write_text(
        "Financial Year,Offence,Victim Age,Number of Offences\n"
        "2016/17,88A - Sexual grooming,13,12\n2016/17,Indecent images of children,14,*\n"
        "2015/16,88A,13,7\n")
    (root / "Kent").mkdir()
    (root / "Kent" / "reply.csv").write_text("Year,Offence,Count\n2016/17,Sexual grooming,30\n2015/16,21,20\n")
    return root.parent


def suites_with(tmp_path, name: str, yaml_text: str):
    """The project's suites plus one more, in a schemas-like folder of the test's own."""
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS / "expectations", schemas / "expectations")
    for csv in ("forces.csv", "offences.csv"):
        shutil.copy(SCHEMAS / csv, schemas / csv)
    (schemas / "expectations" / f"{name}.yaml").write_text(yaml_text)
    return schemas / "expectations"


STRICT = """
suite: strict_headline
table: headline_figures
expectations:
  - expectation: expect_column_values_to_be_between
    kwargs: {column: offences, max_value: 40}
    severity: critical
    why: A test's stand-in for a check the data fails.
    says: "{count} force-years count more than 40 offences: {examples}"
    do: Nothing; the test's own suite blocks on purpose.
"""

WARN = """
suite: warn_headline
table: headline_figures
expectations:
  - expectation: expect_column_values_to_be_between
    kwargs: {column: per_day, max_value: 0.05}
    severity: warning
    why: A test's stand-in for a warning the data trips.
    says: "{count} years have more than 0.05 offences a day: {examples}"
    do: Nothing; the test's own suite warns on purpose.
"""


def test_a_failed_critical_check_blocks_and_leaves_the_warehouse_untouched(raw, tmp_path, prefect_harness, capsys):
    db = tmp_path / "foi.duckdb"
    assert main(["refresh", "--raw", str(raw), "--warehouse", str(db)]) == 0
    before = db.read_bytes()
    capsys.readouterr()

    code = main(["refresh", "--raw", str(raw), "--warehouse", str(db),
                 "--expectations", str(suites_with(tmp_path, "strict_headline", STRICT))])
    out = capsys.readouterr().out
    assert code == 1
    assert "PUBLICATION BLOCKED" in out and "strict_headline" in out
    assert db.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if ".staging-" in p.name] == []
    records = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert sorted(r["status"] for r in records) == ["blocked", "published"]
    [blocked] = [r for r in records if r["status"] == "blocked"]
    assert any("strict_headline" in reason for reason in blocked["blocked_reasons"])
    assert {f["path"] for f in blocked["files"]} == {f"{ROUND}/Kent/reply.csv", f"{ROUND}/TVP/reply.csv"}


def test_a_failed_warning_publishes_and_is_reported(raw, tmp_path, prefect_harness, capsys):
    db = tmp_path / "foi.duckdb"
    code = main(["refresh", "--raw", str(raw), "--warehouse", str(db),
                 "--expectations", str(suites_with(tmp_path, "warn_headline", WARN))])
    out = capsys.readouterr().out
    assert code == 0
    assert "Warnings (published anyway)" in out and "warn_headline" in out
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT severity, success FROM validation_results WHERE suite = 'warn_headline'").fetchall()
        assert rows == [("warning", False)]
        assert con.execute("SELECT count(*) FROM validation_results WHERE NOT success AND severity = 'critical'").fetchall() == [(0,)]
        assert con.execute("SELECT status FROM runs").fetchall() == [("published",)]


WRONG_TOTAL = ("Year,Offence,Count\n2016/17,Sexual grooming,30\n2016/17,Sexual communication with a child,4\n"
               "2016/17,Total,31\n2015/16,21,20\n")


def test_a_reply_whose_total_disagrees_blocks_and_leaves_the_warehouse_untouched(
        raw, tmp_path, prefect_harness, capsys):
    """The reply contradicts itself (30 + 4 stated as 31): the pipeline cannot know which
    number is wrong, so nothing is published until a reviewer decides."""
    mine = tmp_path / "raw"
    shutil.copytree(raw, mine)
    db = tmp_path / "foi.duckdb"
    assert main(["refresh", "--raw", str(mine), "--warehouse", str(db)]) == 0
    before = db.read_bytes()
    capsys.readouterr()

    (mine / ROUND / "Kent" / "reply.csv").write_text(WRONG_TOTAL)
    code = main(["refresh", "--raw", str(mine), "--warehouse", str(db)])
    out = capsys.readouterr().out
    assert code == 1
    assert "PUBLICATION BLOCKED" in out
    # the reason names the suite, the file and the cell of the total, and what to do
    assert "stated_totals: " in out and "What to do: " in out
    assert "expect_column_pair_values" not in out
    assert f"{ROUND}/Kent/reply.csv line 4, column C" in out
    assert "does not match its parts: its 2 parts add up to 34" in out
    assert db.read_bytes() == before
    [blocked] = [r for r in (json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json"))
                 if r["status"] == "blocked"]
    assert any("Kent/reply.csv line 4, column C" in reason for reason in blocked["blocked_reasons"])
    with duckdb.connect(str(db), read_only=True) as con:  # still the first run's Kent figures
        assert con.execute("SELECT offences FROM force_year_totals WHERE force_code = 'E23000032' "
                           "AND financial_year = '2016/17'").fetchall() == [(30,)]

    # A reviewer excludes exactly these bytes: the round publishes without Kent's reply.
    sha = hashlib.sha256(WRONG_TOTAL.encode()).hexdigest()
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("sha256,decision,reviewer,reviewed_on,reason,path\n"
                       f"{sha},exclude,A. Reviewer,2026-11-29,total wrong; Kent asked to resend,Kent/reply.csv\n")
    assert main(["refresh", "--raw", str(mine), "--warehouse", str(db), "--reviews", str(reviews)]) == 0
    assert "[excluded_by_review]" in capsys.readouterr().out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM force_year_totals WHERE force_code = 'E23000032'"
                           ).fetchall() == [(0,)]
        assert con.execute("SELECT status FROM returns WHERE force_code = 'E23000032'"
                           ).fetchall() == [("excluded_by_review",)]
