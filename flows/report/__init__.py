"""Run reports: what a reviewer opens after each refresh, published or blocked.

warehouse/reports/<run_id>/
    index.html      the run: status, blocked reasons, warnings, checks by suite
    audit.html      the force_audit mart of the run's own (staged) warehouse file
    data_docs/      Great Expectations Data Docs of the run's validations
    assets/         the vendored CSS, JavaScript and fonts (assets.py): renders offline
    report.json     the run's line in warehouse/reports/index.html, every run newest first

Plain functions, no Prefect: flows/refresh.py calls `build_report` between validation
and publication (the staged file is read before it is published or discarded). Each
part that fails (Data Docs, the audit, the vendored styles) is named on the report
rather than stopping it. Text from replies (file names, messages, failing values) is
escaped. GX is imported only while Data Docs are built.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from flows.report import assets

if TYPE_CHECKING:
    from flows.quality import CheckResult, GxValidation, SuiteSpec

TEMPLATES = Path(__file__).resolve().parent / "templates"
ASSETS = "assets"
SUMMARY = "report.json"


@dataclass
class Report:
    index: Path
    problems: list[str] = field(default_factory=list)  # what the report could not show


def reports_dir(warehouse_path: Path | str) -> Path:
    """Reports live beside the warehouse they describe."""
    return Path(warehouse_path).resolve().parent / "reports"


def build_report(
    reports: Path,
    *,
    run_id: str,
    status: str,
    warehouse_file: Path,
    checks: list[CheckResult],
    validations: Iterable[GxValidation] = (),
    suites: Iterable[SuiteSpec] = (),
    blocked_reasons: Iterable[str] = (),
    warnings: Iterable[str] = (),
    round_problems: Iterable[str] = (),
    started_at: datetime | None = None,
    details: dict[str, Any] | None = None,
    vendor: Path = assets.NODE_MODULES,
    links: Iterable[tuple[str, str]] = (),
) -> Report:
    """Write the report of one run under `reports`/`run_id` and refresh the list of runs.

    `status` is 'published' or 'blocked'; `warehouse_file` is the run's DuckDB file (the
    staged one, before it is published or discarded); `details` are shown as label: value;
    `vendor` is where `npm ci` put the styles; `links`: (text, href relative to the run's
    folder) of other pages of the run, e.g. the headline report.
    """
    blocked_reasons, warnings, round_problems = list(blocked_reasons), list(warnings), list(round_problems)
    out = Path(reports) / run_id
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    styled = assets.copy_assets(out / ASSETS, source=vendor)
    if not styled:
        problems.append(assets.STYLES_MISSING)

    try:
        audit = read_audit(warehouse_file)
    except Exception as exc:  # the rest of the report still helps the reviewer
        audit = None
        problems.append(f"The per-force audit could not be read from {warehouse_file}: {_error(exc)}")

    docs = None
    try:
        from flows.report import data_docs

        docs = data_docs.build(out / "data_docs", list(validations), run_id, suites)
        left = assets.rewrite_site(out / "data_docs", out / ASSETS, styled)
        if left:
            problems.append("Data Docs still load files from the internet (a new GX template?): "
                            + "; ".join(left[:5]) + (" ..." if len(left) > 5 else ""))
    except Exception as exc:
        problems.append(f"The Data Docs could not be built: {_error(exc)}")

    index = out / "index.html"
    common = dict(run_id=run_id, status=status, styled=styled, home="../index.html",
                  bootstrap=f"{ASSETS}/{assets.BOOTSTRAP_CSS}", styles_notice=_notice())
    _write(out / "audit.html", "audit.html.j2", rows=audit, wide=True, **common)
    shown = {"started at": started_at} if started_at else {}
    shown.update(details or {})
    pages = {suite: assets.relative(page, index) for suite, page in docs.suite_pages.items()} if docs else {}
    _write(index, "run.html.j2", **common, details=[(k, _text(v)) for k, v in shown.items()],
           problems=problems, blocked_reasons=blocked_reasons, warnings=warnings,
           round_problems=round_problems, data_docs=assets.relative(docs.index, index) if docs else None,
           suites=_suite_rows(checks, pages), links=list(links))
    (out / SUMMARY).write_text(json.dumps({
        "run_id": run_id, "status": status, "started_at": _text(started_at) if started_at else None,
        "blocked": len(blocked_reasons), "warnings": len(warnings), "problems": problems,
    }, indent=2))
    write_runs_index(reports, vendor)
    return Report(index=index, problems=problems)


def write_runs_index(reports: Path, vendor: Path = assets.NODE_MODULES) -> Path:
    """reports/index.html: every run that left a report, newest first."""
    reports = Path(reports)
    runs = []
    for summary in reports.glob(f"*/{SUMMARY}"):
        try:
            record = json.loads(summary.read_text())
        except (OSError, ValueError):
            continue  # a report being written, or damaged: listed once it is whole
        runs.append({**record, "href": f"{summary.parent.name}/index.html"})
    runs.sort(key=lambda r: (r.get("started_at") or "", r.get("run_id") or ""), reverse=True)
    styled = assets.copy_assets(reports / ASSETS, [assets.BOOTSTRAP_CSS], source=vendor)
    path = reports / "index.html"
    _write(path, "runs.html.j2", runs=runs, styled=styled, home="index.html",
           bootstrap=f"{ASSETS}/{assets.BOOTSTRAP_CSS}", styles_notice=_notice())
    return path


def read_audit(warehouse_file: Path) -> list[dict]:
    """The force_audit mart, a row per force and round (read-only)."""
    from flows.warehouse import rows

    return rows(warehouse_file, "SELECT * FROM force_audit ORDER BY force_name, round")


def _suite_rows(checks: list[CheckResult], pages: dict[str, str]) -> list[dict]:
    by_suite: dict[str, dict] = {}
    for c in checks:
        row = by_suite.setdefault(c.suite, {"name": c.suite, "checks": 0, "passed": 0, "critical": 0,
                                            "warnings": 0, "page": pages.get(c.suite)})
        row["checks"] += 1
        row["passed"] += bool(c.success)
        if not c.success:
            row["critical" if c.severity == "critical" else "warnings"] += 1
    return sorted(by_suite.values(), key=lambda r: (-r["critical"], -r["warnings"], r["name"]))


def _write(path: Path, template: str, **context: Any) -> None:
    path.write_text(_environment().get_template(template).render(**context), encoding="utf-8")


_env = None


def _environment():
    """Jinja with autoescaping on for every template: file names and messages come
    from untrusted replies."""
    global _env
    if _env is None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined

        _env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    return _env


def _notice():
    from markupsafe import Markup

    return Markup(assets.notice_html())


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
