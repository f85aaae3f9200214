"""A small real warehouse for the export tests: counts that the disclosure rule must
withhold, counts it must not, a suppressed cell, a nil return and reply text planted
with spreadsheet formulas. Built with flows.warehouse.build (the real DDL and marts)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from flows import warehouse
from flows.warehouse import FORCE_REPLIES_COLUMNS, OFFENCES_COLUMNS, RETURNS_COLUMNS, STATED_TOTALS_COLUMNS

TVP, KENT, GWENT, DURHAM = "E23000029", "E23000032", "W15000002", "E23000008"
ROUND = "2017-request"
RUN_ID = "run-export-test-42"
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2+3", "\t=1+1", "\r=1"]


def row(force, year, age, n, *, suppressed=False, totals=True, ages=False, written=None, src="Data!B2"):
    lo, hi = age if isinstance(age, tuple) else (age, age)
    return {
        "round": ROUND, "force_code": force, "financial_year": year, "offence_code": "88A",
        "offence_description": "Sexual grooming", "offence_group": "grooming and sexual communication",
        "offence_classes": "88A", "offence_as_written": written or "Sexual grooming",
        "victim_age_min": lo, "victim_age_max": hi,
        "offences": None if suppressed else n, "suppressed": suppressed,
        "offences_lower": 1 if suppressed else n, "offences_upper": 4 if suppressed else n,
        "sha256": "0" * 64, "path": f"{ROUND}/{force}/reply.xlsx", "source": src, "table_ref": "Data",
        "in_totals": totals, "in_age_figures": ages,
    }


def offences() -> pd.DataFrame:
    rows = [
        # TVP 2016/17 by age (not in totals): 3 at age 12 (the only force with age 12, so
        # the national figure at 12 is 3 as well), 12 at 13, 9 at 14, a '*' at age 3, 0 at 2.
        row(TVP, "2016/17", 12, 3, totals=False, ages=True, src="Ages!B12"),
        row(TVP, "2016/17", 13, 12, totals=False, ages=True, src="Ages!B13"),
        row(TVP, "2016/17", 14, 9, totals=False, ages=True, src="Ages!B14"),
        row(TVP, "2016/17", 3, None, suppressed=True, totals=False, ages=True, src="Ages!B3"),
        row(TVP, "2016/17", 2, 0, totals=False, ages=True, src="Ages!B2"),
        # TVP totals by offence: 15 in 2016/17, 30 in 2015/16 (a fall of 50%).
        row(TVP, "2016/17", None, 15, src="Data!B2"),
        row(TVP, "2015/16", None, 30, src="Data!C2"),
        # Kent: labels planted with formulas, counts of 20 each (no rule applies to them).
        *[row(KENT, "2016/17", None, 20, written=text, src=f"Data!B{n}") for n, text in enumerate(FORMULAS, 2)],
        # Durham: a force-year total of 3 (force-total level: shown as it is).
        row(DURHAM, "2016/17", None, 3, src="Data!B2"),
        # Gwent: a nil return.
        row(GWENT, "2016/17", None, 0, src="Data!B2"),
    ]
    return pd.DataFrame(rows, columns=OFFENCES_COLUMNS)


def build(path: Path) -> Path:
    returns = pd.DataFrame([{
        "round": ROUND, "force_code": KENT, "force_folder": "Kent", "path": f"{ROUND}/Kent/reply.xlsx",
        "sha256": "0" * 64, "file_type": "xlsx", "size_bytes": 100, "layout": "crosstab",
        "status": "loaded", "message": "=cmd|' /C calc'!A0", "rows_loaded": len(FORMULAS),
    }], columns=RETURNS_COLUMNS)
    replies = pd.DataFrame([
        {"round": ROUND, "force_code": KENT, "force_name": "Kent", "reply": "data", "message": None},
        {"round": ROUND, "force_code": TVP, "force_name": "Thames Valley", "reply": "data", "message": None},
    ], columns=FORCE_REPLIES_COLUMNS)
    warehouse.build(
        path, offences=offences(), returns=returns,
        stated_totals=pd.DataFrame(columns=STATED_TOTALS_COLUMNS), force_replies=replies,
        run={"run_id": RUN_ID, "code_version": "test", "raw_dir": "/raw", "files": []},
    )
    return path
