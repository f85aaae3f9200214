"""The small-count rule and formula neutralising, on frames read from a real warehouse."""
from __future__ import annotations

import pandas as pd
import pytest

from flows import disclosure, warehouse
from flows.disclosure import apply, load_rule, neutralise, neutralise_frame
from small_counts import DURHAM, FORMULAS, GWENT, TVP, build


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("disclosure") / "w.duckdb")


@pytest.fixture(scope="module")
def rule():
    return load_rule()


def cell(frame, **where):
    """The one row of `frame` matching `where`."""
    mask = pd.Series(True, index=frame.index)
    for col, value in where.items():
        mask &= frame[col].eq(value).fillna(False) if value is not None else frame[col].isna()
    rows = frame[mask]
    assert len(rows) == 1, where
    return rows.iloc[0]


def test_default_rule(rule):
    assert (rule.min, rule.max, rule.marker) == (1, 4, "[c]")
    assert rule.level_of(["force_code", "victim_age_min", "offences"]).name == "force by age"
    assert rule.level_of(["source", "offences"]).name == "reply cell"
    assert rule.level_of(["force_code", "financial_year", "offences"]) is None      # force total
    assert rule.level_of(["financial_year", "victim_age", "offences"]) is None      # national by age


def test_three_at_one_age_for_one_force_is_withheld(db, rule):
    out = apply(warehouse.read_table(db, "offences"), rule)
    tvp12 = cell(out, force_code=TVP, victim_age_min=12)
    # and its bounds, which equal it, so the '[c]' cannot be undone from them
    assert (tvp12.offences, tvp12.offences_lower, tvp12.offences_upper) == ("[c]", "[c]", "[c]")
    tvp13 = cell(out, force_code=TVP, victim_age_min=13)
    assert (tvp13.offences, tvp13.offences_lower, tvp13.offences_upper) == (12, 12, 12)
    # a single reply cell is finer than force by age, even without an age
    assert cell(out, force_code=DURHAM).offences == "[c]"


def test_three_in_a_national_or_force_total_is_shown(db, rule):
    ages = warehouse.read_table(db, "age_distribution")
    out = apply(ages, rule)
    assert cell(out, victim_age=12).offences == 3
    assert out["offences_upper"].dtype == ages["offences_upper"].dtype  # nothing withheld: unchanged
    totals = warehouse.read_table(db, "force_year_totals")
    out = apply(totals, rule)
    assert cell(out, force_code=DURHAM).offences == 3
    pd.testing.assert_frame_equal(out, totals)


def test_suppressed_count_is_withheld_never_zero(db, rule):
    out = apply(warehouse.read_table(db, "offences"), rule)
    star = cell(out, force_code=TVP, victim_age_min=3)
    assert star.suppressed and (star.offences, star.offences_lower, star.offences_upper) == ("[c]",) * 3
    # national: every cell at age 3 was suppressed, so the count is withheld, not 0 or blank
    national = cell(apply(warehouse.read_table(db, "age_distribution"), rule), victim_age=3)
    assert national.offences == "[c]" and national.suppressed_cells == 1


def test_zero_stays_zero(db, rule):
    out = apply(warehouse.read_table(db, "offences"), rule)
    assert cell(out, force_code=TVP, victim_age_min=2).offences == 0
    assert cell(out, force_code=GWENT).offences == 0


def test_apply_returns_a_new_frame(db, rule):
    frame = warehouse.read_table(db, "offences")
    before = frame.copy()
    out = apply(frame, rule)
    pd.testing.assert_frame_equal(frame, before)
    assert out is not frame
    pd.testing.assert_frame_equal(apply(out, rule), out)  # applying twice changes nothing more


def test_a_new_table_says_its_grain_by_its_columns(rule):
    frame = pd.DataFrame({"force_name": ["Kent", "Kent"], "age_band": ["10-12", "13-15"],
                          "offences": [2, 7]})
    assert apply(frame, rule)["offences"].tolist() == ["[c]", 7]
    by_force = frame.drop(columns="age_band")
    assert apply(by_force, rule)["offences"].tolist() == [2, 7]
    national = frame.drop(columns="force_name")
    assert apply(national, rule)["offences"].tolist() == [2, 7]


def test_the_rule_is_an_analysts_file(tmp_path):
    path = tmp_path / "rule.yaml"
    path.write_text("min: 1\nmax: 9\nmarker: '*'\ncount_columns: [n]\n"
                    "fine_levels:\n  - name: region\n    columns: [[region]]\n")
    rule = load_rule(path)
    assert apply(pd.DataFrame({"region": ["a", "b", "c"], "n": [9, 10, 0]}), rule)["n"].tolist() == ["*", 10, 0]
    assert "region" in "\n".join(rule.describe())


@pytest.mark.parametrize("text, why", [
    ("min: 0\nmax: 4\ncount_columns: [n]\nfine_levels: [{columns: [[a]]}]\n", "0 is never withheld"),
    ("min: 1\nmax: 4\ncount_columns: [n]\nfine_level: [{columns: [[a]]}]\n", "unknown settings"),
    ("min: 1\nmax: 4\ncount_columns: [n]\nfine_levels: []\n", "no fine level"),
    ("min: 1\nmax: 4\ncount_columns: [n]\nfine_levels: [{columns: force_code}]\n", "list of lists"),
])
def test_a_mistyped_rule_is_refused(tmp_path, text, why):
    path = tmp_path / "rule.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=why):
        load_rule(path)


@pytest.mark.parametrize("text", FORMULAS + ["-5", "=1+1", "@", "\t"])
def test_formula_text_is_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Sexual grooming", "'=already", " =a space first", "", "[c]",
                                   -5, -2.5, 0, None, True])
def test_other_values_are_left_alone(value):
    assert neutralise(value) is value


def test_neutralise_frame_touches_text_columns_only(db):
    changes = warehouse.read_table(db, "force_year_changes")
    assert changes["pct_change"].tolist() == [-50.0]
    assert neutralise_frame(changes)["pct_change"].tolist() == [-50.0]  # a negative number stays a number
    frame = pd.DataFrame({"label": ["=1", "ok", None], "n": [-1, 2, 3]})
    out = neutralise_frame(frame)
    assert out["label"].tolist()[:2] == ["'=1", "ok"] and pd.isna(out["label"].iloc[2])
    assert out["n"].tolist() == [-1, 2, 3] and frame["label"].iloc[0] == "=1"


def test_no_module_state():
    """The rule is an immutable value; the module keeps nothing between calls."""
    rule = load_rule()
    with pytest.raises(Exception):
        rule.min = 0  # type: ignore[misc]
    assert isinstance(disclosure.FORMULA_STARTS, tuple)
