"""Readings are cached on each file's bytes and the reader's code, not on paths."""
from __future__ import annotations

import os
from pathlib import Path

from flows.discover import discover_raw
from flows.reading import reader_fingerprint, reading_cache_key

ROUND = "2017-cache-test"


def write_round(raw: Path, folder: str, name: str) -> None:
    d = raw / ROUND / folder
    d.mkdir(parents=True)
    (d / name).write_text("Year,Offence,Count\n2016/17,Sexual grooming,30\n")


def test_a_moved_file_keeps_its_cache_key(tmp_path):
    write_round(tmp_path / "a", "Kent", "reply.csv")
    write_round(tmp_path / "b", "kent_police", "renamed.csv")
    [ra], [rb] = (discover_raw(tmp_path / x)[0][0].files for x in ("a", "b"))
    fp = reader_fingerprint()
    assert reading_cache_key(ra, fp) == reading_cache_key(rb, fp)
    (tmp_path / "b" / ROUND / "kent_police" / "renamed.csv").write_text("Year,Offence,Count\n2016/17,88A,31\n")
    [rc] = discover_raw(tmp_path / "b")[0][0].files
    assert reading_cache_key(rc, fp) != reading_cache_key(ra, fp)
    assert reading_cache_key(ra, "another reader") != reading_cache_key(ra, fp)


def test_refresh_stores_each_reading_under_its_key(tmp_path, prefect_harness):
    from flows.refresh import run_refresh

    raw = tmp_path / "raw"
    write_round(raw, "Kent", "reply.csv")
    result = run_refresh(raw, tmp_path / "w.duckdb")
    assert result.published
    [reply] = discover_raw(raw)[0][0].files
    key = reading_cache_key(reply, reader_fingerprint())
    storage = Path(os.environ["PREFECT_HOME"]) / "storage"
    assert (storage / key).exists()


def test_a_budget_verdict_is_never_taken_from_the_cache(tmp_path, prefect_harness):
    """A file stopped for time may have met a busy machine: the next run reads it again,
    while a reading that finished is reused."""
    from prefect import flow

    from flows.limits import load_limits
    from flows.refresh import read_all

    raw = tmp_path / "raw"
    write_round(raw, "Kent", "reply.csv")
    write_round(raw, "Durham", "reply.csv")
    (raw / ROUND / "Durham" / "reply.csv").write_text("Year,Offence,Count\n2016/17,88A,7\n")
    replies = discover_raw(raw)[0][0].files
    hasty = load_limits().replace(read_seconds=0.001)

    @flow
    def twice(limits, first: str, second: str):
        return read_all(replies, "fingerprint", limits, first), read_all(replies, "fingerprint", limits, second)

    before, after = twice(hasty, "run-1", "run-2")
    assert [r.reason for r in before] == ["budget:read_seconds"] * 2
    assert [r.read_in_run for r in after] == ["run-2", "run-2"]  # read again, not reused
    done, cached = twice(load_limits().replace(read_seconds=120), "run-3", "run-4")
    assert [r.status for r in done] == ["loaded", "loaded"]
    assert [r.read_in_run for r in cached] == ["run-3", "run-3"]  # a finished reading is reused


def test_a_reused_reading_speaks_of_the_file_where_it_is_now(tmp_path, prefect_harness):
    """A copy of a reply filed under a second round is read from the cache of the first:
    each message names its own file, never where the bytes were first read."""
    from flows.refresh import run_refresh

    raw = tmp_path / "raw"

    def file(round_name: str) -> None:
        d = raw / round_name / "Kent"
        d.mkdir(parents=True)
        (d / "reply.csv").write_text("Year,Offence,Count\n2016/17,Sexual grooming,12\n2016/17,Wibble,3\n")

    file("2017-first")
    run_refresh(raw, tmp_path / "w.duckdb", accept_shrink=True)
    file("2018-second")
    result = run_refresh(raw, tmp_path / "w.duckdb", accept_shrink=True)
    messages = {row["path"]: row["message"] for row in result.summary["not_loaded"]}
    assert set(messages) == {"2017-first/Kent/reply.csv", "2018-second/Kent/reply.csv"}
    for path, message in messages.items():
        assert message.startswith(path + ":") and "Wibble" in message, message
        other = next(p for p in messages if p != path)
        assert other not in message
