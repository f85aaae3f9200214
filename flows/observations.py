"""What the layouts hand on: observations, each keeping the cell it came from.

A layout turns a Sheet into a Reading. Nothing here knows about force codes or the
warehouse; facts.py maps these to the `offences` table.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Count:
    """A count as the reply states it. Suppressed counts have no value, only bounds."""

    value: int | None  # None when suppressed; never 0 for a suppressed cell
    lower: int
    upper: int
    suppressed: bool = False
    raw: str = ""  # the text as written, for messages ('*', '<5', '1,234')

    @classmethod
    def known(cls, n: int, raw: str = "") -> "Count":
        return cls(value=n, lower=n, upper=n, suppressed=False, raw=raw or str(n))


NIL_LAYOUT = "nil"
"""The layout of a reply (a sheet or a letter) that says in words that nothing was
recorded: facts.py lets any figures the force gives elsewhere win over it."""


@dataclass(frozen=True, slots=True)
class Observation:
    """One number of a reply: a table cell, or one record of a record-level list (count 1)."""

    financial_year: str  # canonical '2016/17'
    offence: str | None  # as the reply names it (code or words); None: no offence breakdown
    age_min: int | None  # exact age: min == max; band: its bounds; None: not recorded/given
    age_max: int | None
    count: Count
    source: str  # the cell(s): 'Data!D7', 'Records!A5:D5', 'line 12, column C'
    table: str  # which table of the file it belongs to, e.g. 'Data!B4:F20'
    # For a stated total: the range the parts it covers allow (known sum .. known sum +
    # the suppressed parts' upper bounds), so the warehouse can check it again.
    parts_lower: int | None = None
    parts_upper: int | None = None
    # An offence label the classification does not know, kept because the stated total
    # at this cell proves it is a part of the table (flows.layouts.figures): '' otherwise.
    unclassified: str = ""


# Problem kinds. A stated total that disagrees with its parts is the reply contradicting
# itself, not the reader failing to understand it: it blocks publication until a
# reviewer decides (schemas/reviews.csv), where other problems quarantine the file.
TOTAL_MISMATCH = "total_mismatch"
# An offence label the classification does not know: the layout keeps the figure aside
# and it loads (as 'unclassified') only if a stated total proves it is a part.
UNKNOWN_OFFENCE = "unknown_offence"
# Figures for calendar years, not financial years: never read, but beside a sheet of
# financial years in the same file they are only a note (the answer is on the other sheet).
CALENDAR_YEARS = "calendar_years"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a file cannot be trusted. The message names the file's sheet and cells."""

    message: str
    source: str = ""  # the cell or range the problem is about, when there is one
    kind: str = ""  # "" (the reader cannot trust its reading), TOTAL_MISMATCH, UNKNOWN_OFFENCE or CALENDAR_YEARS


@dataclass
class Reading:
    """What one layout made of one sheet, and how sure it is (0..1).

    `totals` are the totals and subtotals the reply states: kept to check the parts
    against, never added in. Any problem keeps the whole file out of the figures.
    """

    layout: str
    confidence: float
    observations: list[Observation] = field(default_factory=list)
    totals: list[Observation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def nil_observations(years: list[str], where: str, table: str) -> list[Observation]:
    """A nil return: 0 for each financial year it names, sourced to the words that say so."""
    return [Observation(fy, None, None, None, Count.known(0, raw="nil"), where, table) for fy in years]
