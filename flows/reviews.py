"""Reviewers' decisions on replies the pipeline will not decide alone.

A reply whose stated totals disagree with its own figures blocks publication: the
pipeline cannot know whether the total or the parts are wrong. A reviewer records what
to do in schemas/reviews.csv, keyed on the file's sha256 so the decision covers exactly
the bytes reviewed: a corrected reply from the force is a new file and is checked again.

Decisions:
  exclude  keep the reply out of the figures (any reply, not only one that blocks).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from flows import SCHEMAS

REVIEWS_CSV = SCHEMAS / "reviews.csv"
DECISIONS = ("exclude",)
COLUMNS = ("sha256", "decision", "reviewer", "reviewed_on", "reason", "path")


@dataclass(frozen=True)
class Review:
    sha256: str
    decision: str
    reviewer: str
    reviewed_on: str
    reason: str
    path: str = ""  # the file as the reviewer saw it; for people, not for matching
    line: int = 0

    def describe(self) -> str:
        return (f"by {self.reviewer} on {self.reviewed_on}: {self.reason} "
                f"(schemas/reviews.csv line {self.line})")


def load_reviews(path: Path = REVIEWS_CSV) -> tuple[dict[str, Review], list[str]]:
    """(reviews by sha256, problems). A malformed row is reported and not used: a
    decision half-written must not drop a reply, nor stop the refresh."""
    if not path.is_file():
        return {}, []
    reviews: dict[str, Review] = {}
    problems: list[str] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS[:5] if c not in (reader.fieldnames or [])]
        if missing:
            return {}, [f"{path.name}: missing column(s) {', '.join(missing)}; no review used"]
        for line, row in enumerate(reader, start=2):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            sha, decision = row["sha256"].lower(), row["decision"].lower()
            where = f"{path.name} line {line}"
            if not re.fullmatch(r"[0-9a-f]{64}", sha):
                problems.append(f"{where}: sha256 must be the file's 64 hex digits; row not used")
            elif decision not in DECISIONS:
                problems.append(f"{where}: decision '{row['decision']}' is not one of "
                                f"{', '.join(DECISIONS)}; row not used")
            elif not row["reviewer"] or not row["reason"]:
                problems.append(f"{where}: a decision needs a reviewer and a reason; row not used")
            elif sha in reviews:
                problems.append(f"{where}: a second decision for {sha[:12]} (first at line "
                                f"{reviews[sha].line}); only the first is used")
            else:
                reviews[sha] = Review(sha, decision, row["reviewer"], row["reviewed_on"],
                                      row["reason"], row.get("path", ""), line)
    return reviews, problems
