"""`foi explain` for every headline figure: the value as published, the rule, the value
worked out again from the cells, and the cells themselves (flows/explain.py)."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flows import PROJECT_ROOT, warehouse
from flows.explain import FIGURES, FigureError, explain

from builders import build_warehouse


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """The warehouse of the bundled sample round, built with the plain stage functions."""
    path = tmp_path_factory.mktemp("explain") / "foi.duckdb"
    build_warehouse(PROJECT_ROOT / "raw", path, rounds=False, discovery_problems_allowed=True)
    return path


def headline(db: Path, year: str) -> dict:
    return warehouse.rows(db, "SELECT * FROM headline_figures WHERE financial_year = ?", [year])[0]


@pytest.mark.parametrize("figure", FIGURES)
@pytest.mark.parametrize("year", ["2015/16", "2016/17"])
def test_every_headline_figure_is_explained_and_reconciles(db, figure, year):
    e = explain(db, year, figure)
    assert e.value == headline(db, year)[figure]
    assert e.reconciles, e.text()
    assert e.rule
    text = e.text()
    assert text.startswith(f"{figure} {year}: ") and "rule: " in text and "DOES NOT RECONCILE" not in text


def test_the_published_figures_with_their_cells(db):
    total = explain(db, "2016/17", "offences")
    assert total.value == 5653 and len(total.forces) == 40
    assert sum(s.offences or 0 for s in total.sources) == 5653
    assert {s.path.split("/")[0] for s in total.sources} == {"2017-online-child-sex-offences"}
    assert "Thames Valley: 183" in total.lines

    mode = explain(db, "2016/17", "modal_age")
    assert mode.value == 13
    assert all(s.age_min == s.age_max == 13 for s in mode.sources)
    assert sum(s.offences or 0 for s in mode.sources) == 257  # the offences at the modal age
    assert mode.lines[0] == "age 13: 257"

    young = explain(db, "2016/17", "youngest_age")
    assert young.value == 3 and young.sources and all(s.age_min == 3 for s in young.sources)
    assert all("!" in s.source or s.source.startswith("line") for s in young.sources)

    under = explain(db, "2016/17", "aged_10_and_under")
    assert under.value == sum(s.offences or 0 for s in under.sources)
    assert all(s.age_max <= 10 for s in under.sources)

    change = explain(db, "2016/17", "pct_change")
    assert change.value == pytest.approx(44.84)
    assert "2016/17: 5,653 over 40 forces; 2015/16: 3,903 over 39 forces" in change.lines
    lfl = explain(db, "2016/17", "like_for_like_pct_change")
    assert len(lfl.forces) == explain(db, "2016/17", "matched_forces").value == 39

    upper = explain(db, "2016/17", "offences_upper")
    assert upper.sources and all(s.offences is None for s in upper.sources)  # the suppressed cells
    assert upper.value == 5653 + sum(s.offences_upper for s in upper.sources)


def test_a_figure_that_does_not_reconcile_says_so(db, tmp_path):
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE headline_figures SET offences = offences + 1 WHERE financial_year = '2016/17'")
    e = explain(copy, "2016/17", "offences")
    assert e.value == 5654 and e.recomputed == 5653 and not e.reconciles
    assert "DOES NOT RECONCILE" in e.text()


def test_unknown_figures_and_years_are_refused(db):
    with pytest.raises(FigureError, match="the figures are: offences"):
        explain(db, "2016/17", "mean_age")
    with pytest.raises(FigureError, match="the years are: 2015/16, 2016/17"):
        explain(db, "2019/20", "offences")


def test_foi_explain_figure_and_every_force_option(db, capsys):
    from flows.cli import main

    assert main(["explain", "--warehouse", str(db), "--year", "2016/17", "--figure", "youngest_age"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("youngest_age 2016/17: 3\n") and "rule: the youngest exact victim age" in out
    assert main(["explain", "--warehouse", str(db), "--year", "2016/17", "--figure", "mean_age"]) == 2
    assert "not a headline figure" in capsys.readouterr().err
    # one force resolver for every command: name, alias or ONS code
    for wanted in ("glos", "Gloucestershire Constabulary", "E23000037"):
        assert main(["audit", "--warehouse", str(db), "--force", wanted]) == 0
        assert capsys.readouterr().out.startswith("Gloucestershire (E23000037, ")
    assert main(["audit", "--warehouse", str(db), "--force", "xyz"]) == 2
    assert "xyz" in capsys.readouterr().err
    assert main(["explain", "--warehouse", str(db), "--year", "2016/17", "--force", "tvp"]) == 0
    assert capsys.readouterr().out.startswith("Thames Valley (E23000029) 2016/17: 183 offences")
    assert main(["explain", "--warehouse", str(db), "--year", "2016/17", "--force", "E99999999"]) == 2
    assert "no police force has the code E99999999" in capsys.readouterr().err
