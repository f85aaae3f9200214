"""A refresh with nothing changed reads no file and rebuilds nothing; one with a change
gives exactly what a full refresh gives."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

ROUND = "2017-incremental"
MARTS = ["current_offences", "force_year_totals", "age_distribution", "offence_group_totals",
         "headline_figures", "force_year_changes"]


def write(raw, folder: str, text: str) -> None:
    d = raw / ROUND / folder
    d.mkdir(parents=True, exist_ok=True)
    (d / "reply.csv").write_text(text)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def marts(path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {m: con.execute(f"SELECT * FROM {m} ORDER BY ALL").fetchall() for m in MARTS}


@pytest.fixture()
def raw(tmp_path):
    raw = tmp_path / "raw"
    write(raw, "Kent", "Year,Offence,Count\n2015/16,Sexual grooming,30\n2016/17,Sexual grooming,41\n")
    write(raw, "Durham", "Year,Offence,Count\n2015/16,88A,7\n2016/17,88A,9\n")
    return raw


def test_nothing_changed_reads_nothing_and_rebuilds_nothing(raw, tmp_path, prefect_harness):
    from flows.refresh import run_refresh

    target = tmp_path / "w" / "foi.duckdb"
    first = run_refresh(raw, target)
    assert first.published and first.unchanged_since is None
    before = sha(target)
    second = run_refresh(raw, target)
    assert second.published and second.unchanged_since == first.run_id
    assert sha(target) == before  # not rebuilt: the same file, byte for byte
    assert second.summary["files"] == 2 and second.summary["loaded_files"] == 2
    # a file moved to another force's folder is a change, though its bytes are not
    full = run_refresh(raw, target, full=True)
    assert full.unchanged_since is None and full.published and sha(target) != before


def test_will_read_says_beforehand_what_the_refresh_then_does(raw, tmp_path, prefect_harness):
    """`foi refresh` decides before the flow starts whether to import GX and matplotlib
    early (flows.preload): incremental.will_read must agree with the flow's own verdict."""
    from flows.incremental import will_read
    from flows.refresh import run_refresh

    target = tmp_path / "w" / "foi.duckdb"
    assert will_read(raw, target, full=False)  # no warehouse yet
    run_refresh(raw, target)
    assert not will_read(raw, target, full=False)
    assert run_refresh(raw, target).unchanged_since is not None
    assert will_read(raw, target, full=True)
    write(raw, "Durham", "Year,Offence,Count\n2015/16,88A,7\n2016/17,88A,10\n")
    assert will_read(raw, target, full=False)
    assert run_refresh(raw, target).unchanged_since is None
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("path,decision,reviewer,reason\n")
    assert not will_read(raw, target, full=False)
    assert will_read(raw, target, full=False, extra_files=[None, reviews])  # a file the run is given is an input


def test_a_change_rebuilds_and_equals_a_full_refresh(raw, tmp_path, prefect_harness):
    from flows.refresh import run_refresh

    incremental, full = tmp_path / "inc" / "foi.duckdb", tmp_path / "full" / "foi.duckdb"
    run_refresh(raw, incremental)
    write(raw, "Durham", "Year,Offence,Count\n2015/16,88A,7\n2016/17,88A,12\n")  # a corrected reply
    write(raw, "Essex", "Year,Offence,Count\n2016/17,86,5\n")  # a late one
    changed = run_refresh(raw, incremental)
    assert changed.published and changed.unchanged_since is None
    run_refresh(raw, full, full=True)
    assert marts(incremental) == marts(full)
    totals = dict(((r[0], r[2]), r[3]) for r in marts(incremental)["force_year_totals"])
    assert 12 in totals.values() and 5 in totals.values()


def test_a_settings_change_is_a_change(raw, tmp_path, prefect_harness):
    """A limits file given from elsewhere is an input: editing it rebuilds."""
    from flows.limits import LIMITS_YAML
    from flows.refresh import run_refresh

    limits = tmp_path / "limits.yaml"
    shutil.copy(LIMITS_YAML, limits)
    target = tmp_path / "w" / "foi.duckdb"
    run_refresh(raw, target, limits_path=limits)
    assert run_refresh(raw, target, limits_path=limits).unchanged_since is not None
    limits.write_text(limits.read_text().replace("read_seconds: 300", "read_seconds: 299"))
    assert run_refresh(raw, target, limits_path=limits).unchanged_since is None


def test_an_unchanged_run_leaves_a_record(raw, tmp_path, prefect_harness):
    import json

    from flows.refresh import run_log_path, run_refresh

    target = tmp_path / "w" / "foi.duckdb"
    first = run_refresh(raw, target)
    second = run_refresh(raw, target)
    record = json.loads(run_log_path(target, second.run_id).read_text())
    assert record["status"] == "unchanged" and record["unchanged_since"] == first.run_id


def test_the_reader_fingerprint_covers_every_module_a_reading_imports(tmp_path):
    """A cached reading is reused while reader_fingerprint() is unchanged, so every module
    reading a file imports must be among the files it hashes: read one file of each kind
    the sample round holds in a fresh interpreter and compare."""
    import subprocess
    import sys

    from flows import PROJECT_ROOT
    from flows.reading import reader_files

    script = tmp_path / "imports.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        "from flows.discover import discover_raw\n"
        "from flows.reading import read_reply\n"
        "seen = set()\n"
        "for rnd in discover_raw(Path(sys.argv[1]))[0]:\n"
        "    for reply in rnd.files:\n"
        "        if reply.path.suffix not in seen:\n"
        "            seen.add(reply.path.suffix)\n"
        "            read_reply(reply)\n"
        "print(sorted(seen))\n"
        "for name, mod in sorted(sys.modules.items()):\n"
        "    if name.startswith('flows') and getattr(mod, '__file__', None):\n"
        "        print(mod.__file__)\n")
    out = subprocess.run([sys.executable, str(script), str(PROJECT_ROOT / "raw")], check=True,
                         capture_output=True, text=True, cwd=PROJECT_ROOT).stdout.splitlines()
    assert {".xlsx", ".xls", ".ods", ".csv", ".pdf", ".docx", ".txt"} <= set(eval(out[0]))
    hashed = {p.resolve() for p in reader_files()}
    imported = {Path(line).resolve() for line in out[1:]}
    assert len(imported) > 20
    assert imported - hashed == set()


def test_a_damaged_cached_reading_is_read_again(raw, tmp_path, prefect_harness):
    """A kill while Prefect writes a cached reading can leave a truncated file in its
    result storage: the next refresh must read that reply again, not fail or lose it."""
    import time

    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH

    from flows.refresh import run_refresh

    storage = Path(PREFECT_RESULTS_LOCAL_STORAGE_PATH.value()).expanduser()
    before = time.time() - 1
    db, full = tmp_path / "inc" / "foi.duckdb", tmp_path / "full" / "foi.duckdb"
    run_refresh(raw, db, full=True)
    written = [p for p in storage.rglob("*") if p.is_file() and p.stat().st_mtime >= before]
    assert len(written) >= 2, f"both readings were cached under {storage}"
    for p in written:
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])
    write(raw, "Essex", "Year,Offence,Count\n2016/17,86,5\n")  # so the refresh is not 'unchanged'
    again = run_refresh(raw, db)
    assert again.published
    run_refresh(raw, full, full=True)
    assert marts(db) == marts(full)
    totals = {(r[0], r[2]): r[3] for r in marts(db)["force_year_totals"]}
    assert len(totals) == 5  # Kent and Durham's two years each, and Essex
