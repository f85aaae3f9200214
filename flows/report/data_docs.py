"""Great Expectations Data Docs for one run, built by GX's own site builder.

quality.validate keeps GX's results (quality.GxValidation); here they go into a fresh
ephemeral context whose only Data Docs site is a folder of the run's report, one
expectation suite and one validation page per YAML suite (a suite of cross-table
comparisons runs one GX validation per comparison: they are shown as one).

Two things are done to GX's results on the way:
- failing values are HTML-escaped: Data Docs put them into table cells as raw HTML, and
  they come from untrusted replies;
- the expectations' `why` and severity become the suite's notes, which Data Docs show.

GX is imported inside `build`, never at import (it costs seconds).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from flows.quality import GxValidation, SuiteSpec, quiet_context

SITE = "run_report"


@dataclass
class DataDocs:
    index: Path
    suite_pages: dict[str, Path] = field(default_factory=dict)  # suite -> its validation page


def build(
    out: Path, validations: Iterable[GxValidation], run_name: str, suites: Iterable[SuiteSpec] = ()
) -> DataDocs:
    """Write the Data Docs site for `validations` under `out` (index.html at its top).
    `suites` (the YAML specs) supply each expectation's why and severity as notes."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    out = Path(out).resolve()
    context = quiet_context()
    context.add_data_docs_site(SITE, {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "show_cta_footer": False},
    })
    specs = {s.name: s for s in suites}
    keys = {}
    for validation in validations:
        result = _merged(validation, run_name)
        suite = gx.ExpectationSuite(
            name=validation.suite,
            expectations=[r.expectation_config for r in result.results],
            notes=_notes(specs.get(validation.suite)),
        )
        context.suites.add(suite)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=validation.suite),
            run_id=RunIdentifier(run_name=run_name, run_time=result.meta["run_id"].run_time),
            batch_identifier=validation.suite,
        )
        context.validation_results_store.set(key, result)
        keys[validation.suite] = key
    context.build_data_docs(site_names=[SITE])
    pages = {}
    for suite, key in keys.items():
        [url] = [u["site_url"] for u in context.get_docs_sites_urls(resource_identifier=key, site_name=SITE)]
        pages[suite] = _path(url)
    return DataDocs(index=out / "index.html", suite_pages=pages)


def _merged(validation: GxValidation, run_name: str) -> Any:
    """One ExpectationSuiteValidationResult for the YAML suite, in the order it was
    written, named after it, with every value from the data escaped for HTML."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.validator.validation_statistics import calc_validation_statistics

    results = []
    for run in validation.runs:
        for r in sorted(run.results, key=lambda r: r.expectation_config.meta.get("n", 0)):
            results.append(ExpectationValidationResult(
                success=r.success, expectation_config=r.expectation_config,
                result=_escaped(r.result), meta=_escaped(r.meta),
                exception_info=_escaped(r.exception_info),
            ))
    first = validation.runs[0].meta
    meta = {
        **first,
        "run_id": RunIdentifier(run_name=run_name, run_time=first["run_id"].run_time),
        # shown as the page's "Data asset": the tables the suite read
        "batch_spec": {**dict(first.get("batch_spec") or {}), "data_asset_name": ", ".join(validation.tables)},
    }
    stats = calc_validation_statistics(results)
    return ExpectationSuiteValidationResult(
        success=stats.success, results=results, suite_name=validation.suite,
        statistics=stats._asdict(), meta=meta,
    )


def _escaped(value: Any) -> Any:
    """Strings HTML-escaped at any depth. Data Docs' template parameters are escaped by
    GX, but table cells (the unexpected values) are not; a value shown escaped twice
    reads `&amp;` at worst, a value not escaped runs as HTML."""
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_escaped(v) for v in value)
    return value


def _notes(spec: SuiteSpec | None) -> list[str] | None:
    """Each expectation's severity and why, in the order the YAML gives them."""
    if spec is None:
        return None
    lines = [f"Rules from {spec.path.name if spec.path else spec.name}"
             + (f", on table {spec.table}" if spec.table else "") + ":"]
    for n, e in enumerate(spec.expectations, start=1):
        lines.append(f"{n}. `{e.name}` on `{e.column or 'the table'}` (**{e.severity}**): {e.why}")
    return lines


def _path(url: str) -> Path:
    from urllib.parse import unquote, urlsplit

    return Path(unquote(urlsplit(url).path))
