"""A figure filed under the wrong offence class, age or force must turn a test red.

test_end_to_end.py compares the sample round's warehouse with the simulator's Truth by
force x year x class and by force x year x exact age. Here the same comparison runs on
an uncalibrated round that asks for 2017/18, so replies also list sub-code 71/17 (sexual
communication with a child, from April 2017), which ONS counts in class 88A; and the
comparison itself is shown to catch two offence codes, two ages or two forces swapped.
"""
from __future__ import annotations

import pytest

from flows.cli import main
from flows.simulate import simulate_round
from test_end_to_end import assert_breakdowns_match, breakdown_mismatches, query

ROUND = "2018-online-child-sex-offences"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, prefect_harness):
    """A smaller round for 2016/17 and 2017/18 (another seed), through `foi refresh`."""
    root = tmp_path_factory.mktemp("misfiling")
    raw, db = root / "raw", root / "warehouse" / "foi.duckdb"
    truth = simulate_round(raw, seed=2018, round_name=ROUND, years=["2016/17", "2017/18"], scale=0.5)
    code = main(["refresh", "--raw", str(raw), "--warehouse", str(db)])
    return code, truth, db


def test_sexual_communication_is_counted_in_88a(simulated):
    code, truth, db = simulated
    assert code == 0
    written = query(db, "SELECT DISTINCT offence_code FROM offences WHERE financial_year = '2017/18' "
                        "AND (offence_as_written LIKE '%71/17%' OR lower(offence_as_written) LIKE '%communication%')")
    assert written == [("88A",)], "the round's 2017/18 replies list sexual communication with a child"
    assert not any("/" in c for _, _, c in truth.by_class)


def test_offences_by_force_year_class_and_age_are_the_truths(simulated):
    code, truth, db = simulated
    assert code == 0
    assert {y for _, y, _ in truth.by_class} == {y for _, y, _ in truth.by_age} == {"2016/17", "2017/18"}
    assert_breakdowns_match(db, truth)


# --- the comparison, on the truth's own figures misfiled --------------------------------------

@pytest.fixture(scope="module")
def sample_truth(tmp_path_factory):
    return simulate_round(tmp_path_factory.mktemp("truth"))


def swap(d: dict, position: int, a, b) -> dict:
    """`d` with values filed under a where they belong under b, and the other way round."""
    def moved(key):
        part = key[position]
        return (*key[:position], {a: b, b: a}.get(part, part), *key[position + 1:])
    return {moved(k): n for k, n in d.items()}


def test_the_comparison_finds_no_difference_in_the_truth_itself(sample_truth):
    assert breakdown_mismatches(sample_truth.by_class, dict(sample_truth.by_class), "class") == {}
    assert breakdown_mismatches(sample_truth.by_age, dict(sample_truth.by_age), "age") == {}


def test_the_comparison_finds_two_offence_codes_swapped(sample_truth):
    problems = breakdown_mismatches(sample_truth.by_class, swap(sample_truth.by_class, 2, "88A", "86"), "class")
    force_years = {(f, y) for f, y, c in sample_truth.by_class
                   if sample_truth.by_class.get((f, y, "88A"), 0) != sample_truth.by_class.get((f, y, "86"), 0)}
    assert set(problems) == force_years and len(force_years) > 60
    assert all(" 86 expected " in p and " 88A expected " in p for p in problems.values())


def test_the_comparison_finds_two_ages_swapped(sample_truth):
    problems = breakdown_mismatches(sample_truth.by_age, swap(sample_truth.by_age, 2, 13, 14), "age")
    assert problems and all(": 13 expected" in p and "; 14 expected" in p for p in problems.values())


def test_the_comparison_finds_two_forces_swapped(sample_truth):
    # Thames Valley (an offence x year crosstab) and Kent (a record list): same classes, other counts.
    problems = breakdown_mismatches(sample_truth.by_class, swap(sample_truth.by_class, 0, "E23000029", "E23000032"),
                                    "class")
    assert {force for force, _ in problems} == {"E23000029", "E23000032"}
    # West Yorkshire gives ages only: its figures under a force that gives offences are found too.
    problems = breakdown_mismatches(sample_truth.by_age, swap(sample_truth.by_age, 0, "E23000010", "E23000003"),
                                    "age")
    assert {force for force, _ in problems} == {"E23000010", "E23000003"}


def test_the_comparison_finds_a_force_year_missing_or_extra(sample_truth):
    truth = sample_truth.by_class
    force, year = ("E23000001", "2016/17")
    less = {k: n for k, n in truth.items() if k[:2] != (force, year)}
    message = breakdown_mismatches(truth, less, "class")[(force, year)]
    assert message.startswith(f"{force} {year}: no figures by class in the warehouse; expected 17A: ")
    assert message.endswith(f", 88A: {truth[(force, year, '88A')]}, 88C: {truth[(force, year, '88C')]}")
    more = {**truth, (force, year, None): 1}  # a label the reader read as several classes
    assert breakdown_mismatches(truth, more, "class") == {(force, year): f"{force} {year} by class: None expected 0, found 1"}
    wrong_year = {(f, "2014/15" if (f, y) == (force, year) else y, c): n for (f, y, c), n in truth.items()}
    assert set(breakdown_mismatches(truth, wrong_year, "class")) == {(force, year), (force, "2014/15")}
