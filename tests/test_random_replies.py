"""Property: a reply rendered at random is either read to exactly its figures or
quarantined; never a different number, never a suppressed count as 0."""
from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.discover import discover_raw
from flows.facts import build_facts
from flows.reading import read_reply
from random_replies import random_spec, render


def read_totals(spec, root: Path):
    folder = root / "raw" / "2017-random" / "Kent"
    folder.mkdir(parents=True)
    render(spec, folder)
    rounds, _ = discover_raw(root / "raw")
    readings = [read_reply(r) for r in rounds[0].files]
    facts = build_facts(rounds, readings)
    if any(r.status != "loaded" for r in readings):
        return None, facts
    got = facts.offences[facts.offences.in_totals].groupby("financial_year")["offences"].sum()
    return {y: int(n) for y, n in got.items()}, facts


def check(spec, root: Path) -> bool:
    totals, facts = read_totals(spec, root)
    if totals is None:
        return False
    expected = {y: n for y, n in spec.expected().items()}
    assert totals == expected, (spec, totals)
    suppressed = sum(v is None for v in spec.cells.values())
    offences = facts.offences
    assert int(offences["suppressed"].sum()) == suppressed
    assert offences.loc[offences["suppressed"], "offences"].isna().all()
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_random_reply_is_read_exactly_or_quarantined(rnd):
    root = Path(tempfile.mkdtemp(prefix="foi-random-"))
    try:
        check(random_spec(rnd), root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_most_random_replies_are_read(tmp_path):
    """The property above would pass a reader that quarantined everything: it must not."""
    rng = random.Random(2017)
    loaded = sum(check(random_spec(rng), tmp_path / str(i)) for i in range(80))
    assert loaded >= 72, f"only {loaded} of 80 random replies were read"
