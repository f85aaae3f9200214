"""One source for the warehouse's documentation (schemas/warehouse_docs.yaml, flows/docs.py),
and a warehouse any analyst's DuckDB opens (flows.warehouse.STORAGE_VERSION).

A real warehouse, built from the bundled sample by the real pipeline pieces
(flows.discover, flows.reading.read_reply, flows.facts, flows.warehouse), must carry a
comment on every table, view and column, each the YAML's text; the YAML must name exactly
what the warehouse holds; docs/warehouse.md must be the YAML's rendering; every example
query must return rows; and DuckDB 1.x must read the file, headline figures and comments.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from flows import PROJECT_ROOT, docs, warehouse
from flows.warehouse import FORCE_REPLIES_COLUMNS, OFFENCES_COLUMNS, RETURNS_COLUMNS, STATED_TOTALS_COLUMNS

from builders import build_warehouse

DOCS = docs.load()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The bundled sample round's warehouse, with a runs row (as a refresh writes it) and a
    validation_results row appended (as the checks are), so every table has rows."""
    db = tmp_path_factory.mktemp("docs") / "foi.duckdb"
    run = {"run_id": "20170314T093000Z-docstest", "started_at": datetime.now(timezone.utc),
           "code_version": "test", "raw_dir": str(PROJECT_ROOT / "raw"),
           "files": [{"path": "x.csv", "sha256": "0" * 64, "force_code": None}], "inputs_fingerprint": "f"}
    build_warehouse(PROJECT_ROOT / "raw", db, run=run)  # asserts the build's docs problems are []
    warehouse.append(db, "validation_results", pd.DataFrame([{
        "run_id": run["run_id"], "suite": "offences", "expectation": "expect_table_row_count_to_be_between",
        "column_name": None, "severity": "critical", "success": True, "unexpected_count": 0,
        "unexpected_examples": "[]"}]))
    return db


@pytest.fixture(scope="module")
def con(sample):
    with duckdb.connect(str(sample), read_only=True) as con:
        yield con


def comments(con) -> dict[tuple[str, str | None], str | None]:
    """(object, None) -> its comment; (object, column) -> the column's; the warehouse's own
    objects only."""
    found = docs.catalogue(con)
    out: dict[tuple[str, str | None], str | None] = {}
    for name, comment in con.execute(
            "SELECT table_name, comment FROM duckdb_tables() UNION ALL "
            "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall():
        if name in found:
            out[(name, None)] = comment
    for table, column, comment in con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns()").fetchall():
        if table in found:
            out[(table, column)] = comment
    return out


# --- the warehouse and the YAML ---------------------------------------------------------

def test_the_warehouse_holds_what_the_docs_name(con):
    found = docs.catalogue(con)
    assert docs.coverage(DOCS, found) == []
    assert list(DOCS.objects()) and set(DOCS.objects()) == set(found)
    # the objects the issue names, and their kinds
    for name in ("current_offences", "published_figures", "rounds", "runs", "validation_results",
                 "headline_figures", "offences", "responses"):
        assert name in found
    assert found["current_offences"][0] == "view" == DOCS.objects()["current_offences"].kind
    # no TEMP object of the marts' build is part of the warehouse, or of its docs
    assert not [n for n in found if n.startswith("scoped_")]


def test_every_table_view_and_column_has_a_non_empty_comment(con):
    got = comments(con)
    empty = sorted(f"{t}.{c}" if c else t for (t, c), text in got.items() if not (text or "").strip())
    assert empty == []
    found = docs.catalogue(con)
    assert set(got) == {(n, None) for n in found} | {(n, c) for n, (_, cols) in found.items() for c in cols}
    assert len(found) == len(DOCS.objects())


def test_each_comment_is_the_yaml_text(con):
    got = comments(con)
    for name, obj in DOCS.objects().items():
        assert got[(name, None)] == docs.comment_text(obj.description)
        for column, meaning in DOCS.columns(name).items():
            assert got[(name, column)] == docs.comment_text(meaning), f"{name}.{column}"
    assert got[("offences", "offence_classes")].startswith("every class the label may be, |-separated: 19E|19H")


def test_the_yaml_lists_columns_in_the_warehouse_order(con):
    found = docs.catalogue(con)
    for name in DOCS.objects():
        assert list(DOCS.columns(name)) == found[name][1], name


def test_every_object_has_a_known_stage_and_kind():
    for obj in DOCS.objects().values():
        assert obj.stage in docs.STAGES and obj.kind in docs.KINDS
        assert obj.description.strip()
    assert {o.stage for o in DOCS.objects().values()} == set(docs.STAGES)


# --- docs/warehouse.md ------------------------------------------------------------------

def test_docs_warehouse_md_is_the_yaml_rendered():
    assert docs.MARKDOWN.read_text(encoding="utf-8") == docs.render_markdown(), (
        f"docs/warehouse.md is out of date with schemas/warehouse_docs.yaml: run {docs.WRITE_COMMAND}")


def test_the_markdown_says_it_is_generated_and_shows_every_column():
    text = docs.render_markdown()
    head = "\n".join(text.splitlines()[:4])
    assert "Generated from `schemas/warehouse_docs.yaml`" in head and docs.WRITE_COMMAND in head
    for name in DOCS.objects():
        assert f"`{name}`" in text
        for column in DOCS.columns(name):
            assert column in text
    # the storage format and the 1.x command, with the setting's real value
    assert f"`{warehouse.STORAGE_VERSION}` storage" in text and "{storage_version}" not in text
    assert "duckdb-cli==1.5.6" in text and "-readonly warehouse/foi.duckdb" in text
    # a | inside a table cell is escaped, or the table breaks
    assert "`19E\\|19H`" in text


def test_the_check_command(capsys, monkeypatch, tmp_path):
    assert docs.main(["--check"]) == 0
    stale = tmp_path / "warehouse.md"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(docs, "MARKDOWN", stale)
    assert docs.main(["--check"]) == 1
    assert docs.WRITE_COMMAND in capsys.readouterr().err
    assert docs.main(["--write"]) == 0
    assert stale.read_text(encoding="utf-8") == docs.render_markdown()


# --- example queries --------------------------------------------------------------------

@pytest.mark.parametrize("example", DOCS.examples(), ids=[e.title for e in DOCS.examples()])
def test_every_example_query_returns_rows(con, example):
    assert con.execute(example.sql).fetchall(), example.title


def test_there_are_example_queries():
    titles = [e.title for e in DOCS.examples()]
    assert "each round's 2015/16 beside today's" in titles
    assert "Thames Valley's 2016/17 figure, cell by cell" in titles


# --- a warehouse that does not match the docs ---------------------------------------------

def empty_facts() -> dict:
    return {"offences": pd.DataFrame(columns=OFFENCES_COLUMNS),
            "returns": pd.DataFrame(columns=RETURNS_COLUMNS),
            "stated_totals": pd.DataFrame(columns=STATED_TOTALS_COLUMNS),
            "force_replies": pd.DataFrame(columns=FORCE_REPLIES_COLUMNS)}


def edited_docs(tmp_path: Path, monkeypatch, edit) -> Path:
    data = yaml.safe_load(docs.DOCS_YAML.read_text(encoding="utf-8"))
    edit({o["name"]: o for s in data["sections"] for o in s.get("objects", [])})
    path = tmp_path / "warehouse_docs.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(docs, "DOCS_YAML", path)
    return path


def test_an_undocumented_column_fails_the_build_and_leaves_no_file(tmp_path, monkeypatch):
    edited_docs(tmp_path, monkeypatch, lambda objects: objects["headline_figures"]["columns"].pop("per_day"))
    db = tmp_path / "w.duckdb"
    with pytest.raises(docs.UndocumentedError, match=r"column headline_figures\.per_day is not documented"):
        warehouse.build(db, **empty_facts())
    assert not db.exists() and not Path(f"{db}.wal").exists()


def test_an_undocumented_table_or_a_stale_entry_fails_the_build(tmp_path, monkeypatch):
    def edit(objects):
        objects["runs"]["name"] = "run_history"  # runs undocumented; run_history names nothing
    edited_docs(tmp_path, monkeypatch, edit)
    with pytest.raises(docs.UndocumentedError) as caught:
        warehouse.build(tmp_path / "w.duckdb", **empty_facts())
    assert "table runs is not documented" in caught.value.problems
    assert "the docs name table run_history, which the warehouse does not hold" in caught.value.problems


def test_not_strict_builds_with_every_comment_it_has_and_says_what_is_missing(tmp_path, monkeypatch):
    """What a refresh does (strict_docs=False): the figures are built and published, the
    missing comment is reported, not fatal."""
    edited_docs(tmp_path, monkeypatch, lambda objects: objects["headline_figures"]["columns"].pop("per_day"))
    db = tmp_path / "w.duckdb"
    assert warehouse.build(db, **empty_facts(), strict_docs=False) == [
        "column headline_figures.per_day is not documented"]
    with duckdb.connect(str(db), read_only=True) as con:
        got = comments(con)
    assert got[("headline_figures", "per_day")] is None
    assert got[("headline_figures", "offences")] and got[("headline_figures", None)]
    assert warehouse.rows(db, "SELECT count(*) AS n FROM forces")[0]["n"] == 43


def test_not_strict_survives_an_unreadable_yaml(tmp_path, monkeypatch):
    broken = tmp_path / "warehouse_docs.yaml"
    broken.write_text("title: [unclosed\n", encoding="utf-8")
    monkeypatch.setattr(docs, "DOCS_YAML", broken)
    with pytest.raises(docs.DocsError):
        warehouse.build(tmp_path / "strict.duckdb", **empty_facts())
    (problem,) = warehouse.build(tmp_path / "w.duckdb", **empty_facts(), strict_docs=False)
    assert problem.startswith("no comments written:")
    assert warehouse.rows(tmp_path / "w.duckdb", "SELECT count(*) AS n FROM forces")[0]["n"] == 43


def test_the_yaml_is_checked_for_shape(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: t\nsections:\n  - title: s\n    level: 2\n    objects:\n"
                   "      - {name: t, kind: table, stage: staging, description: d, columns: {a: b}}\n")
    with pytest.raises(docs.DocsError, match="stage must be one of"):
        docs.load(bad)
    bad.write_text("title: t\nsections:\n  - title: s\n    level: 2\n    objects:\n"
                   "      - {name: t, kind: table, stage: marts, description: d, columns: {a: ''}}\n")
    with pytest.raises(docs.DocsError, match="expected text"):
        docs.load(bad)


def test_comments_survive_quotes(tmp_path):
    """A meaning with an apostrophe (most have one) is one SQL literal, not a syntax error."""
    with duckdb.connect() as con:
        con.execute("CREATE TABLE forces (force_code VARCHAR, force_name VARCHAR, nation VARCHAR)")
        one = docs.Docs(title="t", intro="", sections=[docs.Section(title="s", level=2, objects=[
            DOCS.objects()["forces"]])])
        assert docs.apply_comments(con, one) == []
        assert con.execute("SELECT comment FROM duckdb_columns() WHERE column_name = 'force_name'"
                           ).fetchone()[0] == "the force's name"


# --- DuckDB 1.x reads the warehouse ----------------------------------------------------

def test_the_file_is_in_the_storage_version(sample):
    with duckdb.connect(str(sample), read_only=True) as con:
        (tags,) = con.execute(
            "SELECT tags FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    assert tags["storage_version"].startswith(warehouse.STORAGE_VERSION)


def duckdb_1x() -> str | None:
    """A DuckDB 1.x command line: the duckdb-cli package's (`pip install duckdb-cli==1.5.6`
    puts it beside the venv's python), else one on PATH."""
    beside = Path(sys.executable).parent / "duckdb"
    for candidate in (str(beside) if beside.exists() else None, shutil.which("duckdb")):
        if not candidate:
            continue
        try:
            version = subprocess.run([candidate, "--version"], capture_output=True, text=True,
                                     timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if version.startswith("v1."):
            return candidate
    return None


def cli(binary: str, db: Path, sql: str) -> list[dict]:
    out = subprocess.run([binary, "-readonly", str(db), "-csv", "-c", sql], capture_output=True,
                         text=True, timeout=120, env={**os.environ, "HOME": str(db.parent)})
    assert out.returncode == 0, out.stderr
    return list(csv.DictReader(io.StringIO(out.stdout)))


def test_a_duckdb_1x_command_line_reads_the_headline_figures_and_comments(sample, tmp_path):
    binary = duckdb_1x()
    if binary is None:
        pytest.skip("no DuckDB 1.x command line: `.venv/bin/pip install duckdb-cli==1.5.6` puts one at .venv/bin/duckdb")
    copy = tmp_path / "foi.duckdb"  # the CLI opens its own copy: the module's connection stays open
    shutil.copyfile(sample, copy)
    expected = warehouse.headline(copy)
    got = cli(binary, copy, "SELECT financial_year, offences, forces_with_data FROM headline_figures "
                            "ORDER BY financial_year")
    assert [(r["financial_year"], int(r["offences"]), int(r["forces_with_data"])) for r in got] == [
        (h["financial_year"], h["offences"], h["forces_with_data"]) for h in expected]
    assert ("2016/17", 5653) in [(r["financial_year"], int(r["offences"])) for r in got]
    table = cli(binary, copy, "SELECT comment FROM duckdb_tables() WHERE table_name = 'headline_figures'")
    assert table == [{"comment": docs.comment_text(DOCS.objects()["headline_figures"].description)}]
    column = cli(binary, copy, "SELECT comment FROM duckdb_columns() "
                               "WHERE table_name = 'current_offences' AND column_name = 'in_totals'")
    assert column == [{"comment": docs.comment_text(DOCS.columns("offences")["in_totals"])}]
    appended = cli(binary, copy, "SELECT count(*) AS n FROM validation_results")  # append() kept the format
    assert appended == [{"n": "1"}]

