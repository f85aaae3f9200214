"""The headline report (flows/headline.py): real replies read by the real pipeline pieces
(discover -> read_reply -> build_facts -> warehouse.build) into a real DuckDB file, the
report built from it, and the page rendered in Debian's headless Chromium with every
network fetch made to fail (as tests/test_report.py does)."""
from __future__ import annotations

import html
import json
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest

from flows import DEFAULT_RAW
from flows.headline import CHART_IDS, build_headline_report, md_escape

from builders import build_warehouse

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is absent (`make test` installs Debian's chromium)")
RUN_ID = "20170401T090000Z-sample"
STARTED = datetime(2017, 4, 1, 9, 0, tzinfo=timezone.utc)
HOSTILE = '<i id="pwned">reply'


def build(raw: Path, db: Path, run_id: str) -> None:
    """raw/ -> a published-style warehouse file, with its run row, as the refresh builds it."""
    build_warehouse(raw, db, run={"run_id": run_id, "started_at": STARTED, "code_version": "test",
                                  "raw_dir": str(raw)})


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The bundled sample round's warehouse, a run report beside it, and the headline report."""
    root = tmp_path_factory.mktemp("headline")
    db = root / "foi.duckdb"
    build(DEFAULT_RAW, db, RUN_ID)
    run_report = root / "reports" / RUN_ID / "index.html"
    run_report.parent.mkdir(parents=True)
    run_report.write_text("<!DOCTYPE html><title>run report</title>", encoding="utf-8")
    html_path, md_path = build_headline_report(db, root / "reports" / RUN_ID, run_report=run_report)
    return root, html_path, md_path


def text_of(fragment: str) -> str:
    """The words of an HTML fragment, as a reader sees them."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def row(page: str, key: str, year: str) -> str:
    found = re.search(rf'<tr id="{key}-{year.replace("/", "-")}">(.*?)</tr>', page, re.S)
    assert found, (key, year)
    return text_of(found[1])


def md_row(md: str, label: str, section: str) -> str:
    """The Markdown table row `| label | ... |` under the heading `### section`."""
    part = md.split(f"### {section}\n", 1)[1].split("\n### ", 1)[0]
    [line] = [ln for ln in part.splitlines() if ln.startswith(f"| {label} |")]
    return line


def test_the_page_and_the_markdown_are_written_where_asked(sample):
    root, html_path, md_path = sample
    assert html_path == root / "reports" / RUN_ID / "headline.html" and html_path.is_file()
    assert md_path == root / "reports" / RUN_ID / "headline.md" and md_path.is_file()
    assert not list(html_path.parent.glob(".*.part"))  # written beside and renamed into place


def test_the_headline_figures_each_with_its_caveat(sample):
    _, html_path, _ = sample
    page = html_path.read_text(encoding="utf-8")
    assert row(page, "offences", "2016/17").startswith("Offences recorded 5,653 ")
    assert row(page, "offences", "2015/16").startswith("Offences recorded 3,903 ")
    # the range suppression leaves, and that a suppressed count is not a 0
    assert "between 5,653 and 5,793" in row(page, "offences", "2016/17")
    assert "between 3,903 and 4,111" in row(page, "offences", "2015/16")
    assert "never counted as 0" in row(page, "offences", "2016/17")
    # how many of the 43 forces gave data, and why the others are missing
    forces_17, forces_16 = row(page, "forces", "2016/17"), row(page, "forces", "2015/16")
    assert "40 of 43 forces" in forces_17 and "39 of 43 forces" in forces_16
    for caveat in (forces_17, forces_16):
        assert re.search(r"refused: Gloucestershire \(section 40[^)]*\), North Yorkshire \(section 12[^)]*\)", caveat)
        assert "did not reply: Cambridgeshire" in caveat
    assert "Leicestershire" in forces_16 and "Leicestershire" not in forces_17  # it gave 2016/17 only
    # the change as published beside the like-for-like change over the matched forces
    assert "+44.8%" in row(page, "pct_change", "2016/17")
    like = row(page, "like_for_like", "2016/17")
    assert "+42.9%" in like and "39 forces" in like
    assert "15.5 a day" in row(page, "per_day", "2016/17") and "10.7 a day" in row(page, "per_day", "2015/16")
    assert "365 days" in row(page, "per_day", "2016/17") and "366 days" in row(page, "per_day", "2015/16")
    modal = row(page, "modal_age", "2016/17")
    assert "13 (257 offences)" in modal and "12 of 43 forces" in modal
    assert "94" in row(page, "aged_10_and_under", "2016/17") and "up to 134" in row(page, "aged_10_and_under", "2016/17")
    assert row(page, "youngest_age", "2016/17").startswith("Youngest victim age 3 ")
    assert "restated" not in page.lower()  # one round: nothing restated
    summary = text_of(re.search(r'id="year-2016-17">(.*?)</table>', page, re.S)[1])
    assert "2016/17: 5,653 offences from 40 of 43 forces, 15.5 a day, +44.8% on 2015/16 (+42.9% like for like)" in summary


def test_the_responses_table_and_the_run(sample):
    root, html_path, _ = sample
    page = html_path.read_text(encoding="utf-8")
    table = re.search(r'id="responses".*?<tbody>(.*?)</tbody>', page, re.S)[1]
    rows = [text_of(r) for r in re.findall(r"<tr\b.*?</tr>", table, re.S)]
    assert len(rows) == 43

    def force(name: str) -> str:
        [found] = [r for r in rows if r.startswith(name + " ")]
        return found

    assert force("Gloucestershire").startswith("Gloucestershire refused section 40")
    assert "ask for counts with small numbers suppressed" in force("Gloucestershire")
    assert force("North Yorkshire").startswith("North Yorkshire refused section 12")
    assert "narrower request" in force("North Yorkshire")
    assert force("Cambridgeshire") == "Cambridgeshire no reply no reply"
    assert force("Leicestershire") == "Leicestershire gave some figures 2016/17 gave 2016/17 only; 2015/16 was asked for"
    assert force("Thames Valley") == "Thames Valley gave figures 2015/16, 2016/17"
    header = text_of(re.search(r'<header>(.*?)</header>', page, re.S)[1])
    assert f"Published by run {RUN_ID} on " in header
    # the run report, linked relative to the page (its folder is the run's own)
    assert 'href="index.html"' in page


def test_the_markdown_has_the_same_figures(sample):
    _, _, md_path = sample
    md = md_path.read_text(encoding="utf-8")
    assert "| Offences recorded | 5,653 |" in md_row(md, "Offences recorded", "2016/17")
    assert "| Offences recorded | 3,903 |" in md_row(md, "Offences recorded", "2015/16")
    assert "between 5,653 and 5,793" in md_row(md, "Offences recorded", "2016/17")
    assert "| 40 of 43 forces |" in md_row(md, "Forces with data", "2016/17")
    forces_16 = md_row(md, "Forces with data", "2015/16")
    assert "| 39 of 43 forces |" in forces_16 and "did not reply: Cambridgeshire" in forces_16
    assert re.search(r"Gloucestershire \(section 40[^)]*\), North Yorkshire \(section 12", forces_16)
    assert "| +44.8% |" in md_row(md, "Change on 2015/16 (as published)", "2016/17")
    assert "| +42.9% |" in md_row(md, "Like-for-like change", "2016/17")
    assert "| 15.5 a day |" in md_row(md, "Offences a day", "2016/17")
    assert "| Gloucestershire | refused | section 40" in md
    assert "| Cambridgeshire | no reply |" in md
    assert f"Published by run {RUN_ID} on " in md
    # the charts' figures, as tables
    assert "| Metropolitan Police | 1,020 |" in md and "| 13 | 257 |" in md
    assert md.count("| Offences recorded |") == 2


def test_nothing_is_loaded_from_the_network(sample):
    _, html_path, md_path = sample
    page = html_path.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe|object|embed|video|audio|source)\b", page, re.I)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?(?!#)", page)
    assert "http://" not in page and "https://" not in page
    assert "http://" not in md_path.read_text(encoding="utf-8")
    for chart in CHART_IDS:  # each chart an inline SVG with its own accessible name
        figure = re.search(rf'<figure class="chart" id="{chart}"[^>]*>(.*?)</figure>', page, re.S)[1]
        assert re.search(rf'<svg [^>]*role="img"[^>]*aria-labelledby="{chart}-title {chart}-desc"', figure)
        assert re.search(rf'<title id="{chart}-title">[^<]+</title>', figure)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # the charts' own ids do not collide


# --- restatements, and text from replies -------------------------------------------


def csv_reply(*rows: tuple[str, str, int]) -> str:
    return "Year,Offence,Count\n" + "".join(f"{y},{o},{n}\n" for y, o, n in rows)


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory):
    """Kent restates 2015/16 (30 -> 33) in a later round; Essex sends a file with markup in
    its name and no figures."""
    root = tmp_path_factory.mktemp("headline-rounds")
    raw = root / "raw"
    replies = {
        "2017-online-offences": {
            "Kent": csv_reply(("2015/16", "Sexual grooming", 30), ("2016/17", "Sexual grooming", 40)),
            "TVP": csv_reply(("2015/16", "Sexual grooming", 10), ("2016/17", "Sexual grooming", 12)),
        },
        "2018-online-offences": {
            "Kent": csv_reply(("2015/16", "Sexual grooming", 33), ("2016/17", "Sexual grooming", 41),
                              ("2017/18", "Sexual grooming", 50)),
            "Dorset": csv_reply(("2016/17", "Sexual grooming", 5), ("2017/18", "Sexual grooming", 6)),
        },
    }
    for rnd, by_force in replies.items():
        for folder, text in by_force.items():
            (raw / rnd / folder).mkdir(parents=True)
            (raw / rnd / folder / "reply.csv").write_text(text, encoding="utf-8")
    (raw / "2017-online-offences" / "round.yaml").write_text("title: online offences\nyears: [2015/16, 2016/17]\n")
    (raw / "2018-online-offences" / "Essex").mkdir()
    (raw / "2018-online-offences" / "Essex" / f"{HOSTILE}.csv").write_text("Colour,Shape\nred,square\n")
    db = root / "foi.duckdb"
    build(raw, db, "run-two")
    return build_headline_report(db, root / "out")


def test_a_restated_baseline_shows_the_first_published_figure_beside_todays(two_rounds):
    html_path, md_path = two_rounds
    page = html_path.read_text(encoding="utf-8")
    restated = row(page, "restated", "2015/16")
    assert "First published as 40 (2 forces) by the round 2017-online-offences; today 43 (2 forces), +3" in restated
    assert row(page, "offences", "2015/16").startswith("Offences recorded 43 ")
    assert "First published as 40 (2 forces)" in md_path.read_text(encoding="utf-8")


def test_markup_from_replies_is_escaped_in_both(two_rounds):
    html_path, md_path = two_rounds
    page, md = html_path.read_text(encoding="utf-8"), md_path.read_text(encoding="utf-8")
    assert HOSTILE not in page and html.escape(HOSTILE) in page.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")
    assert HOSTILE not in md and md_escape(HOSTILE) in md  # \<i id="pwned"\>: shown, never markup
    assert "| 2018-online-offences | Essex | no figures that could be read |" in md


# --- in a browser ----------------------------------------------------------------------

_PROBE_HEAD = """<script>window.__foi={loaded:[],failed:[]};
['load','error'].forEach(function(kind){document.addEventListener(kind,function(e){var t=e.target;
var url=t&&t!==document&&(t.src||t.href);if(typeof url==='string'&&url){__foi[kind==='load'?'loaded':'failed'].push(url);}
else if(kind==='error'&&t!==document){__foi.failed.push(String(t&&t.tagName));}},true);});
</script>"""
_PROBE_BODY = """<script>
window.addEventListener('load', function () {
  var charts = {};
  %s.forEach(function (id) {
    var el = document.getElementById(id); if (!el) return;
    var svg = el.querySelector('svg'), r = (svg || el).getBoundingClientRect();
    charts[id] = {marks: el.querySelectorAll('svg path, svg rect').length, texts: Array.from(
      el.querySelectorAll('svg text')).map(function (t) { return t.textContent; }),
      x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height};
  });
  var pre = document.createElement('pre'); pre.id = 'foi-probe';
  pre.textContent = JSON.stringify({charts: charts, loaded: __foi.loaded, failed: __foi.failed,
    timed: performance.getEntriesByType('resource').map(function (e) { return e.name; }),
    pwned: document.getElementById('pwned') !== null, text: document.body.innerText});
  document.body.appendChild(pre);
});
</script>"""
WINDOW = (1200, 4200)


def chromium(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
             "--hide-scrollbars", f"--window-size={WINDOW[0]},{WINDOW[1]}", "--force-device-scale-factor=1",
             "--virtual-time-budget=5000", *args],
            capture_output=True, text=True, timeout=90)


def dump_dom(page: Path) -> tuple[str, dict]:
    """The DOM Chromium built from a copy of `page` with the probe scripts added."""
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"(<head\b[^>]*>)", lambda m: m[1] + _PROBE_HEAD, text, count=1)
    text = re.sub(r"(</body>)", lambda m: _PROBE_BODY % json.dumps(list(CHART_IDS)) + m[1], text, count=1)
    copy = page.with_name(page.stem + ".probe.html")
    copy.write_text(text, encoding="utf-8")
    try:
        done = chromium("--dump-dom", copy.resolve().as_uri())
    finally:
        copy.unlink()
    found = re.search(r'<pre id="foi-probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no probe output from {page}: {done.stderr[-2000:]}"
    return done.stdout, json.loads(html.unescape(found[1]))


def screenshot(page: Path, png: Path):
    from PIL import Image  # matplotlib's own dependency

    done = chromium(f"--screenshot={png}", page.resolve().as_uri())
    assert png.is_file(), done.stderr[-2000:]
    return Image.open(png).convert("L")


@pytest.fixture(scope="module")
def rendered(sample):
    root, html_path, _ = sample
    with ThreadPoolExecutor(max_workers=2) as pool:  # each Chromium mostly waits
        dom = pool.submit(dump_dom, html_path)
        shot = pool.submit(screenshot, html_path, root / "headline.png")
        return dom.result(), shot.result()


@needs_chromium
def test_each_chart_is_drawn_in_the_browser_with_nothing_loaded(rendered):
    (dom, probe), _ = rendered
    assert probe["failed"] == [] and probe["loaded"] == [] and probe["timed"] == [], probe
    minimum = {"chart-by-force": 40, "chart-by-age": 15, "chart-by-group": 8, "chart-changes": 39}  # bars
    for chart, bars in minimum.items():
        # in the DOM Chromium dumped: the chart's SVG, with more marks than it has bars
        figure = re.search(rf'<figure class="chart" id="{chart}"[^>]*>(.*?)</figure>', dom, re.S)
        assert figure, chart
        svg = re.search(r"<svg\b.*</svg>", figure[1], re.S)
        assert svg, chart
        marks = len(re.findall(r"<(?:path|rect)\b", svg[0]))
        assert marks > bars, (chart, marks)
        found = probe["charts"][chart]
        assert found["marks"] == marks and found["width"] > 600 and found["height"] > 200, found
    assert "Metropolitan Police" in probe["charts"]["chart-by-force"]["texts"]
    assert "1,020" in probe["charts"]["chart-by-force"]["texts"]
    assert "+44.8%" in probe["text"] and "40 of 43 forces" in probe["text"]
    assert not probe["pwned"]


@needs_chromium
def test_the_screenshot_shows_the_charts(rendered):
    (_, probe), image = rendered
    assert image.size == WINDOW
    values = image.getcolors(256)
    assert values and len(values) > 2  # not one blank colour
    box = probe["charts"]["chart-by-force"]
    top, bottom = int(box["y"]), min(int(box["y"] + box["height"]), WINDOW[1])
    assert bottom - top > 200, box  # the chart lies in the screenshot
    chart = image.crop((int(box["x"]), top, int(box["x"] + box["width"]), bottom))
    histogram = chart.histogram()
    dark = sum(histogram[:128]) / sum(histogram)
    assert dark > 0.05, dark  # its bars, drawn: a good share of the chart is dark grey or black
    assert sum(histogram[:250]) / sum(histogram) > dark  # and its text and edges anti-aliased, not flat
