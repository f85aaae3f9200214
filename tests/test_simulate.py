"""The simulator: reproducible bytes, the published figures, every layout present."""
from __future__ import annotations

import csv
import hashlib
import re
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from flows import PROJECT_ROOT, SAMPLE_ROUND
from flows.classification import reference
from flows.forces import match_force
from flows.simulate import numbers
from flows.simulate import plan as P
from flows.simulate import simulate_round, simulate_rounds
from flows.simulate.files import write_plain_xlsx


def hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    return simulate_round(out), out


def test_same_seed_same_bytes(sample, tmp_path):
    _, first = sample
    simulate_round(tmp_path)
    assert hashes(first) == hashes(tmp_path)


def test_the_committed_sample_round_is_what_the_simulator_writes(sample):
    _, out = sample
    committed = PROJECT_ROOT / "raw"
    assert hashes(out / SAMPLE_ROUND) == hashes(committed / SAMPLE_ROUND), (
        "raw/ is stale: run `foi simulate --out raw` and commit it")


def test_another_seed_moves_the_numbers_not_the_published_totals(sample, tmp_path):
    truth, _ = sample
    other = simulate_round(tmp_path, seed=99)
    assert other.known != truth.known
    assert other.year_total("2016/17") == truth.year_total("2016/17") == 5653


def test_truth_holds_the_published_figures(sample):
    truth, _ = sample
    assert truth.year_total("2016/17") == 5653
    assert truth.year_total("2015/16") == 3903
    assert sum(1 for _, y in truth.known if y == "2015/16") == 39
    assert sum(1 for _, y in truth.known if y == "2016/17") == 40
    assert truth.known[("E23000029", "2016/17")] == 183
    # Suppressed cells hide real offences: the true totals are larger than the known ones.
    assert sum(truth.suppressed_cells.values()) > 0
    assert sum(truth.true.values()) > sum(truth.known.values())


def test_truth_holds_the_published_headline_figures(sample):
    truth, _ = sample
    h16, h17 = truth.headlines["2015/16"], truth.headlines["2016/17"]
    assert (h16.offences, h16.forces, h17.offences, h17.forces) == (3903, 39, 5653, 40)
    assert h17.per_day == 15.5
    assert round(h17.change * 100, 1) == 44.8
    # Leicestershire has 2016/17 only, so like-for-like differs from the published change.
    assert h17.like_for_like_change is not None and round(h17.like_for_like_change, 3) != round(h17.change, 3)
    assert (h17.modal_age, h17.modal_age_offences) == (13, 257)
    assert 90 <= h17.aged_10_and_under <= 99
    assert h17.youngest_age == 3


def test_truth_breaks_the_known_counts_down_by_class_and_exact_age(sample):
    truth, _ = sample
    by_class, by_age = defaultdict(int), defaultdict(int)
    upper_class, upper_age = defaultdict(int), defaultdict(int)
    for (force, year, _), n in truth.by_class.items():
        by_class[(force, year)] += n
        upper_class[(force, year)] += truth.by_class_upper[(force, year, _)]
    for (force, year, _), n in truth.by_age.items():
        by_age[(force, year)] += n
        upper_age[(force, year)] += truth.by_age_upper[(force, year, _)]
    # Replies by offence: every figure has a class, so the classes add up to the total.
    offences = {c for c, kind in truth.layouts.items() if kind in P.OFFENCE_LAYOUTS}
    assert set(by_class) == {k for k in truth.known if k[0] in offences}
    for key, n in by_class.items():
        assert n == truth.known[key], key
        assert upper_class[key] == n + numbers.SUPPRESSED_MAX * truth.suppressed_cells[key], key
    assert set(truth.by_class) == set(truth.by_class_upper)
    assert {c for _, _, c in truth.by_class} <= set(numbers.OFFENCE_WEIGHTS)
    # Replies by exact age: all but the figures whose age was not recorded.
    ages = {c for c, kind in truth.layouts.items() if kind in P.EXACT_AGE_LAYOUTS}
    assert set(by_age) == {k for k in truth.known if k[0] in ages}
    assert all(n <= truth.known[key] and upper_age[key] >= n for key, n in by_age.items())
    assert set(truth.by_age) == set(truth.by_age_upper)
    at_13 = sum(n for (_, year, age), n in truth.by_age.items() if (year, age) == ("2016/17", 13))
    assert at_13 == truth.headlines["2016/17"].modal_age_offences == 257


def test_truth_counts_sub_codes_in_the_class_ons_publishes_them_in(tmp_path):
    assert numbers.ons_class("71/17") == "88A" and numbers.ons_class("86") == "86"
    # The simulator's own mapping agrees with the reference the reader uses.
    for sub, ons in numbers.ONS_CLASS_OF_SUB_CODE.items():
        assert reference().sub_codes[sub] == {ons}
    assert {c for c in numbers.offence_weights("2017/18") if "/" in c} <= set(numbers.ONS_CLASS_OF_SUB_CODE)
    truth = simulate_round(tmp_path, round_name="2018-online-child-sex-offences", years=["2016/17", "2017/18"],
                           scale=0.3)
    assert not any("/" in c for _, _, c in truth.by_class)
    offences = {c for c, kind in truth.layouts.items() if kind in P.OFFENCE_LAYOUTS}
    assert sum(truth.by_class.values()) == sum(n for (c, _), n in truth.known.items() if c in offences)


def test_every_layout_and_reply_kind_appears(sample):
    truth, out = sample
    kinds = set(truth.layouts.values())
    assert set(P.PLAN[c][0] for c in P.PLAN) == kinds
    suffixes = {p.suffix for p in (out / SAMPLE_ROUND).rglob("*") if p.is_file()}
    assert {".csv", ".xlsx", ".xls", ".ods", ".pdf", ".docx", ".txt"} <= suffixes
    cp1252 = (out / SAMPLE_ROUND / "cumbria" / "foi_2017_0457.csv").read_bytes()
    assert b"\x96" in cp1252 and b";" in cp1252  # an en dash in cp1252, ';' delimited


def test_folders_name_distinct_forces(sample):
    truth, out = sample
    folders = [p.name for p in (out / SAMPLE_ROUND).iterdir() if p.is_dir()]
    codes = [match_force(f).code for f in folders]
    assert len(codes) == len(set(codes)) == 42  # one force did not reply


def normalise(name: str) -> str:
    name = name.lower().replace("&", " and ")
    name = re.sub(r"[^a-z0-9 ]+", " ", name)
    return " ".join(w for w in name.split() if w not in ("police", "constabulary", "service"))


def test_folder_names_are_names_and_aliases_of_distinct_forces(sample):
    """Checked against schemas/forces.csv directly, not through the matcher under test."""
    _, out = sample
    names: dict[str, set[str]] = {}
    with open(PROJECT_ROOT / "schemas" / "forces.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            for n in [row["force_name"], *row["aliases"].split(";")]:
                if n.strip():
                    names.setdefault(normalise(n), set()).add(row["force_code"])
    folders = sorted(p.name for p in (out / SAMPLE_ROUND).iterdir() if p.is_dir())
    matched = {f: names.get(normalise(f), set()) for f in folders}
    assert all(len(codes) == 1 for codes in matched.values()), matched
    codes = [next(iter(c)) for c in matched.values()]
    assert len(set(codes)) == len(codes) == 42
    assert set(codes) == {c for c, (kind, _) in P.PLAN.items() if kind != P.NO_REPLY}


def test_a_plain_xlsx_is_read_as_cells_with_real_dates(tmp_path):
    from flows.cells import read_workbook

    path = tmp_path / "records.xlsx"
    write_plain_xlsx(path, "Records", [["Title & <preamble>"], [], ["URN", "Date", "Offence", "Age"],
                                       ["A/1", date(2016, 4, 1), "88A", 13], ["A/2", date(2017, 3, 31), "86", None]])
    sheet = read_workbook(path).sheets[0]
    values = {(c.row, c.col): c.value for c in sheet.cells.values()}
    assert sheet.name == "Records"
    assert values[(1, 1)] == "Title & <preamble>"
    assert values[(4, 2)] in (date(2016, 4, 1), datetime(2016, 4, 1))
    assert values[(5, 2)] in (date(2017, 3, 31), datetime(2017, 3, 31))
    assert values[(4, 4)] == 13 and (5, 4) not in values


def test_record_level_share_turns_forces_into_record_lists(tmp_path):
    truth = simulate_round(tmp_path, round_name="2018-online-child-sex-offences", years=["2016/17", "2017/18"],
                           scale=0.3, record_level_share=1.0)
    data_kinds = {k for k in truth.layouts.values() if k not in (P.S12, P.S40, P.NO_REPLY)}
    assert data_kinds == set(P.RECORD_LAYOUTS)
    assert truth.records == sum(truth.true.values()) == sum(truth.known.values())
    # Sexual communication (88E) exists from April 2017: in 2017/18 lists, never in 2016/17.
    text = "".join(p.read_text("cp1252") for p in tmp_path.rglob("*.csv"))
    lines_1718 = [ln for ln in text.splitlines() if re.search(r"/(0[4-9]|1[0-2])/2017|/0[1-3]/2018", ln)]
    assert any("communication" in ln.lower() for ln in lines_1718)
    assert not any("communication" in ln.lower() for ln in text.splitlines() if ln not in lines_1718)


def test_several_rounds_for_benchmarks(tmp_path):
    truths = simulate_rounds(tmp_path, rounds=2, scale=0.2, record_level_share=0.5)
    assert [t.round_name for t in truths] == ["2018-online-child-sex-offences", "2019-online-child-sex-offences"]
    assert sorted({y for _, y in truths[1].known}) == ["2016/17", "2017/18"]
    assert truths[0].records > 0
