"""The simulator: reproducible bytes, the published figures, every layout present."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from flows import PROJECT_ROOT, SAMPLE_ROUND
from flows.forces import match_force
from flows.simulate import plan as P
from flows.simulate import simulate_round, simulate_rounds


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
    folders = [p.name for p in (out / SAMPLE_ROUND).iterdir()]
    codes = [match_force(f).code for f in folders]
    assert len(codes) == len(set(codes)) == 42  # one force did not reply


def test_several_rounds_for_benchmarks(tmp_path):
    truths = simulate_rounds(tmp_path, rounds=2, scale=0.2, record_level_share=0.5)
    assert [t.round_name for t in truths] == ["2018-online-child-sex-offences", "2019-online-child-sex-offences"]
    assert sorted({y for _, y in truths[1].known}) == ["2016/17", "2017/18"]
    assert truths[0].records > 0
