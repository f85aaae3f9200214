"""Every mart against figures worked out by hand, on a real DuckDB file."""
from __future__ import annotations

import pandas as pd
import pytest

from flows import warehouse
from flows.warehouse import FORCE_REPLIES_COLUMNS, OFFENCES_COLUMNS, RETURNS_COLUMNS, STATED_TOTALS_COLUMNS

TVP, KENT, DORSET, GWENT, DURHAM = "E23000029", "E23000032", "E23000039", "W15000002", "E23000008"
NEW, OLD = "2017-request", "2016-request"


def row(force, year, code, age, n, *, rnd=NEW, suppressed=False, totals=True, ages=False, src="S!A1"):
    lo, hi = age if isinstance(age, tuple) else (age, age)
    groups = {"88A": "grooming and sexual communication", "86": "indecent images", "21": "sexual activity with a child"}
    return {
        "round": rnd, "force_code": force, "financial_year": year, "offence_code": code,
        "offence_description": code and f"desc {code}", "offence_group": groups.get(code),
        "victim_age_min": lo, "victim_age_max": hi,
        "offences": None if suppressed else n, "suppressed": suppressed,
        "offences_lower": 1 if suppressed else n, "offences_upper": 4 if suppressed else n,
        "sha256": "0" * 64, "path": f"{rnd}/{force}/f.xlsx", "source": src, "table_ref": "T",
        "in_totals": totals, "in_age_figures": ages,
    }


def facts() -> pd.DataFrame:
    rows = [
        # 2015/16: TVP 10 + 5 = 15; Kent 20; Dorset 7 (a '*' too); Durham 8 with no offence
        # breakdown, and no figures for 2016/17. Total 15 + 20 + 7 + 8 = 50, 4 forces.
        row(TVP, "2015/16", "88A", None, 10), row(TVP, "2015/16", "86", None, 5),
        # Kent's age 11 is in its total but not in the age figures: 2015/16 has no ages.
        row(KENT, "2015/16", "21", 11, 20),
        row(DORSET, "2015/16", "88A", None, 7), row(DORSET, "2015/16", "86", None, None, suppressed=True),
        row(DURHAM, "2015/16", None, None, 8),
        # 2016/17: TVP 30 by offence, and an age table of the same 30 (not in totals).
        row(TVP, "2016/17", "88A", None, 18), row(TVP, "2016/17", "86", None, 12),
        row(TVP, "2016/17", None, 13, 12, totals=False, ages=True),
        row(TVP, "2016/17", None, 14, 9, totals=False, ages=True),
        row(TVP, "2016/17", None, 9, 6, totals=False, ages=True),
        row(TVP, "2016/17", None, 3, None, totals=False, ages=True, suppressed=True),
        row(TVP, "2016/17", None, 2, 0, totals=False, ages=True),  # younger, but 0: not the youngest
        row(TVP, "2016/17", None, (None, None), 3, totals=False, ages=True),
        # Kent: records with ages, in totals and ages: 13 x 12, 14 x 4, band 5-9 x 2 -> 18.
        row(KENT, "2016/17", "88A", 13, 12, ages=True), row(KENT, "2016/17", "21", 14, 4, ages=True),
        row(KENT, "2016/17", "21", (5, 9), 2, ages=True), row(KENT, "2016/17", "21", (10, 12), 1, ages=True),
        # Gwent gave 2016/17 only: a nil return.
        row(GWENT, "2016/17", "88A", None, 0),
        # Dorset 2016/17 from an OLDER round only (kept), and Kent 2016/17 from the older
        # round too (ignored: the newer round restates it).
        row(DORSET, "2016/17", "88A", None, 4, rnd=OLD),
        row(KENT, "2016/17", "88A", None, 500, rnd=OLD),
    ]
    return pd.DataFrame(rows, columns=OFFENCES_COLUMNS)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("marts") / "w.duckdb"
    warehouse.build(
        path, offences=facts(),
        returns=pd.DataFrame(columns=RETURNS_COLUMNS),
        stated_totals=pd.DataFrame(columns=STATED_TOTALS_COLUMNS),
        force_replies=pd.DataFrame(columns=FORCE_REPLIES_COLUMNS),
        run={"run_id": "r1", "code_version": "test", "raw_dir": "/raw", "files": [{"path": "a"}]},
    )
    return path


def by_key(path, table, *keys):
    return {tuple(r[k] for k in keys): r for r in warehouse.rows(path, f"SELECT * FROM {table}")}


def test_force_year_totals(db):
    t = by_key(db, "force_year_totals", "force_code", "financial_year")
    assert {k: (v["offences"], v["offences_upper"], v["suppressed_cells"]) for k, v in t.items()} == {
        (TVP, "2015/16"): (15, 15, 0),
        (KENT, "2015/16"): (20, 20, 0),
        (DORSET, "2015/16"): (7, 11, 1),   # 7 known + up to 4 in the '*'
        (TVP, "2016/17"): (30, 30, 0),     # the offence table only: not 30 + 30
        (KENT, "2016/17"): (19, 19, 0),    # 12 + 4 + 2 + 1 from the newer round; not 500
        (GWENT, "2016/17"): (0, 0, 0),     # a nil return is a row with 0
        (DORSET, "2016/17"): (4, 4, 0),    # only the older round has it
        (DURHAM, "2015/16"): (8, 8, 0),
    }
    assert t[(TVP, "2016/17")]["force_name"] == "Thames Valley"


def test_headline_figures(db):
    h = by_key(db, "headline_figures", "financial_year")
    a, b = h[("2015/16",)], h[("2016/17",)]
    assert (a["forces_with_data"], a["offences"], a["offences_upper"]) == (4, 50, 54)  # 54 = 50 + 4 ('*')
    assert a["previous_year_offences"] is None and a["pct_change"] is None
    assert a["matched_forces"] is None and a["like_for_like_pct_change"] is None
    assert a["per_day"] == pytest.approx(50 / 366)  # April 2015 - March 2016 holds 29 Feb 2016
    assert a["modal_age"] is None and a["modal_age_offences"] is None
    assert a["aged_10_and_under"] is None and a["youngest_age"] is None
    # 2016/17: TVP 30 + Kent 19 + Gwent 0 + Dorset 4 = 53 from 4 forces.
    assert (b["forces_with_data"], b["offences"], b["offences_upper"]) == (4, 53, 53)
    assert b["previous_year_offences"] == 50
    assert b["pct_change"] == 6.0  # 100 * (53 - 50) / 50
    # Matched (data both years): TVP 15 -> 30, Kent 20 -> 19, Dorset 7 -> 4: 42 -> 53.
    # Durham (2015/16 only) and Gwent (2016/17 only) are left out.
    assert b["matched_forces"] == 3
    assert b["like_for_like_pct_change"] == 26.19  # 100 * 11 / 42 = 26.190...
    assert b["per_day"] == pytest.approx(53 / 365)
    # Exact ages (in_age_figures): 13: TVP 12 + Kent 12 = 24; 14: 9 + 4 = 13; 9: 6; 3: '*'.
    assert (b["modal_age"], b["modal_age_offences"]) == (13, 24)
    # Aged 10 and under: exact 9 (6) + band 5-9 (2); band 10-12 is not wholly <= 10.
    assert b["aged_10_and_under"] == 8
    # ... and at most 8 + 4 (TVP's '*' at age 3, which lies under 10).
    assert b["aged_10_and_under_upper"] == 12
    assert b["youngest_age"] == 3  # a suppressed cell holds at least one offence
    # 24 at 13 beats every other age even at its upper bound (14: 13, 9: 6, 3: 4).
    assert b["modal_age_certain"] is True
    assert a["modal_age_certain"] is None and a["aged_10_and_under_upper"] is None


def test_like_for_like_differs_when_a_force_is_new(db):
    b = by_key(db, "headline_figures", "financial_year")[("2016/17",)]
    assert b["forces_with_data"] - b["matched_forces"] == 1  # Gwent


def test_age_distribution(db):
    d = by_key(db, "age_distribution", "financial_year", "victim_age")
    assert {k[1]: (v["offences"], v["offences_upper"], v["suppressed_cells"]) for k, v in d.items()} == {
        2: (0, 0, 0),
        3: (None, 4, 1),  # only a '*': unknown, never 0
        9: (6, 6, 0), 13: (24, 24, 0), 14: (13, 13, 0),  # 13: TVP 12 + Kent 12; 14: 9 + 4
    }  # all 2016/17: Kent's 2015/16 age 11 is not in the age figures; bands are not ages


def test_offence_group_totals(db):
    g = by_key(db, "offence_group_totals", "financial_year", "offence_group")
    assert {k: v["offences"] for k, v in g.items()} == {
        ("2015/16", "grooming and sexual communication"): 17,  # TVP 10 + Dorset 7
        ("2015/16", "indecent images"): 5,                      # Dorset's '*' adds nothing
        ("2015/16", "sexual activity with a child"): 20,
        ("2015/16", "not given"): 8,                            # Durham: no offence breakdown
        ("2016/17", "grooming and sexual communication"): 34,   # 18 + 12 + 0 + 4
        ("2016/17", "indecent images"): 12,
        ("2016/17", "sexual activity with a child"): 7,         # 4 + 2 + 1
    }
    assert sum(v["offences"] for k, v in g.items() if k[0] == "2015/16") == 50
    assert sum(v["offences"] for k, v in g.items() if k[0] == "2016/17") == 53


def test_modal_age_tie_goes_to_the_youngest(tmp_path):
    path = tmp_path / "tie.duckdb"
    frame = pd.DataFrame([row(KENT, "2016/17", "88A", 14, 5, ages=True),
                          row(KENT, "2016/17", "88A", 12, 5, ages=True)], columns=OFFENCES_COLUMNS)
    warehouse.build(path, offences=frame, **empty_frames())
    assert warehouse.headline(path)[0]["modal_age"] == 12


def empty_frames() -> dict[str, pd.DataFrame]:
    return {k: pd.DataFrame(columns=c) for k, c in (
        ("returns", RETURNS_COLUMNS), ("stated_totals", STATED_TOTALS_COLUMNS),
        ("force_replies", FORCE_REPLIES_COLUMNS))}


@pytest.fixture(scope="module")
def edges(tmp_path_factory):
    """Age tables that leave the modal age unknown or uncertain (Kent only)."""
    path = tmp_path_factory.mktemp("edges") / "w.duckdb"
    rows = [
        # 2018/19: 10 by offence; the age table has only suppressed exact ages.
        row(KENT, "2018/19", "88A", None, 10),
        row(KENT, "2018/19", None, 12, None, suppressed=True, totals=False, ages=True),
        row(KENT, "2018/19", None, 13, None, suppressed=True, totals=False, ages=True),
        # 2019/20: a nil return with ages: 0 at 13.
        row(KENT, "2019/20", "88A", 13, 0, ages=True),
        # 2020/21: 14 x 5 and 12 x 5 tie; 11 has 3 known and a '*' (3 to 7); band 0-10 x 2;
        # band 8-11 x 1 (not wholly under 10). Total 5 + 5 + 3 + 2 + 1 = 16, upper 16 + 4.
        row(KENT, "2020/21", "21", 14, 5, ages=True), row(KENT, "2020/21", "21", 12, 5, ages=True),
        row(KENT, "2020/21", "21", 11, 3, ages=True),
        row(KENT, "2020/21", "21", 11, None, suppressed=True, ages=True),
        row(KENT, "2020/21", "21", (0, 10), 2, ages=True), row(KENT, "2020/21", "21", (8, 11), 1, ages=True),
    ]
    warehouse.build(path, offences=pd.DataFrame(rows, columns=OFFENCES_COLUMNS), **empty_frames())
    return path


def test_modal_age_unknown_or_uncertain(edges):
    h = by_key(edges, "headline_figures", "financial_year")
    pick = ("offences", "offences_upper", "modal_age", "modal_age_offences", "modal_age_certain",
            "aged_10_and_under", "aged_10_and_under_upper", "youngest_age")
    assert {k[0]: tuple(v[c] for c in pick) for k, v in h.items()} == {
        # Every age suppressed: no known count, so no modal age; '*' at 12 is the youngest.
        "2018/19": (10, 10, None, None, None, 0, 0, 12),
        # Nothing at any age: the most is 0 and there is no modal age, nor a youngest.
        "2019/20": (0, 0, None, 0, None, 0, 0, None),
        # Tie 12/14 at 5 goes to 12, uncertain: 14 ties and 11 could hold up to 3 + 4 = 7.
        # Aged 10 and under: the band 0-10 (2); band 8-11 is not wholly under 10.
        "2020/21": (16, 20, 12, 5, False, 2, 2, 11),
    }
    d = by_key(edges, "age_distribution", "financial_year", "victim_age")
    assert d[("2018/19", 12)]["offences"] is None and d[("2018/19", 12)]["offences_upper"] == 4
    assert (d[("2020/21", 11)]["offences"], d[("2020/21", 11)]["offences_upper"]) == (3, 7)


def test_the_marts_pass_the_reconciliation_suite(db, edges):
    from flows import quality

    [suite] = [s for s in quality.load_suites() if s.name == "reconciliation"]
    for path in (db, edges):
        results = quality.validate_warehouse(path, [suite])
        assert len(results) == len(suite.expectations) == 3
        assert [(r.expectation, r.column) for r in results if not r.success] == []


def test_force_year_changes(db):
    c = by_key(db, "force_year_changes", "force_code", "financial_year")
    assert {k[0]: (v["previous_offences"], v["offences"], v["pct_change"]) for k, v in c.items()} == {
        TVP: (15, 30, 100.0),      # (30 - 15) / 15
        KENT: (20, 19, -5.0),      # (19 - 20) / 20
        DORSET: (7, 4, -42.9),     # (4 - 7) / 7 = -42.857
    }  # Gwent has no previous year: no row


def test_force_audit(tmp_path):
    path = tmp_path / "audit.duckdb"
    offences = pd.DataFrame([row(TVP, "2016/17", "88A", None, 9), row(TVP, "2016/17", "86", None, None, suppressed=True),
                             row(TVP, "2015/16", "88A", None, 4)], columns=OFFENCES_COLUMNS)
    returns = pd.DataFrame([
        [NEW, TVP, "TVP", f"{NEW}/TVP/a.xlsx", "1" * 64, "xlsx", 10, "crosstab", "loaded", None, None, None, 3],
        [NEW, TVP, "TVP", f"{NEW}/TVP/letter.pdf", "2" * 64, "pdf", 10, None, "not_machine_readable", None, "letter", None, 0],
        [NEW, TVP, "TVP", f"{NEW}/TVP/b.csv", "3" * 64, "csv", 10, None, "quarantined", "layout", "b.csv: unsure at line 4", None, 0],
    ], columns=RETURNS_COLUMNS)
    replies = pd.DataFrame([[NEW, TVP, "Thames Valley", "data", None],
                            [NEW, KENT, "Kent", "no_reply", "no folder"]], columns=FORCE_REPLIES_COLUMNS)
    warehouse.build(path, offences=offences, returns=returns, force_replies=replies,
                    stated_totals=pd.DataFrame(columns=STATED_TOTALS_COLUMNS))
    audit = by_key(path, "force_audit", "force_code")
    tvp = audit[(TVP,)]
    assert (tvp["files_received"], tvp["files_loaded"], tvp["letters"], tvp["files_in_doubt"]) == (3, 1, 1, 1)
    assert tvp["figures_loaded"] == "2015/16: 4; 2016/17: 9 (+1 suppressed)"
    assert "unsure at line 4" in tvp["messages"]
    kent = audit[(KENT,)]
    assert (kent["reply"], kent["files_received"], kent["messages"]) == ("no_reply", 0, "no folder")


def test_runs_row(db):
    [run] = warehouse.rows(db, "SELECT * FROM runs")
    assert run["run_id"] == "r1" and run["status"] == "published" and '"path": "a"' in run["files_json"]
