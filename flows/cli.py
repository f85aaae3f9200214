"""`foi`: a thin command line over the library. The only module that prints.

Imports are made inside each command so that `foi headline` never pays for Prefect,
pandas or Great Expectations.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flows import DEFAULT_RAW, DEFAULT_WAREHOUSE, SAMPLE_ROUND

HEADLINE_COLUMNS = [
    ("financial_year", "year"),
    ("forces_with_data", "forces"),
    ("offences", "offences"),
    ("offences_upper", "upper bound"),
    ("previous_year_offences", "previous year"),
    ("pct_change", "change %"),
    ("matched_forces", "matched forces"),
    ("like_for_like_pct_change", "like-for-like %"),
    ("per_day", "per day"),
    ("modal_age", "modal age"),
    ("modal_age_offences", "at modal age"),
    ("aged_10_and_under", "aged 10 and under"),
    ("youngest_age", "youngest"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="foi", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("refresh", help="read every reply under --raw, validate, publish the warehouse")
    p.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="folder of rounds (default: raw/)")
    p.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="DuckDB file to publish")
    p.add_argument("--expectations", type=Path, default=None,
                   help="folder of expectation suites (default: schemas/expectations)")
    p.add_argument("--reviews", type=Path, default=None,
                   help="reviewers' decisions on replies (default: schemas/reviews.csv)")
    p.add_argument("--accept-shrink", action="store_true",
                   help="publish even if the new warehouse drops force-years the published one has, "
                        "or --raw holds no round (the shrink is reported as warnings, not blocked)")
    p.add_argument("--full", action="store_true",
                   help="read every file again and rebuild, even if nothing changed since the last publish")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="if another refresh of this warehouse is running, wait up to this long for it "
                        "(default: refuse at once)")
    p.add_argument("--runner", choices=["threads", "dask"], default=None,
                   help="what reads the files: threads of this process, or a Dask cluster "
                        "(default: $FOI_TASK_RUNNER, else threads; docs/operations.md)")
    p.add_argument("--dask-address", metavar="ADDRESS", default=None,
                   help="a running Dask scheduler to read on, e.g. tcp://10.0.0.5:8786 "
                        "(default: $FOI_DASK_ADDRESS; implies --runner dask)")
    p.add_argument("--dask-workers", type=int, metavar="N", default=None,
                   help="read on a local Dask cluster of N workers (default: $FOI_DASK_WORKERS, else "
                        "parallel_readers in schemas/limits.yaml; implies --runner dask)")
    p.add_argument("--quiet", action="store_true",
                   help="for scheduled runs: print only the outcome and the problems (no progress, "
                        "no headline table)")
    p.set_defaults(func=cmd_refresh)

    p = sub.add_parser("headline", help="print the headline figures from the warehouse")
    p.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    p.set_defaults(func=cmd_headline)

    p = sub.add_parser("audit", help="per force: files received, what became of them, figures loaded")
    p.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    p.add_argument("--force", help="a force's name, alias or code (as everywhere: 'glos', 'TVP', 'E23000012')")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("chase", help="the forces still to chase in a round, and why")
    p.add_argument("round", metavar="ROUND", help="a round's name, or a prefix only it starts with (e.g. 2017)")
    p.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    p.set_defaults(func=cmd_chase)

    p = sub.add_parser("explain", help="trace a figure to the files and cells it was added up from")
    p.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    p.add_argument("--year", required=True, help="financial year, e.g. 2016/17")
    p.add_argument("--force", help="a force's name, alias or code; without it, the headline by force")
    p.add_argument("--figure", choices=None, metavar="FIGURE",
                   help="a headline figure to trace: offences, offences_upper, forces_with_data, "
                        "previous_year_offences, pct_change, like_for_like_pct_change, matched_forces, "
                        "per_day, modal_age, modal_age_offences, aged_10_and_under, youngest_age")
    p.add_argument("--all", dest="all_cells", action="store_true", help="list every cell, not the first 50")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("simulate", help="write a synthetic FOI round into a raw folder")
    p.add_argument("--out", type=Path, default=DEFAULT_RAW, help="raw folder to write into")
    p.add_argument("--seed", type=int, default=2017)
    p.add_argument("--round", dest="round_name", default=SAMPLE_ROUND)
    p.add_argument("--scale", type=float, default=1.0, help="multiply volumes (benchmarks)")
    p.add_argument("--records", type=float, default=None,
                   help="share of data forces that send record-level lists (benchmarks)")
    p.add_argument("--rounds", type=int, default=1, help="write this many yearly rounds (benchmarks)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("serve", help="run the yearly refresh on its schedule (Prefect deployment)")
    p.add_argument("--raw", type=Path, default=DEFAULT_RAW)
    p.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("export", help="write the marts and offences as csv, xlsx or parquet, small counts withheld")
    p.add_argument("--format", dest="fmt", required=True, choices=["csv", "xlsx", "parquet"])
    p.add_argument("--out", type=Path, default=DEFAULT_WAREHOUSE.parent / "exports",
                   help="folder to write into (default: warehouse/exports)")
    p.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    p.add_argument("--table", dest="tables", action="extend", nargs="+", metavar="NAME",
                   help="only these tables (names or patterns like 'force_*'; default: every mart and offences)")
    p.add_argument("--rule", type=Path, default=None,
                   help="small-count disclosure rule (default: schemas/disclosure.yaml)")
    p.set_defaults(func=cmd_export)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `foi explain ... | head`: the reader has all it wanted
        sys.stderr.close()
        return 0


def cmd_refresh(args) -> int:
    if not args.raw.is_dir():
        print(f"foi refresh: no such folder: {args.raw}", file=sys.stderr)
        return 2
    if args.reviews is not None and not args.reviews.is_file():
        print(f"foi refresh: no such reviews file: {args.reviews}", file=sys.stderr)
        return 2
    from flows.locking import RefreshLocked
    from flows.runners import DaskWorkersUnfit, RunnerChoiceError, choose

    try:
        # importing flows.refresh chooses its flow's own runner from the environment
        from flows.refresh import run_refresh

        runner = choose(args.runner, args.dask_address, args.dask_workers)
    except RunnerChoiceError as exc:
        print(f"foi refresh: {exc}", file=sys.stderr)
        return 2
    from flows import incremental, preload

    if incremental.will_read(args.raw, args.warehouse, full=args.full, extra_files=[args.expectations, args.reviews]):
        preload.start()  # GX and matplotlib, on the core Prefect's server start leaves idle
    try:
        result = run_refresh(args.raw, args.warehouse, args.expectations, args.reviews,
                             accept_shrink=args.accept_shrink, full=args.full, lock_wait=args.wait,
                             task_runner=runner, progress=not args.quiet)
    except RefreshLocked as exc:
        print(f"foi refresh: {exc}", file=sys.stderr)
        return 3
    except DaskWorkersUnfit as exc:
        print(f"foi refresh: {exc}", file=sys.stderr)
        return 2
    print_refresh(result, quiet=args.quiet)
    return 0 if result.published else 1


def print_refresh(result, quiet: bool = False) -> None:
    """What a refresh did. `quiet` (scheduled runs): the outcome and the problems only."""
    s = result.summary
    if quiet:
        outcome = ("unchanged" if result.unchanged_since else "published" if result.published
                   else "PUBLICATION BLOCKED")
        print(f"Run {result.run_id}: {outcome}; {s['files']} files, {s['loaded_files']} loaded, "
              f"{len(s.get('forces_with_data', []))} of 43 forces with data")
        for row in s.get("not_loaded", []) if not result.unchanged_since else []:
            print(f"  [{row['status']}] {row['message'] or row['path']}")
        for problem in result.round_problems:
            print(f"  ! {problem}")
        for w in result.warnings:
            print(f"  warning: {w}")
        for reason in result.blocked_reasons:
            print(f"  blocked: {reason}")
        if result.report is not None:
            print(f"Report: {result.report}")
        return
    print(f"Run {result.run_id} over {result.raw_dir}")
    if result.unchanged_since:
        print(f"Nothing changed since run {result.unchanged_since}: no file read, nothing rebuilt; "
              f"{result.warehouse} is current ({s['files']} files, {s['loaded_files']} loaded). "
              "`foi refresh --full` reads and rebuilds everything.")
        return
    print(f"Files: {s['files']} received; {s['loaded_files']} loaded, "
          f"{s['files'] - s['loaded_files']} not loaded.")
    print(f"Forces with data: {len(s['forces_with_data'])} of 43; "
          + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(s['replies'].items()) if k != 'data'))
    for problem in result.round_problems:
        print(f"  ! {problem}")
    if s["not_loaded"]:
        print("\nFiles not loaded:")
        for row in s["not_loaded"]:
            print(f"  [{row['status']}] {row['message'] or row['path']}")
    if s["not_replied"]:
        print("\nNo reply: " + ", ".join(s["not_replied"]))
    if result.warnings:
        print("\nWarnings (published anyway):" if result.published else "\nWarnings:")
        for w in result.warnings:
            print(f"  - {w}")
    if not result.published:
        print("\nPUBLICATION BLOCKED: the previous warehouse is unchanged. Reasons:")
        for reason in result.blocked_reasons:
            print(f"  - {reason}")
        if result.shrink_blocked:
            print("If dropping these is intended, run again with --accept-shrink.")
        print_report(result)
        return
    print(f"\nPublished {result.warehouse}\n")
    print_headline(result.warehouse)
    print_report(result)


def print_report(result) -> None:
    """Where the run's report is, or why there is none: never an error of the run."""
    if result.report is None:
        print("\nReport NOT written: " + "; ".join(result.report_problems or ["no reason given"]))
        return
    print(f"\nReport: {result.report}")
    for problem in result.report_problems:
        print(f"  ! report incomplete: {problem}")


def cmd_headline(args) -> int:
    if not args.warehouse.exists():
        print(f"foi headline: no warehouse at {args.warehouse}; run `foi refresh` first", file=sys.stderr)
        return 2
    print_headline(args.warehouse)
    return 0


def print_headline(path: Path) -> None:
    from flows.warehouse import headline

    rows = headline(path)
    if not rows:
        print("No financial year has data.")
        return
    print("Headline figures")
    width = max(len(label) for _, label in HEADLINE_COLUMNS)
    for key, label in HEADLINE_COLUMNS:
        cells = [fmt(row.get(key), key) for row in rows]
        print(f"  {label:<{width}}  " + "  ".join(f"{c:>10}" for c in cells))


def fmt(value, key: str) -> str:
    if value is None:
        return "-"
    if key in ("pct_change", "like_for_like_pct_change"):
        return f"{value:+.1f}%"
    if key == "per_day":
        return f"{value:.1f}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,.0f}"
    return str(value)


def cmd_audit(args) -> int:
    if not args.warehouse.exists():
        print(f"foi audit: no warehouse at {args.warehouse}; run `foi refresh` first", file=sys.stderr)
        return 2
    from flows.warehouse import rows

    sql = "SELECT * FROM force_audit"
    params: list = []
    if args.force:
        force = _force(args.force, "audit")
        if force is None:
            return 2
        sql += " WHERE force_code = ?"
        params.append(force.code)
    found = rows(args.warehouse, sql + " ORDER BY round, force_name", params)
    if args.force and not found:
        print(f"foi audit: {force.name} ({force.code}) has no row in {args.warehouse}", file=sys.stderr)
        return 1
    for row in found:
        print(f"{row['force_name']} ({row['force_code']}, {row['round']}): {row['reply']}; "
              f"{row['files_received']} file(s), {row['files_loaded']} loaded, "
              f"{row['letters']} letter(s), {row['files_in_doubt']} in doubt")
        if row["figures_loaded"]:
            print(f"    figures: {row['figures_loaded']}")
        if row["messages"]:
            print(f"    {row['messages']}")
    return 0


def cmd_chase(args) -> int:
    if not args.warehouse.exists():
        print(f"foi chase: no warehouse at {args.warehouse}; run `foi refresh` first", file=sys.stderr)
        return 2
    from flows.responses import RoundNameError, to_chase

    try:
        round_name, forces = to_chase(args.warehouse, args.round)
    except RoundNameError as exc:
        print(f"foi chase: {exc}", file=sys.stderr)
        return 2
    if not forces:
        print(f"{round_name}: no forces to chase.")
        return 0
    print(f"{round_name}: {len(forces)} force(s) to chase")
    for row in forces:
        print(f"{row['force_name']}: {row['chase_reason']}")
    return 0


def cmd_explain(args) -> int:
    if not args.warehouse.exists():
        print(f"foi explain: no warehouse at {args.warehouse}; run `foi refresh` first", file=sys.stderr)
        return 2
    from flows.warehouse import rows

    if args.figure is not None:
        if args.force is not None:
            print("foi explain: --figure traces a headline figure (all forces); --force a force's total: "
                  "give one of them", file=sys.stderr)
            return 2
        from flows.explain import FigureError, explain

        try:
            explained = explain(args.warehouse, args.year, args.figure)
        except FigureError as exc:
            print(f"foi explain: {exc}", file=sys.stderr)
            return 2
        print(explained.text(max_sources=10**9 if args.all_cells else 50))
        return 0 if explained.reconciles else 1
    if args.force is None:
        found = rows(args.warehouse, "SELECT force_name, offences, suppressed_cells FROM force_year_totals "
                     "WHERE financial_year = ? ORDER BY offences DESC, force_name", [args.year])
        if not found:
            print(f"No figures for {args.year}.")
            return 1
        print(f"{args.year}: {sum(r['offences'] for r in found):,} offences from {len(found)} forces")
        for r in found:
            extra = f" (+{r['suppressed_cells']} suppressed cells)" if r["suppressed_cells"] else ""
            print(f"  {r['offences']:>7,}  {r['force_name']}{extra}")
        return 0
    force = _force(args.force, "explain")
    if force is None:
        return 2
    code = force.code
    cells = rows(args.warehouse, """
        SELECT round, path, source, coalesce(offence_code, offence_classes) AS offence_code, offence_as_written,
               victim_age_min, victim_age_max, offences, suppressed, offences_upper
        FROM current_offences
        WHERE force_code = ? AND financial_year = ? AND in_totals
        ORDER BY path, source""", [code, args.year])
    if not cells:
        print(f"No figures for {force.name} in {args.year}.")
        return 1
    known = sum(c["offences"] or 0 for c in cells)
    hidden = [c for c in cells if c["suppressed"]]
    print(f"{force.name} ({code}) {args.year}: {known:,} offences, the sum of {len(cells) - len(hidden)} known "
          f"counts" + (f"; {len(hidden)} suppressed cells (up to {sum(c['offences_upper'] for c in hidden)})"
                       f" are not added" if hidden else ""))
    for c in cells:
        age = ("" if c["victim_age_min"] is None else
               f" age {c['victim_age_min']}" + ("" if c["victim_age_max"] == c["victim_age_min"]
                                                else f"-{c['victim_age_max']}"))
        value = "suppressed" if c["suppressed"] else f"{c['offences']:,}"
        written = f" '{c['offence_as_written']}'" if c["offence_as_written"] else ""
        print(f"  {value:>10}  {c['path']} {c['source']}  {c['offence_code'] or ''}{written}{age}")
    return 0


def _force(wanted: str, command: str):
    """The force a command's --force means: its name, an alias (schemas/forces.csv) or
    its ONS code, as every command accepts them; None after saying why it means none."""
    from flows.forces import ForceNameError, by_code, match_force

    try:
        is_code = len(wanted) == 9 and wanted[0].upper() in "EW" and wanted[1:].isdigit()
        return by_code(wanted.upper()) if is_code else match_force(wanted)
    except KeyError:
        print(f"foi {command}: no police force has the code {wanted}", file=sys.stderr)
    except ForceNameError as exc:
        print(f"foi {command}: {exc}", file=sys.stderr)
    return None


def cmd_simulate(args) -> int:
    from flows.simulate import simulate_round, simulate_rounds

    if args.rounds > 1:
        truths = simulate_rounds(args.out, rounds=args.rounds, seed=args.seed, scale=args.scale,
                                 record_level_share=args.records)
    else:
        truths = [simulate_round(args.out, seed=args.seed, round_name=args.round_name, scale=args.scale,
                                 record_level_share=args.records)]
    for truth in truths:
        print(f"Wrote round {truth.round_name} under {args.out} (seed {args.seed}): {truth.summary()}")
    return 0


def cmd_serve(args) -> int:
    from flows.deployment import serve

    serve(args.raw.resolve(), args.warehouse.resolve())
    return 0


def cmd_export(args) -> int:
    if not args.warehouse.is_file():
        print(f"foi export: no warehouse at {args.warehouse}; run `foi refresh` first", file=sys.stderr)
        return 2
    if args.rule is not None and not args.rule.is_file():
        print(f"foi export: no such rule file: {args.rule}", file=sys.stderr)
        return 2
    from flows.disclosure import load_rule
    from flows.export import ExportError, export

    try:
        rule = load_rule(args.rule)
        written = export(args.warehouse, args.out, args.fmt, args.tables, rule)
    except (ExportError, ValueError) as exc:
        print(f"foi export: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
