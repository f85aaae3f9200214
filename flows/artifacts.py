"""What a refresh attaches to its Prefect flow run, for the team to see in the Prefect UI:
the headline table (a table artifact) and the quality summary (a markdown artifact).

Plain functions build the contents (tests call them without Prefect); `attach` hands
them to Prefect inside a flow run. Keys are fixed, so the UI's Artifacts page keeps each
one's history across yearly runs.
"""
from __future__ import annotations

from pathlib import Path

HEADLINE_KEY = "headline-figures"
QUALITY_KEY = "quality-summary"

# headline_figures columns as the table artifact shows them, in a press release's order
_HEADLINE_COLUMNS = (
    ("financial_year", "year"), ("offences", "offences"), ("offences_upper", "up to (suppressed)"),
    ("forces_with_data", "forces with data"), ("pct_change", "change %"),
    ("like_for_like_pct_change", "like-for-like %"), ("per_day", "a day"), ("modal_age", "modal age"),
    ("modal_age_offences", "at modal age"), ("aged_10_and_under", "aged 10 and under"),
    ("youngest_age", "youngest"),
)


def headline_table(warehouse: Path | str) -> list[dict]:
    """A row per financial year of headline_figures, values formatted as published."""
    from flows.warehouse import rows

    out = []
    for r in rows(warehouse, "SELECT * FROM headline_figures ORDER BY financial_year"):
        row = {}
        for column, title in _HEADLINE_COLUMNS:
            v = r.get(column)
            if v is None:
                row[title] = "-"
            elif column.endswith("pct_change"):
                row[title] = f"{v:+.1f}%"
            elif column == "per_day":
                row[title] = f"{v:.1f}"
            elif isinstance(v, int):
                row[title] = f"{v:,}"
            else:
                row[title] = str(v)
        out.append(row)
    return out


def quality_markdown(*, run_id: str, published: bool, blocked: list[str], warnings: list[str],
                     checks_run: int, summary: dict, report: Path | None = None) -> str:
    """The run's quality summary: published or blocked and why, each warning, and the
    forces loaded, in the words the run report uses. Text from replies (file names,
    messages) is escaped as the headline report's Markdown is (flows.headline.md_escape)."""
    from flows.headline import md_escape as _md

    lines = [f"# Refresh {run_id}: {'published' if published else 'NOT published'}", ""]
    lines.append(f"{checks_run} checks ran; {len(blocked)} blocked publication, {len(warnings)} warnings.")
    lines.append(f"- files: {summary.get('files', 0)} received, {summary.get('loaded_files', 0)} loaded")
    lines.append(f"- forces with data (latest round): {len(summary.get('forces_with_data', []))} of 43")
    if summary.get("not_replied"):
        lines.append(f"- no reply: {_md(', '.join(summary['not_replied']))}")
    for row in summary.get("not_loaded", [])[:50]:
        lines.append(f"- not loaded: {_md(str(row.get('path')))} ({row.get('status')}): {_md(str(row.get('message') or ''))}")
    if blocked:
        lines += ["", "## Blocked publication", ""] + [f"- {_md(b)}" for b in blocked]
    if warnings:
        lines += ["", "## Warnings", ""] + [f"- {_md(w)}" for w in warnings]
    if report is not None:
        lines += ["", f"Run report: `{report}`"]
    return "\n".join(lines) + "\n"


def attach(warehouse: Path | str | None, markdown: str) -> None:
    """Inside a flow run: the headline table (when a warehouse is published) and the
    quality summary, as Prefect artifacts of this run."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    if warehouse is not None and Path(warehouse).is_file():
        table = headline_table(warehouse)
        if table:
            create_table_artifact(table=table, key=HEADLINE_KEY,
                                  description="The headline figures this refresh published (headline_figures).")
    create_markdown_artifact(markdown=markdown, key=QUALITY_KEY,
                             description="What the checks found: blocked publication, warnings, forces loaded.")
