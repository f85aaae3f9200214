"""Run reports (flows/report): real files, real GX, real DuckDB, and pages rendered in
Debian's headless Chromium with every network fetch made to fail.

A page is probed by copying it beside itself with two scripts added: one at the top of
<head> records every resource that loads or fails (capturing on the document: element
load events never reach the window), and one, once the page and its fonts have loaded,
writes the computed styles, the fonts and those records into the DOM as JSON, which
--dump-dom prints. Chromium keeps no resource timing for file:// pages, so the load and
error events are the list of what was loaded.
"""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from markupsafe import escape

from flows import DEFAULT_RAW, PROJECT_ROOT, quality, report, warehouse
from flows.report import assets, data_docs

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (`make test` installs Debian's chromium)")
SUITES = {"offences", "stated_totals", "force_year_totals", "headline_figures", "reconciliation",
          "force_replies", "force_year_changes", "returns"}
HOSTILE = '<i id="pwned">reply'  # a file name an untrusted reply could carry


# --- building reports without Prefect ---------------------------------------------------


def run_pipeline(raw: Path, out: Path, run_id: str):
    """The refresh's stages as plain functions: a staged warehouse, its checks, its report."""
    from flows.discover import discover_raw
    from flows.facts import build_facts
    from flows.reading import read_reply

    rounds, _ = discover_raw(raw)
    facts = build_facts(rounds, [read_reply(r) for rnd in rounds for r in rnd.files])
    staged = out / "foi.duckdb"
    warehouse.build(staged, offences=facts.offences, returns=facts.returns,
                    stated_totals=facts.stated_totals, force_replies=facts.force_replies)
    kept: list[quality.GxValidation] = []
    checks = quality.validate_warehouse(staged, gx_validations=kept)
    failed = [c for c in checks if not c.success]
    built = report.build_report(
        out / "reports", run_id=run_id, status="blocked" if quality.blocking(checks) else "published",
        warehouse_file=staged, checks=checks, validations=kept, suites=quality.load_suites(),
        blocked_reasons=[f"{c.suite}: {c.expectation}" for c in failed if c.severity == "critical"],
        warnings=[f"{c.suite}: {c.expectation}" for c in failed if c.severity != "critical"],
        details={"raw folder": raw})
    return built, checks, kept


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled sample round's report (published)."""
    out = tmp_path_factory.mktemp("sample")
    built, checks, kept = run_pipeline(DEFAULT_RAW, out, "run-sample")
    return built, checks, kept, out


def suite_page(built: report.Report, suite: str) -> Path:
    [page] = (built.index.parent / "data_docs" / "validations" / suite).rglob("*.html")
    return page


def test_every_cdn_link_in_gx_templates_is_vendored():
    """A GX upgrade that links a new CDN file fails here, not in a reviewer's browser."""
    import importlib.util

    templates = Path(importlib.util.find_spec("great_expectations").origin).parent / "render" / "view" / "templates"
    linked = {m[1] for t in templates.glob("*.j2")
              for m in re.finditer(r"""<(?:script|link)\b[^>]*(?:src|href)=["'](https?://[^"']+)""", t.read_text())}
    assert linked and linked <= set(assets.CDN_FILES), sorted(linked - set(assets.CDN_FILES))
    assert assets.vendored(), "flows/report/vendor/node_modules is incomplete: run `make install` (npm ci)"


def test_sample_report_has_every_suite_the_audit_and_no_remote_files(sample):
    built, checks, kept, out = sample
    run = out / "reports" / "run-sample"
    assert built.index == run / "index.html" and built.problems == []
    assert {k.suite for k in kept} == SUITES
    assert {c.suite for c in checks} == SUITES
    for suite in SUITES:
        assert (run / "data_docs" / "expectations" / f"{suite}.html").is_file()
        assert suite in suite_page(built, suite).read_text()
    pages = sorted(run.rglob("*.html"))
    assert len(pages) >= 2 + 2 * len(SUITES) + 1
    for page in pages:
        text = page.read_text()
        assert assets.remote_references(text) == [], page
        for url in local_references(text):  # every file a page loads is in the report
            assert (page.parent / url).resolve().is_file(), (page, url)
    index = built.index.read_text()
    assert 'href="data_docs/index.html"' in index and 'href="audit.html"' in index
    audit = (run / "audit.html").read_text()
    assert "Thames Valley" in audit and "Cambridgeshire" in audit and "no_reply" in audit
    listing = (out / "reports" / "index.html").read_text()
    assert 'href="run-sample/index.html"' in listing and "published" in listing
    assert json.loads((run / "report.json").read_text())["status"] == "published"


def local_references(text: str) -> list[str]:
    urls = [m[1] for m in re.finditer(r"""<(?:script|link|img)\b[^>]*?(?:src|href)=["']([^"'#]+)["']""", text)]
    return [u.split("?")[0] for u in urls if not re.match(r"[a-z]+:", u)]


def test_gx_results_are_kept_per_yaml_suite_with_the_checks_unchanged():
    """The comparisons of a suite are one GX run each; the kept results say so, and the
    checks are what validate() returns without keeping anything."""
    from test_quality import clean_tables

    suites = [s for s in quality.load_suites() if s.name in ("reconciliation", "force_year_totals")]
    kept: list[quality.GxValidation] = []
    with_kept = quality.validate(clean_tables(), suites, gx_validations=kept)
    assert with_kept == quality.validate(clean_tables(), suites)
    runs = {k.suite: k.runs for k in kept}
    assert set(runs) == {"reconciliation", "force_year_totals"} and len(runs["reconciliation"]) == 3
    assert sum(len(r.results) for k in kept for r in k.runs) == len(with_kept)
    [compared] = runs["reconciliation"][0].results  # GX saw the sides under their own names
    assert compared.expectation_config.kwargs["column_A"] == "headline_figures.offences"
    assert compared.expectation_config.kwargs["column_B"] == "sum(force_year_totals.offences)"


def test_without_the_vendor_folder_the_report_is_written_and_says_styles_are_unavailable(sample, tmp_path):
    _, checks, kept, out = sample
    built = report.build_report(tmp_path / "reports", run_id="run-bare", status="published",
                                warehouse_file=out / "foi.duckdb", checks=checks, validations=kept,
                                vendor=tmp_path / "no-node-modules")
    assert built.problems == [assets.STYLES_MISSING]
    assert "Styles unavailable" in built.index.read_text()
    assert not (built.index.parent / "assets").exists()
    for page in (built.index.parent / "data_docs").rglob("*.html"):
        text = page.read_text()
        assert "Styles unavailable" in text and assets.remote_references(text) == [], page
    assert "Styles unavailable" in (tmp_path / "reports" / "index.html").read_text()


def test_a_part_that_fails_is_named_on_the_report(sample, tmp_path):
    _, checks, kept, _ = sample
    built = report.build_report(tmp_path, run_id="run-x", status="blocked",
                                warehouse_file=tmp_path / "missing.duckdb", checks=checks, validations=kept,
                                blocked_reasons=["a reason"])
    [problem] = built.problems
    assert "audit could not be read" in problem
    text = built.index.read_text()
    assert "This report is incomplete" in text and "a reason" in text and "blocked" in text


def test_importing_the_report_and_light_commands_do_not_import_gx(sample):
    """`foi audit`, `foi explain` and `import flows.report` answer without GX's seconds."""
    *_, out = sample
    code = (
        "import sys, flows.report, flows.report.assets; from flows.cli import main;"
        "main(['audit', '--warehouse', sys.argv[1]]);"
        "main(['explain', '--year', '2016/17', '--warehouse', sys.argv[1]]);"
        "print('GX', 'great_expectations' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(out / "foi.duckdb")],
                          capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert "Thames Valley" in done.stdout and done.stdout.rstrip().endswith("GX False")


# --- the real flow ---------------------------------------------------------------------

# A suite the run fails on purpose, whose failing rows name their files.
STRICT_RETURNS = """
suite: strict_returns
table: returns
identify_rows_by: [path]
expectations:
  - expectation: expect_column_values_to_be_in_set
    kwargs: {column: status, value_set: [quarantined]}
    severity: critical
    why: A test's stand-in for a check the data fails.
    says: "{count} files are not quarantined: {examples}"
    do: Nothing; the test's own suite blocks on purpose.
"""


@pytest.fixture(scope="module")
def flow_runs(tmp_path_factory, prefect_harness):
    """`foi refresh` twice: a run blocked by a suite of the test's own, whose file names
    carry markup, and a good run whose report cannot be written (a file stands where its
    folder should be)."""
    import contextlib
    import io

    from flows.cli import main

    from flows import SCHEMAS

    root = tmp_path_factory.mktemp("flow")
    raw = root / "raw" / "2017-report-test"
    (raw / "TVP").mkdir(parents=True)
    (raw / "TVP" / f"{HOSTILE}.csv").write_text(
        "Financial Year,Offence,Victim Age,Number of Offences\n2016/17,88A - Sexual grooming,13,12\n")
    strict = root / "schemas" / "expectations"
    shutil.copytree(SCHEMAS / "expectations", strict)
    for reference in SCHEMAS.glob("*.csv"):
        shutil.copy(reference, strict.parent)
    (strict / "strict_returns.yaml").write_text(STRICT_RETURNS)

    runs = {}
    for name, options in (("blocked", ["--expectations", str(strict)]), ("no_report", [])):
        home = root / name
        home.mkdir()
        if name == "no_report":
            (home / "reports").write_text("a file where the reports folder goes")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["refresh", "--raw", str(raw.parent), "--warehouse", str(home / "foi.duckdb"), *options])
        [log] = (home / "runs").glob("*.json")
        runs[name] = (code, out.getvalue(), json.loads(log.read_text()), home)
    return runs


def test_a_blocked_run_reports_why_and_the_cli_prints_where(flow_runs):
    code, out, log, home = flow_runs["blocked"]
    assert code == 1 and "PUBLICATION BLOCKED" in out
    assert not (home / "foi.duckdb").exists()
    index = Path(log["report"])
    assert index.parent.parent == home / "reports" and index.parent.name == log["run_id"]
    assert f"Report: {index}" in out and log["report_problems"] == []
    text = index.read_text()
    assert 'id="status" class="badge badge-danger">blocked<' in text
    assert "strict_returns: " in text and " files are not quarantined: " in text and "What to do: " in text
    assert "expect_column_values_to_be_in_set on status" not in text.split('id="warnings"')[0]
    assert str(escape(HOSTILE)) in text and HOSTILE not in text
    assert HOSTILE not in (index.parent / "audit.html").read_text()
    assert (index.parent / "data_docs" / "index.html").is_file()
    listing = (home / "reports" / "index.html").read_text()
    assert log["run_id"] in listing and "blocked" in listing


def test_a_report_that_cannot_be_written_does_not_stop_publication(flow_runs):
    code, out, log, home = flow_runs["no_report"]
    assert code == 0 and (home / "foi.duckdb").exists() and log["status"] == "published"
    assert log["report"] is None and "run report could not be written" in log["report_problems"][0]
    assert "Report NOT written: the run report could not be written" in out
    assert (home / "reports").is_file()


# --- in a browser ------------------------------------------------------------------------

_RECORDER = """<script>window.__foi={loaded:[],failed:[]};
['load','error'].forEach(function(kind){document.addEventListener(kind,function(e){var t=e.target;
var url=t&&t!==document&&(t.src||t.href);if(url){__foi[kind==='load'?'loaded':'failed'].push(url);}
else if(kind==='error'&&t!==document){__foi.failed.push(String(t&&t.tagName));}},true);});
</script>"""
_PROBE = """<script>
window.addEventListener('load', function () {
  document.fonts.ready.then(function () {
    function style(selector, props) {
      var el = document.querySelector(selector); if (!el) return null;
      var cs = getComputedStyle(el), out = {};
      props.forEach(function (p) { out[p] = cs.getPropertyValue(p); });
      return out;
    }
    var probe = {
      body: style('body', ['font-family', 'margin-top']),
      navbar: style('.navbar', ['display', 'padding-top']),
      table: style('table.table', ['border-collapse']),
      cell: style('table.table td', ['padding-top', 'border-top-style']),
      icon: style('i.fas, i.far, i.fa', ['font-family']),
      fontAwesome: Array.from(document.fonts).some(function (f) {
        return f.family.replace(/"/g, '') === 'Font Awesome 6 Free' && f.status === 'loaded'; }),
      fontErrors: Array.from(document.fonts).filter(function (f) { return f.status === 'error'; })
        .map(function (f) { return f.family; }),
      timed: performance.getEntriesByType('resource').map(function (r) { return r.name; }),
      loaded: __foi.loaded, failed: __foi.failed,
      sheets: Array.from(document.querySelectorAll('link[rel=stylesheet]')).map(function (l) { return !!l.sheet; }),
      pwned: document.getElementById('pwned') !== null,
      text: document.body.innerText,
    };
    var pre = document.createElement('pre'); pre.id = 'foi-probe'; pre.textContent = JSON.stringify(probe);
    document.body.appendChild(pre);
  });
});
</script>"""


def probe(page: Path) -> dict:
    """Render a copy of `page` (beside it, so its relative links hold) with no network."""
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"(<head\b[^>]*>)", lambda m: m[1] + _RECORDER, text, count=1, flags=re.I)
    text = re.sub(r"(</body>)", lambda m: _PROBE + m[1], text, count=1, flags=re.I)
    copy = page.with_name(page.stem + ".probe.html")
    copy.write_text(text, encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
             "--virtual-time-budget=10000", "--dump-dom", copy.resolve().as_uri()],
            capture_output=True, text=True, timeout=90)
    copy.unlink()
    found = re.search(r'<pre id="foi-probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no probe output from {page}: {done.stderr[-2000:]}"
    return json.loads(html.unescape(found[1]))


def probes(*pages: Path) -> list[dict]:
    """Several pages at once: each Chromium mostly waits, and there are two cores."""
    with ThreadPoolExecutor(max_workers=len(pages)) as pool:
        return list(pool.map(probe, pages))


def assert_styled(p: dict, icons: bool = False) -> None:
    """Bootstrap applied (its font stack, a flex navbar, collapsed tables with ruled,
    padded cells: .75rem, or .3rem when small) and every resource loaded from the
    report's own files."""
    assert p["body"]["font-family"].startswith("-apple-system"), p["body"]
    assert p["body"]["margin-top"] == "0px"
    assert p["navbar"]["display"] == "flex", p["navbar"]
    assert p["table"] == {"border-collapse": "collapse"}, p["table"]
    assert p["cell"] in ({"padding-top": "12px", "border-top-style": "solid"},
                         {"padding-top": "4.8px", "border-top-style": "solid"}), p["cell"]
    assert p["failed"] == [] and p["fontErrors"] == [], (p["failed"], p["fontErrors"])
    assert p["sheets"] and all(p["sheets"]), "a stylesheet did not load"
    assert p["loaded"] and all(u.startswith("file://") for u in p["loaded"]), p["loaded"]
    assert all(u.startswith("file://") for u in p["timed"]), p["timed"]
    if icons:
        assert p["icon"]["font-family"] == '"Font Awesome 6 Free"' and p["fontAwesome"], p["icon"]


@needs_chromium
def test_data_docs_and_audit_render_styled_offline(sample):
    built, *_ = sample
    run = built.index.parent
    docs, offences, audit, index = probes(
        run / "data_docs" / "index.html", suite_page(built, "offences"), run / "audit.html", built.index)
    for p in (docs, offences, audit, index):
        assert_styled(p)
    assert_styled(offences, icons=True)
    assert all(suite in docs["text"] for suite in SUITES)
    assert "offences" in offences["text"] and "financial_year" in offences["text"]
    assert any(u.endswith("jquery.min.js") for u in offences["loaded"])
    assert any(u.endswith("bootstrap/dist/css/bootstrap.min.css") for u in offences["loaded"])
    assert "Thames Valley" in audit["text"] and "Cambridgeshire" in audit["text"]
    assert "published" in index["text"] and "reconciliation" in index["text"]


@needs_chromium
def test_without_the_vendored_assets_the_same_pages_render_unstyled(sample, tmp_path):
    """The style assertions can fail: take the assets away and they do."""
    built, *_ = sample
    bare = tmp_path / "run-sample"
    shutil.copytree(built.index.parent, bare)
    shutil.rmtree(bare / "assets")
    offences = next((bare / "data_docs" / "validations" / "offences").rglob("*.html"))
    docs, index = probes(offences, bare / "index.html")
    for p in (docs, index):
        with pytest.raises(AssertionError):
            assert_styled(p)
        assert not p["body"]["font-family"].startswith("-apple-system")
        assert p["navbar"]["display"] == "block"
        assert p["failed"] and all(u.startswith("file://") for u in p["failed"])
    assert not docs["fontAwesome"]


@needs_chromium
def test_markup_from_replies_is_shown_as_text_never_run(flow_runs, tmp_path):
    """File names in our pages, and failing values in GX's Data Docs, are escaped."""
    from test_quality import clean_tables

    tables = clean_tables()
    tables["offences"].loc[0, "force_code"] = HOSTILE
    kept: list[quality.GxValidation] = []
    quality.validate(tables, [s for s in quality.load_suites() if s.name == "offences"], kept)
    docs = data_docs.build(tmp_path / "data_docs", kept, "run-hostile")
    assets.copy_assets(tmp_path / "assets")
    assets.rewrite_site(tmp_path / "data_docs", tmp_path / "assets")
    index = Path(flow_runs["blocked"][2]["report"])
    gx_page, audit, run_page = probes(docs.suite_pages["offences"], index.parent / "audit.html", index)
    for p in (gx_page, audit, run_page):
        assert not p["pwned"] and HOSTILE in p["text"]
        assert_styled(p)
    assert "blocked" in run_page["text"]
