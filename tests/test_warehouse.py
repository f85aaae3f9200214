"""Build and publish: a new file each run, an atomic swap, nothing half-written."""
from __future__ import annotations

import pandas as pd
import pytest

from flows import warehouse
from flows.warehouse import FORCE_REPLIES_COLUMNS, OFFENCES_COLUMNS, RETURNS_COLUMNS, STATED_TOTALS_COLUMNS


def empty_facts(**override):
    frames = {
        "offences": pd.DataFrame(columns=OFFENCES_COLUMNS),
        "returns": pd.DataFrame(columns=RETURNS_COLUMNS),
        "stated_totals": pd.DataFrame(columns=STATED_TOTALS_COLUMNS),
        "force_replies": pd.DataFrame(columns=FORCE_REPLIES_COLUMNS),
    }
    frames.update(override)
    return frames


def test_build_loads_reference_tables(tmp_path):
    path = tmp_path / "w.duckdb"
    warehouse.build(path, **empty_facts())
    assert warehouse.rows(path, "SELECT count(*) AS n FROM forces")[0]["n"] == 43
    assert warehouse.rows(path, "SELECT count(*) AS n FROM offence_codes")[0]["n"] >= 15
    assert warehouse.headline(path) == []


def test_build_refuses_an_existing_file(tmp_path):
    path = tmp_path / "w.duckdb"
    path.write_bytes(b"published")
    with pytest.raises(FileExistsError):
        warehouse.build(path, **empty_facts())
    assert path.read_bytes() == b"published"


def test_a_failed_build_leaves_no_file(tmp_path):
    path = tmp_path / "w.duckdb"
    with pytest.raises(ValueError, match="lacks columns"):
        warehouse.build(path, **empty_facts(offences=pd.DataFrame({"round": ["x"]})))
    assert not path.exists()


def test_publish_replaces_the_target_and_discard_leaves_it(tmp_path):
    target = tmp_path / "foi.duckdb"
    target.write_bytes(b"old warehouse")
    staged = warehouse.staging_path(target)
    assert staged.parent == target.parent and staged != target
    warehouse.build(staged, **empty_facts())
    new_bytes = staged.read_bytes()
    warehouse.publish(staged, target)
    assert not staged.exists()
    assert target.read_bytes() == new_bytes
    assert warehouse.rows(target, "SELECT count(*) AS n FROM forces")[0]["n"] == 43

    before = target.read_bytes()
    again = warehouse.staging_path(target)
    warehouse.build(again, **empty_facts())
    warehouse.discard(again)
    assert not again.exists()
    assert target.read_bytes() == before


def test_append_adds_rows_to_a_staged_file(tmp_path):
    path = tmp_path / "w.duckdb"
    warehouse.build(path, **empty_facts())
    frame = pd.DataFrame([{"run_id": "r", "suite": "s", "expectation": "e", "column_name": None,
                           "severity": "critical", "success": True, "unexpected_count": 0,
                           "unexpected_examples": "[]"}])
    warehouse.append(path, "validation_results", frame)
    assert warehouse.rows(path, "SELECT suite FROM validation_results") == [{"suite": "s"}]


@pytest.mark.parametrize("table, columns", [
    ("offences", OFFENCES_COLUMNS), ("returns", RETURNS_COLUMNS),
    ("stated_totals", STATED_TOTALS_COLUMNS), ("force_replies", FORCE_REPLIES_COLUMNS),
])
def test_column_lists_match_the_ddl_and_the_facts_stage(tmp_path, table, columns):
    from flows import facts

    path = tmp_path / "w.duckdb"
    warehouse.build(path, **empty_facts())
    ddl = [r["column_name"] for r in warehouse.rows(
        path, "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table])]
    assert ddl == columns
    assert getattr(facts, f"{table.upper()}_COLUMNS") == columns


def test_a_failed_build_leaves_the_published_warehouse_untouched(tmp_path):
    target = tmp_path / "foi.duckdb"
    warehouse.build(target, **empty_facts())
    before = target.read_bytes()
    staged = warehouse.staging_path(target)
    with pytest.raises(ValueError, match="lacks columns"):
        warehouse.build(staged, **empty_facts(returns=pd.DataFrame({"round": ["x"]})))
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foi.duckdb"]  # no staged file left behind


def test_publish_leaves_only_the_target(tmp_path):
    target = tmp_path / "foi.duckdb"
    staged = warehouse.staging_path(target)
    warehouse.build(staged, **empty_facts())
    warehouse.publish(staged, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foi.duckdb"]
    assert warehouse.read_table(target, "forces").shape == (43, 3)
