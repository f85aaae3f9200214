"""A published refresh attaches the headline table and the quality summary to its Prefect
flow run (flows/artifacts.py), where the Prefect UI shows them."""
from __future__ import annotations

import json

from flows.artifacts import HEADLINE_KEY, QUALITY_KEY, quality_markdown
from flows.headline import md_escape


def write(raw, folder: str, text: str) -> None:
    d = raw / "2017-artifacts" / folder
    d.mkdir(parents=True, exist_ok=True)
    (d / "reply.csv").write_text(text)


def test_a_refresh_attaches_the_headline_and_the_quality_summary(tmp_path, prefect_harness, capsys,
                                                                  fresh_reading_cache):
    # fresh_reading_cache: the progress lines below say each file was read by this run,
    # whatever other tests in this process read the same bytes before
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.refresh import run_refresh

    raw = tmp_path / "raw"
    write(raw, "Kent", "Year,Offence,Count\n2015/16,Sexual grooming,30\n2016/17,Sexual grooming,41\n")
    write(raw, "Durham", "Year,Offence,Count\n2015/16,88A,7\n2016/17,88A,9\n")
    result = run_refresh(raw, tmp_path / "w" / "foi.duckdb", progress=True)
    assert result.published
    progress = capsys.readouterr().err.splitlines()
    assert sorted(line.split("] ")[1] for line in progress if line.startswith("[")) == [
        "2017-artifacts/Durham/reply.csv: loaded (long)", "2017-artifacts/Kent/reply.csv: loaded (long)"]
    from flows.cli import print_refresh

    print_refresh(result, quiet=True)
    quiet = capsys.readouterr().out.splitlines()
    assert quiet[0] == f"Run {result.run_id}: published; 2 files, 2 loaded, 2 of 43 forces with data"
    assert all(line.startswith(("  ", "Report: ")) for line in quiet[1:])
    headline = (result.report.parent / "headline.html").read_text()
    assert "50" in headline and 'href="headline.html"' in result.report.read_text()
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[HEADLINE_KEY, QUALITY_KEY])))
    # other tests' refreshes share the test server: this run's summary names its run id
    summary = next(a for a in found if a.key == QUALITY_KEY and result.run_id in str(a.data))
    table = next(a for a in found if a.key == HEADLINE_KEY and a.flow_run_id == summary.flow_run_id)
    assert (summary.type, table.type) == ("markdown", "table")
    rows = table.data if isinstance(table.data, list) else json.loads(table.data)
    years = {r["year"]: r for r in rows}
    assert years["2016/17"]["offences"] == "50" and years["2015/16"]["offences"] == "37"
    assert f"# Refresh {result.run_id}: published" in summary.data
    assert "forces with data (latest round): 2 of 43" in summary.data


def test_the_quality_summary_shows_replies_as_text():
    text = quality_markdown(run_id="r1", published=False, blocked=["Kent/<b>x</b>.csv: bad"], warnings=[],
                            checks_run=3, summary={"files": 1, "loaded_files": 0})
    assert "NOT published" in text and "<b>" not in text and md_escape("<b>") in text
