"""Reviewers' decisions (schemas/reviews.csv): a reply whose totals disagree is kept out
and blocks until a reviewer excludes it; decisions are keyed on the file's bytes."""
from __future__ import annotations

from pathlib import Path

import pytest

from flows import reading as st
from flows.discover import discover_raw
from flows.facts import build_facts
from flows.reading import read_reply
from flows.reviews import load_reviews

ROUND = "2017-review-test"
KENT, TVP = "E23000032", "E23000029"
WRONG_TOTAL = ("Year,Offence,Count\n2016/17,Sexual grooming,30\n2016/17,Sexual communication with a child,4\n"
               "2016/17,Total,31\n")
# '*' is 1 to 4 (say), so 30 + * can be 33: a total that agrees, allowing for suppression
SUPPRESSED_TOTAL = ("Year,Offence,Count\n2016/17,Sexual grooming,30\n"
                    "2016/17,Sexual communication with a child,*\n2016/17,Total,33\n")


@pytest.fixture
def raw(tmp_path) -> Path:
    root = tmp_path / "raw" / ROUND
    (root / "Kent").mkdir(parents=True)
    (root / "Kent" / "reply.csv").write_text(WRONG_TOTAL)
    (root / "TVP").mkdir()
    (root / "TVP" / "reply.csv").write_text(SUPPRESSED_TOTAL)
    return root.parent


def facts_of(raw: Path, reviews=None):
    rounds, _ = discover_raw(raw)
    readings = [read_reply(f) for r in rounds for f in r.files]
    return build_facts(rounds, readings, reviews={} if reviews is None else reviews)


def status(facts, force):
    return facts.returns.set_index("force_code").loc[force]


def test_a_total_that_disagrees_keeps_the_reply_out_but_its_totals_in(raw):
    facts = facts_of(raw)
    kent = status(facts, KENT)
    assert kent.status == st.TOTALS_DISAGREE and kent.rows_loaded == 0
    assert "line 4, column C (31) does not match its parts: its 2 parts add up to 34" in kent.message
    assert "blocks publication until a reviewer decides in schemas/reviews.csv" in kent.message
    assert KENT not in set(facts.offences.force_code)  # never in the figures
    totals = facts.stated_totals.set_index("force_code")
    assert (totals.loc[KENT, ["offences", "parts_lower", "parts_upper", "loaded", "source"]].tolist()
            == [31, 34, 34, False, "line 4, column C"])
    # TVP's total over a suppressed part agrees, and loads
    assert status(facts, TVP).status == st.LOADED
    tvp = totals.loc[TVP]
    assert tvp.offences == 33 and tvp.parts_lower == 31 and tvp.parts_upper >= 33 and tvp.loaded
    replies = facts.force_replies.set_index("force_code")
    assert replies.loc[KENT, "reply"] == "quarantined"


def write_reviews(path: Path, *rows: str) -> Path:
    path.write_text("sha256,decision,reviewer,reviewed_on,reason,path\n" + "".join(r + "\n" for r in rows))
    return path


def test_a_reviewer_excludes_the_reply_by_its_bytes(raw, tmp_path):
    rounds, _ = discover_raw(raw)
    sha = next(f.sha256 for r in rounds for f in r.files if f.force_code == KENT)
    reviews, problems = load_reviews(write_reviews(
        tmp_path / "reviews.csv", f"{sha},exclude,A. Reviewer,2026-11-29,Kent asked to resend,Kent/reply.csv"))
    assert problems == []
    facts = facts_of(raw, reviews)
    kent = status(facts, KENT)
    assert kent.status == st.EXCLUDED_BY_REVIEW
    assert "excluded by A. Reviewer on 2026-11-29: Kent asked to resend" in kent.message
    assert "before review: totals_disagree" in kent.message
    assert "blocks publication" not in kent.message
    assert KENT not in set(facts.stated_totals.force_code)  # nothing left to block
    assert KENT not in set(facts.offences.force_code)

    # The force sends a corrected reply: new bytes, so the old decision does not cover it.
    (raw / ROUND / "Kent" / "reply.csv").write_text(WRONG_TOTAL.replace("Total,31", "Total,34"))
    fixed = facts_of(raw, reviews)
    assert status(fixed, KENT).status == st.LOADED
    assert fixed.offences.loc[fixed.offences.force_code == KENT, "offences"].sum() == 34


@pytest.mark.parametrize("row, message", [
    ("abc,exclude,A,2026-11-29,r,", "64 hex digits"),
    (f"{'a' * 64},use_it,A,2026-11-29,r,", "decision 'use_it' is not one of exclude"),
    (f"{'a' * 64},exclude,,2026-11-29,r,", "needs a reviewer and a reason"),
    (f"{'a' * 64},exclude,A,2026-11-29,,", "needs a reviewer and a reason"),
])
def test_a_malformed_review_is_reported_and_not_used(tmp_path, row, message):
    reviews, problems = load_reviews(write_reviews(tmp_path / "reviews.csv", row))
    assert reviews == {}
    assert len(problems) == 1 and "reviews.csv line 2" in problems[0] and message in problems[0]


def test_a_second_decision_for_one_file_is_reported(tmp_path):
    sha = "b" * 64
    reviews, problems = load_reviews(write_reviews(
        tmp_path / "reviews.csv", f"{sha},exclude,A,d,first,", f"{sha.upper()},exclude,B,d,second,"))
    assert reviews[sha].reason == "first"
    assert problems == [f"reviews.csv line 3: a second decision for {sha[:12]} (first at line 2); only the first is used"]


def test_the_project_reviews_file_is_well_formed():
    reviews, problems = load_reviews()
    assert problems == []
