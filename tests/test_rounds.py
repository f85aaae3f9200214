"""Several rounds under raw/: the years each asked for (raw/<round>/round.yaml, or
inferred), the newer round's figures where two give the same force and year, each
round's own headline figures kept beside today's, and builds that do not depend on
the order folders were made in or on the files' times."""
from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from flows import SCHEMAS
from flows import warehouse
from flows.rounds import DECLARED, INFERRED, financial_year, read_round_file

from builders import build_warehouse

KENT, TVP, DORSET = "E23000032", "E23000029", "E23000039"
R17, R18 = "2017-online-offences", "2018-online-offences"


def tidy(*rows: tuple[str, str, object]) -> str:
    """A tidy csv reply: one line per year and offence."""
    return "Year,Offence,Count\n" + "".join(f"{y},{o},{n}\n" for y, o, n in rows)


def write_round(raw: Path, name: str, replies: dict[str, str], round_yaml: str | None = None) -> Path:
    root = raw / name
    root.mkdir(parents=True, exist_ok=True)
    if round_yaml is not None:
        (root / "round.yaml").write_text(round_yaml, encoding="utf-8")
    for folder, text in replies.items():
        (root / folder).mkdir(exist_ok=True)
        (root / folder / "reply.csv").write_text(text, encoding="utf-8")
    return root


def build(raw: Path, db: Path):
    """raw/ -> discover -> read -> facts -> a real DuckDB file, as the refresh does: with
    facts.rounds, without the responses, whatever discover_raw reports."""
    return build_warehouse(raw, db, responses=False, discovery_problems_allowed=True)


def by_key(db: Path, sql: str, *keys: str) -> dict:
    return {tuple(r[k] for k in keys): r for r in warehouse.rows(db, sql)}


R17_REPLIES = {
    "Kent": tidy(("2015/16", "Sexual grooming", 30), ("2016/17", "Sexual grooming", 40)),
    "TVP": tidy(("2015/16", "Sexual grooming", 10), ("2016/17", "Sexual grooming", 12)),
}
R18_REPLIES = {
    # Kent restates 2015/16 (30 -> 33) and 2016/17 (40 -> 41), and gives 2017/18.
    "Kent": tidy(("2015/16", "Sexual grooming", 33), ("2016/17", "Sexual grooming", 41),
                 ("2017/18", "Sexual grooming", 50)),
    # Dorset gives 2016/17 and 2017/18 only; TVP does not reply to the 2018 round.
    "Dorset": tidy(("2016/17", "Sexual grooming", 5), ("2017/18", "Sexual grooming", 6)),
}


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory):
    root = tmp_path_factory.mktemp("rounds")
    raw, db = root / "raw", root / "w.duckdb"
    write_round(raw, R17, R17_REPLIES, "title: online offences\nsent: 2017-03-01\nyears: [2015/16, 2016/17]\n")
    write_round(raw, R18, R18_REPLIES)  # no round.yaml: its years are inferred
    facts = build(raw, db)
    return facts, db


def test_the_newer_round_wins_per_force_and_year(two_rounds):
    _, db = two_rounds
    t = by_key(db, "SELECT * FROM force_year_totals", "force_code", "financial_year")
    assert {k: v["offences"] for k, v in t.items()} == {
        (KENT, "2015/16"): 33, (KENT, "2016/17"): 41, (KENT, "2017/18"): 50,  # 2018's restatements
        (TVP, "2015/16"): 10, (TVP, "2016/17"): 12,   # only 2017 gives TVP: kept
        (DORSET, "2016/17"): 5, (DORSET, "2017/18"): 6,
    }
    rounds_used = warehouse.rows(db, "SELECT DISTINCT force_code, financial_year, round FROM current_offences")
    assert {(r["force_code"], r["financial_year"]): r["round"] for r in rounds_used}[(KENT, "2015/16")] == R18
    h = by_key(db, "SELECT * FROM headline_figures", "financial_year")
    assert h[("2015/16",)]["offences"] == 43 and h[("2016/17",)]["offences"] == 58  # 33+10, 41+12+5
    # The facts keep both rounds' figures: nothing restated is lost.
    kent_1516 = by_key(db, "SELECT round, sum(offences) AS n FROM offences WHERE force_code = 'E23000032' "
                           "AND financial_year = '2015/16' GROUP BY round", "round")
    assert {k[0]: v["n"] for k, v in kent_1516.items()} == {R17: 30, R18: 33}


def test_published_figures_keep_each_round_beside_today(two_rounds):
    _, db = two_rounds
    p = by_key(db, "SELECT * FROM published_figures", "round", "financial_year")
    # Only the years each round asked for: 2017 declared two; 2018's are inferred as the
    # years most of its forces gave (2016/17 and 2017/18 by both; 2015/16 by Kent only).
    assert set(p) == {(R17, "2015/16"), (R17, "2016/17"), (R18, "2016/17"), (R18, "2017/18")}
    a = p[(R17, "2015/16")]
    assert (a["offences"], a["forces_with_data"], a["current_offences"], a["restated_by"]) == (40, 2, 43, 3)
    b = p[(R17, "2016/17")]
    assert (b["offences"], b["previous_year_offences"], b["pct_change"]) == (52, 40, 30.0)  # as 2017 published
    assert (b["current_offences"], b["current_forces_with_data"]) == (58, 3)
    c = p[(R18, "2016/17")]
    assert (c["offences"], c["forces_with_data"], c["previous_year_offences"]) == (46, 2, None)  # 41 + 5
    assert c["newest_round"] == R18 and a["newest_round"] == R18
    d = p[(R18, "2017/18")]
    assert (d["offences"], d["matched_forces"], d["like_for_like_pct_change"]) == (56, 2, 21.74)  # 46 -> 56
    assert d["restated_by"] == 0


def test_round_yaml_declared_and_inferred(two_rounds):
    facts, db = two_rounds
    r = by_key(db, "SELECT * FROM rounds", "round")
    assert r[(R17,)]["years_source"] == DECLARED and r[(R17,)]["years_requested"] == ["2015/16", "2016/17"]
    assert r[(R17,)]["sent"] == date(2017, 3, 1) and r[(R17,)]["title"] == "online offences"
    assert r[(R18,)]["years_source"] == INFERRED and r[(R18,)]["years_requested"] == ["2016/17", "2017/18"]
    assert r[(R18,)]["years_given"] == ["2015/16", "2016/17", "2017/18"]
    # reported: the inference, and Kent's 2015/16 in a round that did not ask for it
    assert any(m.startswith(f"{R18}: no round.yaml: the years asked for are taken to be 2016/17, 2017/18")
               for m in facts.messages), facts.messages
    assert any(f"{R18}: 1 force(s) gave figures for 2015/16, which the round did not ask for (Kent)" in m
               for m in facts.messages), facts.messages
    assert r[(R18,)]["message"] and "2015/16" in r[(R18,)]["message"]
    assert r[(R17,)]["message"] is None
    # round.yaml is not a stray file in the round folder
    assert not any("round.yaml" in p for p in facts.returns["path"])
    assert not any("belongs to no force" in m for m in facts.messages)


def test_years_a_round_did_not_ask_for_are_kept_and_noted(tmp_path):
    raw = tmp_path / "raw"
    write_round(raw, R17, {"Kent": tidy(("2014/15", "Sexual grooming", 7), ("2015/16", "Sexual grooming", 30))},
                "years: ['2015/16']\n")
    facts = build(raw, tmp_path / "w.duckdb")
    t = by_key(tmp_path / "w.duckdb", "SELECT * FROM force_year_totals", "financial_year")
    assert t[("2014/15",)]["offences"] == 7  # kept in the current figures
    p = by_key(tmp_path / "w.duckdb", "SELECT * FROM published_figures", "financial_year")
    assert set(p) == {("2015/16",)}          # not among what the round published
    assert any("gave figures for 2014/15, which the round did not ask for (Kent)" in m for m in facts.messages)


@pytest.mark.parametrize("text, why", [
    ("years: [2015/16, 2016/18]\n", "'2016/18' is not a financial year"),
    ("years: [2015/16\n", "not valid YAML at line"),
    ("year: [2015/16]\n", "unknown key(s) year"),
    ("title: no years\n", "has no `years:`"),
    ("- 2015/16\n", "must be a mapping"),
    ("years: [2015/16]\nsent: March\n", "sent: 'March' is not a date"),
    ("years: []\n", "must be a list of financial years"),
])
def test_a_bad_round_yaml_is_reported_not_fatal(tmp_path, text, why):
    raw = tmp_path / "raw"
    write_round(raw, R17, R17_REPLIES, text)
    facts = build(raw, tmp_path / "w.duckdb")
    [problem] = [m for m in facts.messages if "round.yaml" in m]
    assert problem.startswith(f"{R17}/round.yaml: not used: ") and why in problem, problem
    assert problem.endswith("the years asked for are inferred from the replies: taken to be 2015/16, 2016/17")
    r = warehouse.rows(tmp_path / "w.duckdb", "SELECT * FROM rounds")
    assert [(x["years_source"], x["years_requested"]) for x in r] == [(INFERRED, ["2015/16", "2016/17"])]
    assert len(warehouse.rows(tmp_path / "w.duckdb", "SELECT * FROM published_figures")) == 2


def test_round_yaml_is_quote_safe_and_strict(tmp_path):
    assert [financial_year(y) for y in ("2015/16", " 2015-16 ", "2015/2016", "1999/00")] == \
        ["2015/16", "2015/16", "2015/16", "1999/00"]
    for bad in ("2015/17", "2015", "15/16", 2015):
        with pytest.raises(ValueError):
            financial_year(bad)
    path = tmp_path / "r" / "round.yaml"
    path.parent.mkdir()
    path.write_text("years: ['2016/17', \"2015/16\", 2016/17]\nsent: '2017-03-01'\n")
    found = read_round_file(path, tmp_path)
    assert (found.years, found.sent, found.problem, found.path) == (("2015/16", "2016/17"), date(2017, 3, 1),
                                                                     None, "r/round.yaml")
    link = tmp_path / "s" / "round.yaml"
    link.parent.mkdir()
    link.symlink_to(path)
    assert "symbolic link" in read_round_file(link, tmp_path).problem


def test_one_round_alone_publishes_what_the_current_marts_show(tmp_path):
    """published_figures repeats 05_headline_figures per round: with one round, every
    figure the two share is the same (the test_marts facts: ages, bands, suppression)."""
    from tests.test_marts import NEW, facts as mart_facts
    from flows.warehouse import FORCE_REPLIES_COLUMNS, RETURNS_COLUMNS, STATED_TOTALS_COLUMNS

    offences = mart_facts()
    offences = offences[offences["round"] == NEW]
    db = tmp_path / "one.duckdb"
    warehouse.build(db, offences=offences, returns=pd.DataFrame(columns=RETURNS_COLUMNS),
                    stated_totals=pd.DataFrame(columns=STATED_TOTALS_COLUMNS),
                    force_replies=pd.DataFrame(columns=FORCE_REPLIES_COLUMNS))
    headline = warehouse.rows(db, "SELECT * FROM headline_figures ORDER BY financial_year")
    published = warehouse.rows(db, "SELECT * FROM published_figures ORDER BY financial_year")
    assert [p["round"] for p in published] == [NEW, NEW]
    shared = [c for c in headline[0] if c in published[0]]
    assert len(shared) == len(headline[0])  # every headline column has its published twin
    assert [{c: p[c] for c in shared} for p in published] == headline
    assert all(p["restated_by"] == 0 for p in published)


# --- reproducible: the same raw folder, built again, gives the same marts -------------------

def mart_names() -> list[str]:
    names = []
    for sql in sorted((SCHEMAS / "marts").glob("*.sql")):
        names += re.findall(r"CREATE\s+OR\s+REPLACE\s+(?:TABLE|VIEW)\s+(\w+)", sql.read_text(), re.I)
    return names


def marts_of(db: Path) -> dict[str, list[tuple]]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return {name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()
                for name in [*mart_names(), "rounds"]}


def test_the_same_raw_folder_builds_the_same_marts(tmp_path, two_rounds):
    _, first_db = two_rounds
    replies = {R17: R17_REPLIES, R18: R18_REPLIES}
    yamls = {R17: "title: online offences\nsent: 2017-03-01\nyears: [2015/16, 2016/17]\n", R18: None}

    # the same round, its folders created in the opposite order, with other file times
    raw = tmp_path / "raw"
    for name in reversed(sorted(replies)):
        for folder, text in reversed(list(replies[name].items())):
            write_round(raw, name, {folder: text})
        if yamls[name] is not None:
            (raw / name / "round.yaml").write_text(yamls[name], encoding="utf-8")
    for i, path in enumerate(sorted(raw.rglob("*"), reverse=True)):
        stamp = 1_500_000_000 + 86_400 * (i * 37 % 11)
        os.utime(path, (stamp, stamp))
    again = tmp_path / "again.duckdb"
    build(raw, again)
    # and once more, from a copy in another place
    moved = tmp_path / "elsewhere" / "raw"
    shutil.copytree(raw, moved)
    third = tmp_path / "third.duckdb"
    build(moved, third)

    first, second, last = marts_of(first_db), marts_of(again), marts_of(third)
    assert set(first) >= {"current_offences", "force_year_totals", "headline_figures", "published_figures",
                          "force_audit", "age_distribution", "offence_group_totals", "force_year_changes"}
    for name in first:
        assert first[name] == second[name], f"{name} differs with folders made in another order"
        assert first[name] == last[name], f"{name} differs when raw/ is elsewhere"
    assert all(first[n] for n in ("force_year_totals", "headline_figures", "published_figures", "force_audit"))
