"""The shrink guard (issue 10): a refresh never publishes a smaller warehouse by accident.

The flow tests run the real Prefect flow on real raw folders and DuckDB files: one
published warehouse of the sample round is built per module and copied into each test.
The unit tests call guard.shrink_checks on small warehouses built by hand.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from flows import PROJECT_ROOT, SAMPLE_ROUND, guard, warehouse
from flows.cli import main
from flows.discover import discover_raw

SAMPLE = PROJECT_ROOT / "raw" / SAMPLE_ROUND
TVP = "E23000029"  # Thames Valley: its folder is raw/<round>/TVP/


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def force_years(db: Path, force: str | None = None) -> set[tuple[str, str, str]]:
    sql = "SELECT DISTINCT round, force_code, financial_year FROM offences"
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(sql + (" WHERE force_code = ?" if force else ""), [force] if force else []).fetchall()
    return set(rows)


@pytest.fixture(scope="module")
def base(tmp_path_factory, prefect_harness):
    """The sample round and the warehouse a refresh of it published (built once)."""
    from flows.refresh import run_refresh

    root = tmp_path_factory.mktemp("shrink")
    raw = root / "raw"
    shutil.copytree(SAMPLE, raw / SAMPLE_ROUND)
    db = root / "warehouse" / "foi.duckdb"
    result = run_refresh(raw, db)
    assert result.published, result.blocked_reasons
    assert not any(w.startswith("shrink_guard") for w in result.warnings)
    return raw, db


@pytest.fixture
def setup(base, tmp_path):
    """A copy of the raw folder and of the published warehouse, for one test to change."""
    raw, db = base
    shutil.copytree(raw, tmp_path / "raw")
    (tmp_path / "warehouse").mkdir()
    shutil.copy2(db, tmp_path / "warehouse" / "foi.duckdb")
    return tmp_path / "raw", tmp_path / "warehouse" / "foi.duckdb"


def refresh(raw: Path, db: Path, **kwargs):
    from flows.refresh import run_refresh

    return run_refresh(raw, db, **kwargs)


def guard_reasons(reasons: list[str]) -> list[str]:
    return [r for r in reasons if r.startswith("shrink_guard: ")]


def no_staging_left(db: Path) -> bool:
    return not [p.name for p in db.parent.iterdir() if ".staging-" in p.name]


# --- (a) --raw pointed at the round folder --------------------------------------------------

def test_raw_pointed_at_a_round_is_blocked_and_suggests_the_parent(setup):
    raw, db = setup
    before = sha(db)
    result = refresh(raw / SAMPLE_ROUND, db)
    assert not result.published
    [reason] = [r for r in guard_reasons(result.blocked_reasons) if "holds no round" in r]
    assert f"did you mean --raw {raw}?" in reason
    assert sha(db) == before
    assert no_staging_left(db)
    [record] = [json.loads(p.read_text()) for p in (db.parent / "runs").glob("*.json")]
    assert record["status"] == "blocked" and reason in record["blocked_reasons"]


# --- (b) and (c) a force's folder emptied ---------------------------------------------------

def test_an_emptied_force_folder_is_blocked_naming_the_force_and_years(setup):
    raw, db = setup
    years = sorted(y for _, _, y in force_years(db, TVP))
    assert len(years) == 2
    for f in (raw / SAMPLE_ROUND / "TVP").iterdir():
        f.unlink()
    before = sha(db)
    result = refresh(raw, db)
    assert not result.published
    [reason] = guard_reasons(result.blocked_reasons)
    assert f"Thames Valley {years[0]} and {years[1]} ({SAMPLE_ROUND}) would be dropped" in reason
    assert f"its files are gone (raw/{SAMPLE_ROUND}/TVP/ is empty or missing)" in reason
    assert sha(db) == before
    assert no_staging_left(db)


def test_accept_shrink_publishes_without_the_force_years(setup):
    raw, db = setup
    shutil.rmtree(raw / SAMPLE_ROUND / "TVP")
    kept = force_years(db) - force_years(db, TVP)
    result = refresh(raw, db, accept_shrink=True)
    assert result.published, result.blocked_reasons
    [warning] = guard_reasons(result.warnings)
    assert "Thames Valley" in warning and "accepted with --accept-shrink" in warning
    assert force_years(db, TVP) == set()
    assert force_years(db) == kept
    with duckdb.connect(str(db), read_only=True) as con:  # recorded like the other checks
        rows = con.execute("SELECT severity, success FROM validation_results "
                           "WHERE suite = 'shrink_guard' AND expectation = 'published_force_years_kept'").fetchall()
    assert rows == [("warning", False)]


# --- (d) a replacement reply that covers fewer years ----------------------------------------

def test_a_replaced_reply_with_fewer_years_is_a_warning_and_publishes(setup):
    raw, db = setup
    folder = raw / SAMPLE_ROUND / "TVP"
    years = sorted(y for _, _, y in force_years(db, TVP))
    for f in folder.iterdir():
        f.unlink()
    (folder / "corrected reply.csv").write_text(
        "Financial Year,Offence,Victim Age,Number of Offences\n"
        f"{years[1]},88A - Sexual grooming,13,12\n{years[1]},Indecent images of children,14,30\n")
    result = refresh(raw, db)
    assert result.published, result.blocked_reasons
    [warning] = guard_reasons(result.warnings)
    assert f"Thames Valley {years[0]} ({SAMPLE_ROUND}) would be dropped" in warning
    assert "corrected reply.csv" in warning
    assert {y for _, _, y in force_years(db, TVP)} == {years[1]}


# --- (e) a first run over a raw folder without rounds ---------------------------------------

def test_a_first_run_over_an_empty_raw_folder_is_blocked_and_creates_no_warehouse(tmp_path, prefect_harness):
    raw, db = tmp_path / "raw", tmp_path / "warehouse" / "foi.duckdb"
    raw.mkdir()
    result = refresh(raw, db)
    assert not result.published
    [reason] = guard_reasons(result.blocked_reasons)
    assert "holds no round" in reason and "would publish an empty warehouse" in reason
    assert "did you mean" not in reason
    assert not db.exists()
    assert no_staging_left(db)


# --- (f) the command line -------------------------------------------------------------------

def test_cli_refresh_of_a_round_folder_exits_1(setup, capsys):
    raw, db = setup
    before = sha(db)
    code = main(["refresh", "--raw", str(raw / SAMPLE_ROUND), "--warehouse", str(db)])
    out = capsys.readouterr().out
    assert code == 1
    assert "PUBLICATION BLOCKED" in out and f"did you mean --raw {raw}?" in out
    assert "--accept-shrink" in out
    assert sha(db) == before


def test_cli_help_describes_accept_shrink(capsys):
    with pytest.raises(SystemExit):
        main(["refresh", "--help"])
    assert "--accept-shrink" in capsys.readouterr().out


# --- unit tests of guard.shrink_checks on hand-built warehouses -----------------------------

R1, R2 = "2017-unit", "2018-unit"
FORCES = {"E23000029": "TVP", "E23000032": "Kent", "E23000005": "GMP", "E23000001": "Met",
          "E23000033": "Sussex", "E23000031": "Surrey"}


def write_raw(root: Path, files: dict[str, bytes]) -> tuple[Path, list]:
    """raw/<round>/<folder>/<file> from {'round/folder/file': bytes}; with its rounds."""
    raw = root / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        (raw / rel).write_bytes(data)
    rounds, _ = discover_raw(raw)
    return raw, rounds


def build(path: Path, *, offences=(), returns=(), files=()) -> Path:
    """A warehouse: offences (round, force, year, rel_path), returns (rel_path, status,
    message, file bytes), and the run's files_json. A force with offences replied 'data'."""
    con = duckdb.connect(str(path))
    con.execute(warehouse.DDL.read_text())
    digest = {}
    for rel, status, message, data in returns:
        digest[rel] = hashlib.sha256(data).hexdigest()
        rnd, folder = rel.split("/")[:2]
        code = next((c for c, f in FORCES.items() if f == folder), None)
        con.execute("INSERT INTO returns (round, force_code, force_folder, path, sha256, file_type, "
                    "status, message, rows_loaded) VALUES (?, ?, ?, ?, ?, 'csv', ?, ?, 0)",
                    [rnd, code, folder, rel, digest[rel], status, message])
    for rnd, force, year, rel in offences:
        con.execute("INSERT INTO offences (round, force_code, financial_year, suppressed, offences_lower, "
                    "offences_upper, sha256, path, source, table_ref, in_totals, in_age_figures) "
                    "VALUES (?, ?, ?, false, 1, 1, ?, ?, 'A1', 't', true, true)",
                    [rnd, force, year, digest[rel], rel])
    for rnd, force in {(o[0], o[1]) for o in offences}:
        con.execute("INSERT INTO force_replies (round, force_code, force_name, reply) VALUES (?, ?, ?, 'data')", [rnd, force, force])
    con.execute("INSERT INTO runs (run_id, status, raw_dir, files_json) VALUES ('r', 'published', 'raw', ?)",
                [json.dumps([{"path": rel, "sha256": hashlib.sha256(d).hexdigest()} for rel, d in files])])
    con.close()
    return path


def failed(results, severity: str | None = None):
    return [r for r in results if not r.success and (severity is None or r.severity == severity)]


def test_unit_no_round_in_a_round_like_folder_suggests_the_parent(tmp_path):
    raw, _ = write_raw(tmp_path, {f"{R1}/TVP/a.csv": b"1", f"{R1}/Kent/b.csv": b"2"})
    staged = build(tmp_path / "staged.duckdb")
    results = guard.shrink_checks(published=None, staged=staged, rounds=[], raw_dir=raw / R1)
    [check] = failed(results, "critical")
    assert check.suite == "shrink_guard" and check.expectation == "raw_folder_holds_rounds"
    message = guard.describe(check)
    assert "Kent, TVP" in message and f"did you mean --raw {raw}?" in message

    empty = tmp_path / "2019-round"  # named like a round, holding nothing
    empty.mkdir()
    [check] = failed(guard.shrink_checks(published=None, staged=staged, rounds=[], raw_dir=empty))
    assert "is named like a round" in guard.describe(check) and f"--raw {tmp_path}?" in guard.describe(check)

    plain = tmp_path / "somewhere"
    plain.mkdir()
    [check] = failed(guard.shrink_checks(published=None, staged=staged, rounds=[], raw_dir=plain))
    assert "did you mean" not in guard.describe(check)
    [check] = failed(guard.shrink_checks(published=None, staged=staged, rounds=[], raw_dir=plain, accept=True))
    assert check.severity == "warning"


def test_unit_first_run_with_rounds_passes(tmp_path):
    raw, rounds = write_raw(tmp_path, {f"{R1}/TVP/a.csv": b"1"})
    staged = build(tmp_path / "staged.duckdb")
    results = guard.shrink_checks(published=None, staged=staged, rounds=rounds, raw_dir=raw)
    assert failed(results) == [] and {r.suite for r in results} == {"shrink_guard"}


def test_unit_each_reason_a_force_year_drops(tmp_path):
    old = {rel: rel.encode() for rel in (f"{R1}/{f}/reply.csv" for f in FORCES.values())}
    published = build(
        tmp_path / "published.duckdb",
        offences=[(R1, c, y, f"{R1}/{f}/reply.csv") for c, f in FORCES.items() for y in ("2015/16", "2016/17")],
        returns=[(rel, "loaded", None, data) for rel, data in old.items()],
        files=list(old.items()))
    # TVP: gone. Kent: unchanged, now quarantined. GMP: excluded by a reviewer.
    # Met: replaced by a new reply giving 2016/17 only. Sussex, Surrey: unchanged, kept.
    now = {rel: data for rel, data in old.items() if "/TVP/" not in rel and "/Met/" not in rel}
    now[f"{R1}/Met/corrected.csv"] = b"new bytes"
    raw, rounds = write_raw(tmp_path, now)
    status = {"Kent": ("quarantined", "Data!B4 is unclear"), "GMP": ("excluded_by_review", "by a reviewer")}
    staged = build(
        tmp_path / "staged.duckdb",
        offences=[(R1, c, y, f"{R1}/{f}/reply.csv") for c, f in FORCES.items() if f in ("Sussex", "Surrey")
                  for y in ("2015/16", "2016/17")] + [(R1, "E23000001", "2016/17", f"{R1}/Met/corrected.csv")],
        returns=[(rel, *status.get(rel.split("/")[1], ("loaded", None)), data) for rel, data in now.items()])
    results = guard.shrink_checks(published=published, staged=staged, rounds=rounds, raw_dir=raw)
    blocking = {guard.describe(r) for r in failed(results, "critical")}
    assert blocking == {
        f"shrink_guard: Thames Valley 2015/16 and 2016/17 ({R1}) would be dropped: "
        f"its files are gone (raw/{R1}/TVP/ is empty or missing). What to do: {guard.WHAT_TO_DO}.",
        f"shrink_guard: Kent 2015/16 and 2016/17 ({R1}) would be dropped: "
        f"its files are unchanged but now read as quarantined: Data!B4 is unclear. What to do: {guard.WHAT_TO_DO}.",
    }
    [replaced] = failed(results, "warning")
    assert replaced.expectation == "replaced_reply_force_years"
    assert guard.describe(replaced).startswith("shrink_guard: Metropolitan Police 2015/16 (")
    assert f"{R1}/Met/corrected.csv" in guard.describe(replaced)
    [reviewed] = [r for r in results if r.expectation == "reviewed_exclusions"]
    assert reviewed.success and reviewed.unexpected_count == 2 and "Greater Manchester" in guard.describe(reviewed)

    accepted = guard.shrink_checks(published=published, staged=staged, rounds=rounds, raw_dir=raw, accept=True)
    assert failed(accepted, "critical") == []
    assert len(failed(accepted, "warning")) == 3
    assert all("accepted with --accept-shrink" in guard.describe(r) for r in failed(accepted)
               if r.expectation == "published_force_years_kept")


def test_unit_a_vanished_round_is_one_line_and_many_forces_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(guard, "MAX_LINES", 2)
    files = {f"{rnd}/{f}/reply.csv": f"{rnd}{f}".encode() for rnd in (R1, R2) for f in FORCES.values()}
    published = build(
        tmp_path / "published.duckdb",
        offences=[(rel.split("/")[0], c, y, rel) for rel in files for c, f in FORCES.items()
                  if rel.split("/")[1] == f for y in ("2015/16", "2016/17")],
        returns=[(rel, "loaded", None, data) for rel, data in files.items()])
    raw, rounds = write_raw(tmp_path, {f"{R2}/Kent/reply.csv": files[f"{R2}/Kent/reply.csv"]})
    staged = build(tmp_path / "staged.duckdb",
                   offences=[(R2, "E23000032", y, f"{R2}/Kent/reply.csv") for y in ("2015/16", "2016/17")],
                   returns=[(f"{R2}/Kent/reply.csv", "loaded", None, files[f"{R2}/Kent/reply.csv"])])
    results = guard.shrink_checks(published=published, staged=staged, rounds=rounds, raw_dir=raw)
    lines = [guard.describe(r) for r in failed(results, "critical")]
    [gone] = [line for line in lines if line.startswith(f"shrink_guard: round {R1} is gone")]
    assert "its 12 force-year(s) from 6 force(s) would be dropped" in gone and "and 3 more forces" in gone
    in_r2 = [line for line in lines if R2 in line]
    assert len(in_r2) == 3 and in_r2[-1] == (f"shrink_guard: and 3 more forces (6 force-years) in {R2} would be "
                                             f"dropped. What to do: {guard.WHAT_TO_DO}.")
    assert sum(r.unexpected_count for r in failed(results)) == 22


def test_unit_an_unreadable_published_warehouse_blocks(tmp_path):
    raw, rounds = write_raw(tmp_path, {f"{R1}/TVP/a.csv": b"1"})
    staged = build(tmp_path / "staged.duckdb")
    broken = tmp_path / "published.duckdb"
    broken.write_bytes(b"not a duckdb file")
    [check] = failed(guard.shrink_checks(published=broken, staged=staged, rounds=rounds, raw_dir=raw))
    assert check.severity == "critical" and "could not be read" in guard.describe(check)
