"""What a reply's labels mean: financial years, dates, ages, counts, totals, offences.

Pure functions of one cell value each, so every layout reads a label the same way and
the spellings of docs/reply-layouts.md are tested in one place. The rule throughout:
when a value could mean two things, say "not recognised" rather than pick one.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Mapping

from flows.observations import Count, Problem

# ---------------------------------------------------------------------------- text

_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-",
                         "\u00a0": " ", "\u2009": " ", "\u202f": " "})


def _clean(value: str) -> str:
    """Lower case, one kind of dash and space, single spaces."""
    return re.sub(r"\s+", " ", value.translate(_DASHES)).strip().lower()


# -------------------------------------------------------------------- financial years

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8,
    "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10,
    "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_SEP = r"\s*(?:-|to|until|and)\s*"
_DATE_TEXT = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[\s-]+{_MONTH}[\s,-]+\d{{2,4}})"
)
_FY_PREFIX = re.compile(r"^(?:financial\s+year|fin\.?\s+year|f\.?y\.?|year)\s*:?\s*", re.I)
_FY_SUFFIX = re.compile(r"\s*\(?\s*(?:apr(?:il)?\s*-\s*mar(?:ch)?|april to march|financial year|fy)\s*\)?$")
_FY_FOOTNOTE = re.compile(r"(?<=\d)\s*(?:[¹²³⁴⁵⁶⁷⁸⁹⁰*†‡]+|\((?:\d{1,2}|[a-z]|note \d{1,2}|provisional|revised|final)\)"
                          r"|\[(?:\d{1,2}|[a-z]|note \d{1,2})\]|\s(?:provisional|revised|final))$")
# '21/22' is the year 2021/22: a slash pair of consecutive two-digit years past any child's
# age (ages stop at 17, so '16/17' stays unread: it could be an age band)
_FY_SHORT_SLASH = re.compile(r"^(\d{2})\s*/\s*(\d{2})$")
_FY_SPLIT = re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$")
_FY_SHORT = re.compile(r"^(\d{2})\s*[/-]\s*(\d{2})$")  # only after 'FY': '16-17' alone is an age band
_FY_MONTHS = re.compile(rf"^apr(?:il)?[\s-]*(\d{{2}}|\d{{4}}){_SEP}mar(?:ch)?[\s-]*(\d{{2}}|\d{{4}})$")
_FY_DATES = re.compile(rf"^(?:between\s+|from\s+)?({_DATE_TEXT}){_SEP}({_DATE_TEXT})$")
# ONS style: 'Year ending March 2020', 'YE Mar 2020', 'Year to 31 March 2021' (April to March)
_FY_ENDING = re.compile(
    r"^(?:(?:financial\s+)?year\s+(?:ending|ended|to)|ye)\s+(?:(?:31(?:st)?\s+)?mar(?:ch)?\s+|31[/.-]0?3[/.-])(\d{4})$")
# the same spellings inside a longer line, for titles such as 'Financial year 2016/17'
_FY_IN_TEXT = re.compile(
    rf"(?<![\d/])(?:\d{{4}}\s*[/-]\s*(?:\d{{4}}|\d{{2}})(?![\d/])"
    rf"|fy\s*\d{{2}}\s*[/-]\s*\d{{2}}(?![\d/])"
    rf"|apr(?:il)?[\s-]*\d{{2,4}}{_SEP}mar(?:ch)?[\s-]*\d{{2,4}}"
    rf"|{_DATE_TEXT}{_SEP}{_DATE_TEXT}"
    r"|(?:(?:financial\s+)?year\s+(?:ending|ended|to)|\bye)\s+(?:31(?:st)?\s+)?mar(?:ch)?\s+\d{4})"
)


def _full_year(y: str) -> int:
    n = int(y)
    return n if len(y) == 4 else 2000 + n


def _fy_label(start: int) -> str | None:
    if not 1990 <= start <= 2100:
        return None
    return f"{start}/{(start + 1) % 100:02d}"


def _fy_from_pair(first: str, second: str) -> str | None:
    start = _full_year(first)
    if len(second) == 2:
        ok = int(second) == (start + 1) % 100
    else:
        ok = int(second) == start + 1
    return _fy_label(start) if ok else None


def _fy_from_dates(start: date | None, end: date | None) -> str | None:
    if start is None or end is None:
        return None
    if (start.month, start.day) == (4, 1) and end == date(start.year + 1, 3, 31):
        return _fy_label(start.year)
    return None


def financial_year(value) -> str | None:
    """'2016/17' for every spelling of the April-March year 2016-17; None otherwise.

    A pair (start, end) of dates is a year when it runs 1 April to 31 March. Bare
    two-digit pairs ('16-17') are age bands unless written 'FY16-17'.
    """
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return _fy_from_dates(parse_date(value[0]), parse_date(value[1]))
    if not isinstance(value, str):
        return None
    text = _FY_FOOTNOTE.sub("", _clean(value))  # '2020/21¹', '2021/22 (2)', '2021/22 [note 3]'
    prefixed = bool(_FY_PREFIX.match(text))
    text = _FY_PREFIX.sub("", text)
    text = _FY_SUFFIX.sub("", text).strip()
    if m := _FY_SPLIT.match(text):
        return _fy_from_pair(m.group(1), m.group(2))
    if prefixed and (m := _FY_SHORT.match(text)):
        return _fy_from_pair(m.group(1), m.group(2))
    if (m := _FY_SHORT_SLASH.match(text)) and int(m.group(1)) >= 18:
        return _fy_from_pair(m.group(1), m.group(2))
    if m := _FY_MONTHS.match(text):
        start, end = _full_year(m.group(1)), _full_year(m.group(2))
        return _fy_label(start) if end == start + 1 else None
    if m := _FY_DATES.match(text):
        return _fy_from_dates(parse_date(m.group(1)), parse_date(m.group(2)))
    if m := _FY_ENDING.match(_clean(value)):
        return _fy_label(int(m.group(1)) - 1)
    return None


def financial_years_in(text: str) -> list[str]:
    """Every financial year named inside a line ('Financial year 2016/17' -> ['2016/17'])."""
    found: list[str] = []
    for m in _FY_IN_TEXT.finditer(_clean(text)):
        fy = financial_year(m.group(0))
        if fy and fy not in found:
            found.append(fy)
    return found


def financial_year_of(d: date) -> str:
    """The financial year a date falls in: 31 March 2017 -> '2016/17', 1 April -> '2017/18'."""
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


_CAL_PATTERNS = [
    re.compile(r"^(?:calendar year|cy|year)?\s*(\d{4})(?:\s*\(?calendar(?: year)?\)?)?$"),
    re.compile(rf"^jan(?:uary)?\s*(?:\d{{4}})?{_SEP}dec(?:ember)?\s*(\d{{4}})$"),
    re.compile(r"^(?:calendar year|cy)\s*(\d{4})$"),
    re.compile(r"^(?:year\s+(?:ending|ended|to)|ye)\s+(?:31(?:st)?\s+)?dec(?:ember)?\s+(\d{4})$"),
]
_CAL_IN_TEXT = re.compile(
    rf"calendar year\s*\d{{4}}|\d{{4}}\s*calendar year|jan(?:uary)?\s*(?:\d{{4}})?{_SEP}dec(?:ember)?\s*\d{{4}}"
)


def is_calendar_year(value) -> bool:
    """'2016', 2016, 'Jan-Dec 2016', '2016 calendar year', '01/01/2016 - 31/12/2016'."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 1990 <= value <= 2100
    if isinstance(value, float):
        return value.is_integer() and 1990 <= value <= 2100
    if not isinstance(value, str):
        return False
    text = _clean(value)
    for pattern in _CAL_PATTERNS:
        if (m := pattern.match(text)) and 1990 <= int(m.group(1)) <= 2100:
            return True
    if m := _FY_DATES.match(text):
        start, end = parse_date(m.group(1)), parse_date(m.group(2))
        return bool(start and end and (start.month, start.day) == (1, 1)
                    and end == date(start.year, 12, 31))
    return False


def names_calendar_year(text: str) -> bool:
    """A title line that says the figures are for a calendar year ('Calendar year 2016')."""
    return isinstance(text, str) and bool(_CAL_IN_TEXT.search(_clean(text)))


# ---------------------------------------------------------------------------- dates

_EXCEL_EPOCH = date(1899, 12, 30)
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)?$")
_YMD = re.compile(r"^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)?$")
_D_MON_Y = re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?[\s-]+({_MONTH})[\s,-]+(\d{{4}}|\d{{2}})$")
_MON_D_Y = re.compile(rf"^({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})$")


def _make_date(y: int, m: int, d: int) -> date | None:
    try:
        out = date(y, m, d)
    except ValueError:
        return None
    return out if 1900 <= out.year <= 2100 else None


def _year(y: str) -> int:
    n = int(y)
    if len(y) == 4:
        return n
    return 2000 + n if n < 70 else 1900 + n


_MONTH_FIRST = re.compile(r"\bmm\s*[/.-]\s*dd\b", re.I)


def says_month_first(heading) -> bool:
    """A date column headed 'Date Recorded (MM/DD/YYYY)': its dates are month first."""
    return isinstance(heading, str) and bool(_MONTH_FIRST.search(heading))


def parse_date(value, *, serial: bool = False, month_first: bool = False) -> date | None:
    """A date from a real date, UK day-first text (month first only where the column's
    heading says so), or (when `serial`) an Excel serial.

    Serial numbers are only dates where the caller knows the column holds dates.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if not serial or (isinstance(value, float) and not math.isfinite(value)):
            return None
        if not 1 <= value < 2958466:
            return None
        out = _EXCEL_EPOCH + timedelta(days=int(value))
        return out if 1900 <= out.year <= 2100 else None
    if not isinstance(value, str) or not any(ch.isdigit() for ch in value) or len(value) > 40:
        return None
    text = _clean(value)
    if serial and re.fullmatch(r"\d{5}(?:\.\d+)?", text):
        return parse_date(float(text), serial=True)
    if m := _DMY.match(text):
        first, second = int(m.group(1)), int(m.group(2))
        day, month = (second, first) if month_first else (first, second)
        return _make_date(_year(m.group(3)), month, day)
    if m := _YMD.match(text):
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _D_MON_Y.match(text):
        month = _MONTHS.get(m.group(2))
        return _make_date(_year(m.group(3)), month, int(m.group(1))) if month else None
    if m := _MON_D_Y.match(text):
        month = _MONTHS.get(m.group(1))
        return _make_date(int(m.group(3)), month, int(m.group(2))) if month else None
    return None


# ------------------------------------------------------------------------------ sex

SEX_WORDS = frozenset({"female", "females", "girl", "girls", "male", "males", "boy", "boys", "f", "m"})
"""Headings that split figures by the victim's sex (normalised, as `normalise` gives them)."""


# ----------------------------------------------------------------------------- ages

EXACT = "exact"        # min == max
BAND = "band"          # min < max
UNKNOWN = "unknown"    # not recorded: loaded with no age
ADULT = "adult"        # 18 or over: reported, not loaded
NEGATIVE = "negative"  # below 0: reported, not loaded
MIXED = "mixed"        # a band that runs across 18 ('16-20', '16+'): cannot be split
NOT_AGE = "not_age"


@dataclass(frozen=True, slots=True)
class Age:
    kind: str
    min: int | None = None
    max: int | None = None

    @property
    def is_child(self) -> bool:
        """An age or band of a child: loaded with its bounds."""
        return self.kind in (EXACT, BAND)

    @property
    def is_label(self) -> bool:
        """Something an age column or header may hold (anything but NOT_AGE)."""
        return self.kind != NOT_AGE


_UNKNOWN_AGES = {
    "", "unknown", "not known", "not recorded", "n/k", "nk", "n.k.", "not stated", "unrecorded",
    "age unknown", "unknown age", "age not known", "age not recorded", "no age recorded",
    "not given", "missing", "n/a", "na", "not applicable", "blank", "(blank)", "no data",
}
_AGE_PREFIX = re.compile(r"^(?:victims?\s+)?(?:aged?|age)\s*:?\s*")
_AGE_SUFFIX = re.compile(r"\s*(?:years? old|years?|yrs?\.?|yo|y)$")
_AGE_RANGE = re.compile(r"^(-?\d+)\s*(?:-|to)\s*(-?\d+)$")
_AGE_UNDER = re.compile(r"^(?:under|<|less than|below|younger than)\s*(\d+)$")
_AGE_OVER = re.compile(r"^(\d+)\s*(?:\+|and over|or over|and above|or above|or older|and older|plus)$")
_AGE_ABOVE = re.compile(r"^(?:over|>|older than|above)\s*(\d+)$")


def _age_span(lo: int, hi: int) -> Age:
    if lo > hi or hi > 120:
        return Age(NOT_AGE)
    if lo < 0:
        return Age(NEGATIVE, lo, hi)
    if lo >= 18:
        return Age(ADULT, lo, hi)
    if hi >= 18:
        return Age(MIXED, lo, hi)
    return Age(EXACT if lo == hi else BAND, lo, hi)


@lru_cache(maxsize=4096)
def _age_of_text(text: str) -> Age:
    return _age_text(text)


def age(value) -> Age:
    """The victim age a label states. 'Under 1' is 0; 'Under 10' is 0-9; '16-17' is a
    band and '2016-17' (a year) is not an age. Blank is UNKNOWN (record lists)."""
    if value is None:
        return Age(UNKNOWN)
    if isinstance(value, bool):
        return Age(NOT_AGE)
    if isinstance(value, float):
        if not value.is_integer():
            return Age(NOT_AGE)
        value = int(value)
    if isinstance(value, int):
        return _age_span(value, value) if value <= 120 else Age(NOT_AGE)
    if not isinstance(value, str):
        return Age(NOT_AGE)
    return _age_of_text(value)


_AGE_NOTE = re.compile(r"\s*\((?:for context|for information|not requested|excluded|see note[^)]*)\)$", re.I)


def _age_text(value: str) -> Age:
    text = _AGE_NOTE.sub("", _clean(value))  # '18 and over (for context)
    if text in _UNKNOWN_AGES:
        return Age(UNKNOWN)
    if text in ("adult", "adults", "18 and over", "over 18s"):
        return Age(ADULT, 18, None)
    text = _AGE_SUFFIX.sub("", _AGE_PREFIX.sub("", text)).strip()
    if text in _UNKNOWN_AGES - {""}:
        return Age(UNKNOWN)
    if re.fullmatch(r"-?\d+", text):
        n = int(text)
        return _age_span(n, n) if n <= 120 else Age(NOT_AGE)
    if m := _AGE_RANGE.match(text):
        return _age_span(int(m.group(1)), int(m.group(2)))
    if m := _AGE_UNDER.match(text):
        n = int(m.group(1))
        return _age_span(0, n - 1) if n >= 1 else Age(NOT_AGE)
    if m := _AGE_OVER.match(text):
        n = int(m.group(1))
        return Age(ADULT, n, None) if n >= 18 else Age(MIXED, n, None)
    if m := _AGE_ABOVE.match(text):
        n = int(m.group(1)) + 1
        return Age(ADULT, n, None) if n >= 18 else Age(MIXED, n, None)
    return Age(NOT_AGE)


# ---------------------------------------------------------------------------- counts

DEFAULT_SUPPRESSED = (1, 4)
"""Bounds of a bare suppression marker ('*', '[c]', '..') when the reply does not say:
police forces suppress figures between 1 and 4. A footnote overrides this."""

_MARKERS = {"*", "**", "***", "[c]", "(c)", "c", "..", "supp", "suppressed", "redacted", "[low]"}
_NOT_AVAILABLE = {"[x]", "x", "[z]", "z", "n/a", "na", "n/k", ":", "[u]", "not available", "not applicable",
                  "unavailable", "not held", "n/av"}


def not_available(value) -> bool:
    """A cell that says there is no figure ('n/a', 'Not available', '[x]'): neither a
    count nor a suppressed count, and never 0. Layouts leave such cells out and say so."""
    return isinstance(value, str) and _clean(value) in _NOT_AVAILABLE
_NIL_DASHES = {"-", "--"}
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:\.0+)?"  # '1,234', '1 234' (thin space too)
_PLAIN = re.compile(rf"^({_NUMBER})$")
_FOOTNOTED = re.compile(
    rf"^({_NUMBER})\s*(?:\((?:[a-z]|\d{{1,2}}|note \d+)\)|\[(?:[a-z]|\d{{1,2}}|note \d+)\]"
    r"|[*~†‡§#^¹²³⁴⁵⁶⁷⁸⁹⁰]+)$"
)
_LESS_THAN = re.compile(r"^(?:<|less than|fewer than|under)\s*(\d+)$")
_AT_MOST = re.compile(r"^(?:<=|≤|=<)\s*(\d+)$")
_RANGE = re.compile(r"^(\d{1,2})\s*(?:-|to)\s*(\d{1,2})$")


def _to_int(number: str) -> int:
    return int(number.replace(",", "").replace(" ", "").split(".")[0])


def count(
    value,
    *,
    nil_dash: bool = False,
    markers: Mapping[str, tuple[int, int]] | None = None,
) -> Count | Problem | None:
    """A count as the reply states it; None when the cell holds no count (blank, words,
    dates); a Problem when it looks like a count that cannot be trusted.

    Suppressed counts ('*', '<5', '1-4', '[c]', '..') keep no value, only bounds:
    '<N' is 1..N-1, 'A-B' is A..B, a bare marker is DEFAULT_SUPPRESSED or what
    `markers` (learned from the reply's footnotes) says. '-' is 0 only with `nil_dash`.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (date, datetime, time)):
        return None
    if isinstance(value, int):
        if value < 0:
            return Problem(f"a negative count ({value})")
        return Count.known(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value < 0:
            return Problem(f"a negative count ({value:g})")
        if not value.is_integer():
            return Problem(f"not a whole number ({value:g})")
        return Count.known(int(value))
    if not isinstance(value, str):
        return None
    raw = value.strip()
    if markers and raw in markers:
        lo, hi = markers[raw]
        return Count(value=None, lower=lo, upper=hi, suppressed=True, raw=raw)
    if markers and (text := _clean(value)) in markers:
        lo, hi = markers[text]
        return Count(value=None, lower=lo, upper=hi, suppressed=True, raw=raw)
    return _count_text(raw, nil_dash)


@lru_cache(maxsize=16384)
def _count_text(raw: str, nil_dash: bool) -> Count | Problem | None:
    if len(raw) > 24 and not raw[:1].isdigit():
        return None  # a sentence, not a figure
    text = _clean(raw)
    if not text:
        return None
    if text in _NIL_DASHES:
        if nil_dash:
            return Count.known(0, raw=raw)
        return Problem(f"'{raw}' could mean nil or not available and the reply does not say which")
    if text == "nil":
        return Count.known(0, raw=raw)
    if text in _MARKERS:
        lo, hi = DEFAULT_SUPPRESSED
        return Count(value=None, lower=lo, upper=hi, suppressed=True, raw=raw)
    if text in _NOT_AVAILABLE:
        return Problem(f"'{raw}' means not available: neither a count nor a suppressed count")
    if m := _PLAIN.match(text) or _FOOTNOTED.match(text):
        return Count.known(_to_int(m.group(1)), raw=raw)
    if m := _LESS_THAN.match(text):
        n = int(m.group(1))
        if n >= 2:
            return Count(value=None, lower=1, upper=n - 1, suppressed=True, raw=raw)
        return Problem(f"'{raw}' is not a usable suppressed count")
    if m := _AT_MOST.match(text):
        n = int(m.group(1))
        if n >= 1:
            return Count(value=None, lower=1, upper=n, suppressed=True, raw=raw)
        return Problem(f"'{raw}' is not a usable suppressed count")
    if m := _RANGE.match(text):
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo < hi:
            return Count(value=None, lower=lo, upper=hi, suppressed=True, raw=raw)
        return Problem(f"'{raw}' is not a usable range")
    if re.fullmatch(r"\(?-\s*[\d,.]+\)?|\(\s*[\d,.]+\s*\)", text):
        return Problem(f"a negative count ('{raw}')")
    if re.fullmatch(r"[\d,]*\.\d+", text):
        return Problem(f"not a whole number ('{raw}')")
    if re.search(r"\d", text) and len(text) <= 20 and not re.search(r"[a-z]{3,}", text):
        return Problem(f"'{raw}' is not a count this reader understands")
    return None


# ---------------------------------------------------------------------------- totals

@dataclass(frozen=True, slots=True)
class TotalLabel:
    """A total's label: 'grand' (everything) or 'sub' (a group, by name when it says one)."""

    kind: str  # 'grand' | 'sub'
    group: str | None = None  # an offence group of schemas/offences.csv ('rape')


_TOTAL_WORDS = re.compile(r"\b(?:grand\s+total|sub[\s-]?totals?|totals?|overall|sum)\b")
_ALL = re.compile(r"^all(?:\s+(?:offences|crimes|ages|victims|years|offence types|ages combined))?$")


def total_label(text) -> TotalLabel | None:
    """What kind of total a label names, if any."""
    if not isinstance(text, str):
        return None
    low = text.lower()
    if "total" not in low and "all" not in low and "sum" not in low and "overall" not in low:
        return None
    t = _clean(text)
    bare = re.sub(r"[()\[\]:,.-]", " ", t)
    bare = re.sub(r"\s+", " ", bare).strip()
    if _ALL.match(bare):
        return TotalLabel("grand")
    if not _TOTAL_WORDS.search(bare):
        return None
    sub = bool(re.search(r"\bsub[\s-]?totals?\b", bare))
    rest = _TOTAL_WORDS.sub(" ", bare)
    rest = re.sub(r"\b(?:of|for|the|all ages|all offences|all|offences|number)\b", " ", rest)
    rest = re.sub(r"\s+", " ", rest).strip()
    if not rest:
        return TotalLabel("sub" if sub else "grand")
    group = offence_group(rest)
    if group:
        return TotalLabel("sub", group)
    if sub:
        return TotalLabel("sub")
    # 'Total (all ages)' style was handled above; other words after 'total' are a sub
    # of something unnamed, e.g. 'Total online': still a total, never a figure.
    return TotalLabel("sub")


def is_total(text) -> bool:
    """'Total', 'Grand total', 'All offences', 'Sub-total', 'Rape - total', ..."""
    return total_label(text) is not None


# -------------------------------------------------------------------------- offences

_STOPWORDS = {"a", "an", "the", "etc"}


def normalise(text: str) -> str:
    """The form labels are compared in: case, punctuation, '&'/'and', 'a'/'the', spaces."""
    t = _clean(str(text)).replace("&", " and ").replace("+", " plus ")
    t = re.sub(r"[^a-z0-9]+", " ", t)
    return " ".join(w for w in t.split() if w not in _STOPWORDS)


def _classes():
    from flows.classification import reference

    return reference()


def offence_group(text) -> str | None:
    """The offence group a label names ('Rape', 'Sexual assault'); 'Other' is not one."""
    if not isinstance(text, str):
        return None
    key = normalise(text)
    if key == "other":
        return None
    groups = {normalise(o.group): o.group for o in _classes().classes.values()}
    group = groups.get(key) or groups.get(re.sub(r"s\b", "", key))
    if group is None and key.endswith("s"):
        group = groups.get(key[:-1])
    return group


def offence_groups() -> dict[str, str]:
    """Class -> group, from schemas/offences.csv."""
    return {code: o.group for code, o in _classes().classes.items()}


def match_offence(text):
    """A label -> its Classification (flows.classification): the classes it names, the
    code and wording as written, and the reason when it names none."""
    from flows.classification import Classification, classify

    if isinstance(text, bool) or text is None:
        return Classification(frozenset(), "", reason="no offence given")
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    if isinstance(text, (int, float)):
        text = str(text)
    if not isinstance(text, str) or not text.strip():
        return Classification(frozenset(), str(text), reason="no offence given")
    return classify(text)


def offence_code(text) -> str | None:
    """The one class a label names ('88A - Sexual grooming' -> '88A'); None when it names
    none or several ('Rape of a child under 13' is 19E or 19H)."""
    return match_offence(text).code


def is_offence(text) -> bool:
    """The label names one or more offence classes of the reference."""
    return match_offence(text).recognised


def offences_named_in(text: str) -> list[str]:
    """Classes ('19E|19H') whose description or title appears inside a line (a title naming an offence)."""
    if not isinstance(text, str):
        return []
    from flows.classification import title_key

    line = f" {title_key(text)} "
    found = []
    for name, classes in _classes().titles.items():
        codes = "|".join(sorted(classes))
        if len(name) >= 8 and f" {name} " in line and codes not in found:
            found.append(codes)
    return found
