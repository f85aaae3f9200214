"""Publication gates: a failed critical check leaves the published warehouse byte for
byte as it was; a failed warning still publishes and is reported."""
from __future__ import annotations

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
"""

WARN = """
suite: warn_headline
table: headline_figures
expectations:
  - expectation: expect_column_values_to_be_between
    kwargs: {column: per_day, max_value: 0.05}
    severity: warning
    why: A test's stand-in for a warning the data trips.
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
