"""Possible personal data in a reply: where it is, never what it is.

A reply should hold counts, but forces forget the records behind them: a hidden sheet
of crimes, hidden rows or columns, a cell comment, a list beside the printed table. This
module finds such values with the vocabulary in schemas/personal_data.yaml (header
words, value patterns, role mailboxes that are not personal) and reports each finding
by sheet, cells and kind only. The values themselves stay inside a PersonalScan, in
memory, so that `scrub` can remove them from any message; a scan refuses to be pickled,
so it can never travel into Prefect's cache, a worker's pipe or a log.

Speed: only the distinct texts of a sheet are searched, and by their shape (every digit
written '0'): the 320,000 crime references or dates of a record sheet are one or two
shapes, searched once, joined into one string per pattern; the cells are then picked
out with C-speed map/compress passes. A sheet read from a file whose Cells were not
made is scanned from its Grid, the reader's rows, and none are made for it (a record
list of a million values needs no Cell per value). Nothing here keeps state between
calls (readers run in threads and worker processes); the vocabulary is loaded once
per process through an lru_cache.

Where a finding is: 'hidden sheet', 'hidden rows', 'hidden columns', 'comment',
'outside the table', 'in the table' (given the reader's tables), or 'sheet name' when a
sheet's name is itself personal; such a sheet is then named by its position
('sheet 4') in every finding, since its name cannot be printed.
"""
from __future__ import annotations

import gc
import posixpath
import re
import zipfile
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from itertools import accumulate, chain, compress, count, repeat
from operator import add, attrgetter, floordiv, is_, itemgetter, mod, or_, sub
from pathlib import Path
from typing import Iterable

import yaml

from flows.cells.grid import cell_value, column_number

VOCABULARY = Path(__file__).resolve().parent.parent / "schemas" / "personal_data.yaml"
KINDS = ("email", "phone", "postcode", "address", "date_of_birth", "name", "crime_reference", "other_identifier")
# When one cell matches several kinds it is reported once, as the most specific.
_PRIORITY = ("email", "date_of_birth", "name", "address", "postcode", "phone", "crime_reference", "other_identifier")
REMOVED = "[personal data removed]"
HIDDEN_SHEET, HIDDEN_ROWS, HIDDEN_COLUMNS = "hidden sheet", "hidden rows", "hidden columns"
COMMENT, OUTSIDE, IN_TABLE, SHEET_NAME = "comment", "outside the table", "in the table", "sheet name"
_WHERE_ORDER = (HIDDEN_SHEET, HIDDEN_ROWS, HIDDEN_COLUMNS, COMMENT, SHEET_NAME, OUTSIDE, IN_TABLE)
_MAX_RANGES = 12  # a finding lists at most this many ranges, then says how many more
_SEP = "\n"  # between the texts of one search: patterns never cross it (^ and $ are a cell's ends)

Range = tuple[int, int, int, int]


# --- what a finding says ---------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """One kind of possible personal data in one place of one sheet: cells, never values."""

    kind: str   # one of KINDS
    sheet: str  # the sheet's name, or 'sheet 3' when the name itself is personal
    where: str  # 'hidden sheet', 'hidden rows', 'hidden columns', 'comment', 'outside the table', 'in the table', 'sheet name'
    cells: str  # 'C2:C41' or 'B7, D9:D12' (empty for a sheet name)
    count: int  # how many cells (or comments)

    def describe(self) -> str:
        """"possible personal data (postcode) in hidden sheet 'Raw', cells C2:C41 (40 cells)"."""
        sheet = _quote(self.sheet)
        if self.where == SHEET_NAME:
            return f"possible personal data ({self.kind}) in the name of {self.sheet}"
        place = {
            HIDDEN_SHEET: f"hidden sheet {sheet}",
            HIDDEN_ROWS: f"hidden rows of sheet {sheet}",
            HIDDEN_COLUMNS: f"hidden columns of sheet {sheet}",
            COMMENT: f"{'a comment' if self.count == 1 else 'comments'} on sheet {sheet}",
            OUTSIDE: f"cells outside the table on sheet {sheet}",
            IN_TABLE: f"the table on sheet {sheet}",
        }.get(self.where, f"{self.where} of sheet {sheet}")
        noun = "comment" if self.where == COMMENT else "cell"
        single = self.count == 1 and ":" not in self.cells and "," not in self.cells
        cells = f"cell {self.cells}" if single else f"cells {self.cells}"
        return f"possible personal data ({self.kind}) in {place}, {cells} ({self.count} {noun}{'' if self.count == 1 else 's'})"


def _quote(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


@dataclass
class PersonalScan:
    """The findings of one file, and the values behind them for scrubbing messages.

    The values live only in this object's memory: it cannot be pickled (readings go into
    Prefect's cache and across process pipes; a scan must stay where it was made)."""

    findings: list[Finding] = field(default_factory=list)
    _values: frozenset = field(default=frozenset(), repr=False, compare=False)

    def __reduce_ex__(self, protocol):
        raise TypeError("a PersonalScan holds personal values and must not be pickled; keep its findings instead")

    def __reduce__(self):
        raise TypeError("a PersonalScan holds personal values and must not be pickled; keep its findings instead")

    def __getstate__(self):
        raise TypeError("a PersonalScan holds personal values and must not be pickled; keep its findings instead")

    def descriptions(self) -> list[str]:
        return [f.describe() for f in self.findings]

    def scrub(self, text: str) -> str:
        """`text` with every value found, and anything matching a value pattern, replaced
        by '[personal data removed]'."""
        text = str(text)
        spans = self._spans(text)
        if not spans:
            return text
        out, last = [], 0
        for start, end in spans:
            out.append(text[last:start])
            out.append(REMOVED)
            last = end
        out.append(text[last:])
        return "".join(out)

    def touches(self, text: str) -> bool:
        """Does `text` hold a value found, or anything matching a value pattern?"""
        return bool(self._spans(str(text), first=True))

    def _spans(self, text: str, first: bool = False) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        folded = text.lower()
        if len(folded) != len(text):  # a few characters change length when lowered
            folded = text
        lengths = self._lengths()
        if lengths:
            values = self.__dict__["_folded"]
            n = len(folded)
            for start in range(n):
                if start and folded[start - 1].isalnum():
                    continue  # a value starts a word, never inside one
                for length in lengths:
                    end = start + length
                    if end <= n and folded[start:end] in values and (end == n or not folded[end].isalnum()):
                        spans.append((start, end))
                        if first:
                            return spans
                        break
        for _, _, start, end in _vocabulary().matches([text]):
            spans.append((start, end))
            if first:
                return spans
        spans.sort()
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def _lengths(self) -> list[int]:
        """The lengths of the values (of two characters or more), longest first; and the
        values in lower case too. Built on first use: a scan never asked to scrub never pays."""
        lengths = self.__dict__.get("_value_lengths")
        if lengths is None:
            self.__dict__["_folded"] = frozenset(map(str.lower, self._values)) | self._values
            lengths = sorted({n for n in map(len, self.__dict__["_folded"]) if n >= 2}, reverse=True)
            self.__dict__["_value_lengths"] = lengths
        return lengths


# --- the vocabulary --------------------------------------------------------------------

_ZERO = bytes.maketrans(b"123456789", b"000000000")


@dataclass(frozen=True, eq=False)  # hashed by identity: one per vocabulary entry
class _Pattern:
    kind: str
    regex: re.Pattern
    check: str | None  # a test of the digits the regex cannot make ('uk_phone', 'nhs_number')
    needs: str | None  # text the match must contain (lower case); None: a digit


class _Vocabulary:
    """schemas/personal_data.yaml compiled.

    Every value pattern treats all digits alike (the digits themselves are judged by a
    `check` in code), so texts are searched by their shape, every digit written '0':
    320,000 crime references or dates of a record sheet are one or two shapes, searched
    once, and only the few shapes that match are looked at text by text."""

    def __init__(self, raw: dict) -> None:
        self.role_mailboxes = frozenset(_mailbox_key(k) for k in raw.get("role_mailboxes") or {})
        self.mailbox_prefixes = tuple(_mailbox_key(k) for k in raw.get("role_mailbox_prefixes") or {})
        self.org_phone_prefixes = tuple(str(k) for k in raw.get("organisation_phone_prefixes") or {})
        self.placeholders = frozenset(str(p).strip().lower() for p in raw.get("placeholders") or ())
        self.header_words = {kind: tuple(words or {}) for kind, words in (raw.get("headers") or {}).items()}
        self.patterns = self._patterns(raw.get("patterns") or {})
        self.sheet_name_patterns = self._patterns(raw.get("sheet_name_patterns") or {})
        prefixes = "|".join(_word_regex(p) for p in sorted(raw.get("role_prefixes") or {}, key=len, reverse=True))
        branches = []
        for kind, words in self.header_words.items():
            if kind not in KINDS:
                raise ValueError(f"{VOCABULARY.name}: unknown header kind {kind!r}")
            alternation = "|".join(_word_regex(w) for w in sorted(words, key=len, reverse=True))
            branches.append(f"(?P<h_{kind}>{alternation})")
        # a header is a whole cell (texts are searched one per line)
        self.header = re.compile(rf"^[ \t]*(?i:(?:(?:{prefixes})(?:'?s)?[ \t_-]*)?)"
                                 rf"(?i:{'|'.join(branches)})[ \t]*[:.]?[ \t]*$", re.M)

    @staticmethod
    def _patterns(entries_by_kind: dict) -> tuple[_Pattern, ...]:
        out = []
        for kind, entries in entries_by_kind.items():
            if kind not in KINDS:
                raise ValueError(f"{VOCABULARY.name}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
            for entry in entries or ():
                source = entry["regex"]
                # digits only as \d, 0-9 or a count {2,5}: the digits are judged by a check
                if re.search(r"\d", re.sub(r"\\.|0-9|\{\d*,?\d*\}", "", source)):
                    raise ValueError(f"{VOCABULARY.name}: the {kind} pattern {source!r} names a digit; "
                                     "write \\d and judge the digits with a check")
                needs = entry.get("needs")
                out.append(_Pattern(kind, re.compile(source, re.M), entry.get("check"),
                                    str(needs).lower() if needs else None))
        return tuple(out)

    def matches(self, texts: list[str], headers: bool = False, sheet_names: bool = False):
        """(index of the text, kind or 'h_<kind>' for a header, start, end) of every match
        in `texts` that passes its check."""
        shapes, found = self._by_shape(texts, headers, sheet_names)
        if not found:
            return
        for i, shape in enumerate(shapes):
            candidates = found.get(shape)
            if candidates is not None:
                for kind, a, b in self._accepted(texts[i], candidates):
                    yield i, kind, a, b

    def flag(self, texts: list[str]) -> tuple[dict[str, tuple[str | None, str | None]], set[str]]:
        """The texts (of one sheet) that hold personal data or are a personal header:
        text -> (kind found in it, header kind); and the substrings matched.

        The work is done per shape: all texts of a shape whose patterns need no check
        (a column of crime references) are flagged together."""
        shapes, found = self._by_shape(texts, True, False)
        flagged: dict[str, tuple[str | None, str | None]] = {}
        matched: set[str] = set()
        if not found:
            return flagged, matched
        groups: dict[str, list[str]] = {}
        if len(found) <= 8:  # a few shapes (a record sheet): one C-speed pass each
            for shape in found:
                groups[shape] = list(compress(texts, map(shape.__eq__, shapes)))
        else:
            for text, shape in compress(zip(texts, shapes), map(found.__contains__, shapes)):
                groups.setdefault(shape, []).append(text)
        for shape, group in groups.items():
            candidates = found[shape]
            if all(p is None or (p.check is None and kind != "email") for kind, p, _, _ in candidates):
                entry = _entry((kind, a, b) for kind, _, a, b in candidates)
                flagged.update(dict.fromkeys(group, entry))
                for kind, _, a, b in candidates:
                    if kind.startswith("h_"):
                        continue
                    if a == 0 and b == len(shape):
                        matched.update(group)
                    else:
                        matched.update(t[a:b] for t in group)
                continue
            for text in group:
                accepted = self._accepted(text, candidates)
                if accepted:
                    flagged[text] = _entry(accepted)
                    matched.update(text[a:b] for kind, a, b in accepted if not kind.startswith("h_"))
        return flagged, matched

    def _by_shape(self, texts: list[str], headers: bool, sheet_names: bool):
        """Each text's shape (every ASCII digit written '0'), and for the shapes that
        match: [(kind or 'h_<kind>', pattern or None for a header, start, end)]."""
        joined = "\x00".join(texts)
        if "\n" in joined or "\r" in joined:  # a line break inside a cell is a space here
            joined = joined.replace("\n", " ").replace("\r", " ")
        shapes = joined.encode("utf-8", "surrogatepass").translate(_ZERO).decode("utf-8", "surrogatepass")
        shapes = shapes.split("\x00")
        unique = set(shapes)
        with_digit = [s for s in unique if "0" in s]
        found: dict[str, list[tuple[str, _Pattern | None, int, int]]] = {}
        patterns = self.patterns + (self.sheet_name_patterns if sheet_names else ())
        for pattern in patterns:
            if pattern.needs is None:
                candidates = with_digit
            else:
                candidates = [s for s in unique if pattern.needs in s.lower()]
            for shape, a, b in _search(pattern.regex, candidates, overlapping=pattern.check is not None):
                found.setdefault(shape, []).append((pattern.kind, pattern, a, b))
        if headers:
            short = [s for s in unique if len(s) <= 60 and "0" not in s]
            for shape, a, b, m in _search(self.header, short, with_match=True):
                found.setdefault(shape, []).append((m.lastgroup or "h_name", None, a, b))
        return shapes, found

    def _accepted(self, text: str, candidates) -> list[tuple[str, int, int]]:
        """The candidates whose text passes its check, without overlaps within a pattern."""
        out = []
        taken: dict[_Pattern, int] = {}
        for kind, pattern, a, b in candidates:
            if pattern is not None:
                if a < taken.get(pattern, 0) or not self.accepts(kind, pattern.check, text[a:b]):
                    continue
                taken[pattern] = b
            out.append((kind, a, b))
        return out

    def accepts(self, kind: str, check: str | None, found: str) -> bool:
        if kind == "email":
            local = _mailbox_key(found.split("@", 1)[0])
            return not (local in self.role_mailboxes or local.startswith(self.mailbox_prefixes))
        if check == "uk_phone":
            digits = re.sub(r"\D", "", found)
            if found.lstrip("(").startswith("+"):
                if not digits.startswith("44"):
                    return False
                digits = "0" + digits[2:].lstrip("0")
            return (len(digits) in (10, 11) and digits[0] == "0" and digits[1] != "0"
                    and not digits.startswith(self.org_phone_prefixes))
        if check == "nhs_number":
            return _nhs_check_digit_ok(re.sub(r"\D", "", found))
        if check is not None:
            raise ValueError(f"{VOCABULARY.name}: unknown check {check!r}")
        return True


def _entry(found) -> tuple[str | None, str | None]:
    """(the most specific kind found, the header kind) of one text's matches."""
    kind = header = None
    for k, _, _ in found:
        if k.startswith("h_"):
            header = k[2:]
        elif kind is None or _RANK[k] < _RANK[kind]:
            kind = k
    return kind, header


def _search(regex: re.Pattern, texts: list[str], overlapping: bool = False, with_match: bool = False):
    """(text, start, end) of every match of `regex` in `texts`, searched as one string.
    `overlapping`: a match is also looked for inside the previous one (its digits may
    fail the check where a later start would pass)."""
    if not texts:
        return
    joined = _SEP.join(texts)
    starts = []
    pos = 0
    for t in texts:
        starts.append(pos)
        pos += len(t) + 1
    pos = 0
    while True:
        m = regex.search(joined, pos)
        if m is None:
            return
        i = bisect_right(starts, m.start()) - 1
        a, b = m.start() - starts[i], m.end() - starts[i]
        if with_match:
            yield texts[i], a, b, m
        else:
            yield texts[i], a, b
        pos = m.start() + 1 if overlapping or m.end() == m.start() else m.end()


def _word_regex(word: str) -> str:
    """A vocabulary word as a regex: spaces, '_' and '-' between its parts are optional."""
    parts = re.split(r"[ _-]+", str(word).strip())
    return r"[ \t_-]*".join(re.escape(p) for p in parts if p)


def _mailbox_key(local: str) -> str:
    return re.sub(r"[._\-+']", "", str(local).lower())


def _nhs_check_digit_ok(digits: str) -> bool:
    if len(digits) != 10:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    with open(VOCABULARY, encoding="utf-8") as fh:
        return _Vocabulary(yaml.safe_load(fh) or {})


def vocabulary_words() -> dict[str, tuple[str, ...]]:
    """kind -> the header words that announce it (for tests and documentation)."""
    return dict(_vocabulary().header_words)


# --- scanning a workbook ---------------------------------------------------------------

_RANK = {kind: i for i, kind in enumerate(_PRIORITY)}
_VALUE = attrgetter("value")
_HIDDEN = attrgetter("hidden")
_COL_ROW = itemgetter(1, 0)
_COL = itemgetter(1)
_FIRST = itemgetter(0)
_DIGIT = re.compile(r"\d")
_DATE_TEXT = re.compile(
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"\d{1,2}(?:st|nd|rd|th)?[ \t]+(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[ \t]+\d{2,4}")
_NAME_TEXT = re.compile(r"[^\W\d_][\w'.-]*(?:[ ,]+[^\W\d_][\w'.-]*){0,4}")


def _plausible(kind: str, value, placeholders: frozenset) -> bool:
    """Is a value under a personal header one a person could be identified by?
    ('Not known', a yes/no flag or a total row is not.)"""
    if type(value) is str:
        text = value.strip()
        if not text or text.lower() in placeholders:
            return False
        if kind == "crime_reference" or kind == "other_identifier":
            return len(text) >= 4 and _DIGIT.search(text) is not None
        if kind == "name":
            return len(text) <= 60 and _NAME_TEXT.fullmatch(text) is not None
        if kind == "date_of_birth":
            return _DATE_TEXT.search(text) is not None
        if kind == "phone":
            return len(_DIGIT.findall(text)) >= 6
        return any(ch.isalnum() for ch in text)
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (datetime, date)):
        return kind == "date_of_birth"
    if isinstance(value, (int, float)):
        # a count under 'Crime number' is not an identifier; a long number is
        if kind in ("crime_reference", "other_identifier"):
            return abs(value) >= 10000
        return kind == "phone" and abs(value) >= 1e8
    return False


def scan_workbook(workbook, comments: Iterable[tuple[str, int, int, str]] = (),
                  table_ranges: dict[str, list[Range]] | None = None) -> PersonalScan:
    """Every cell of every sheet (hidden or not), every comment and every sheet name,
    checked against schemas/personal_data.yaml.

    `table_ranges` (sheet -> (r1, c1, r2, c2) of the tables the reader read) lets a
    finding say 'in the table' or 'outside the table'; without it a visible cell is
    'outside the table'."""
    # the scan makes hundreds of thousands of small objects beside millions of cells:
    # the cyclic collector would walk all the cells again and again (they hold no cycles)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _scan(workbook, comments, table_ranges)
    finally:
        if was_enabled:
            gc.enable()


def _scan(workbook, comments, table_ranges) -> PersonalScan:
    vocab = _vocabulary()
    values: set[str] = set()
    labels: dict[str, str] = {}
    found: list[tuple[str, str, str, set]] = []  # (sheet label, kind, where, cells)
    sheets = list(workbook.sheets)
    for number, sheet in enumerate(sheets, start=1):
        kind = _personal_name(vocab, sheet.name)
        if kind is not None:
            labels[sheet.name] = f"sheet {number}"
            values.add(sheet.name)
            found.append((labels[sheet.name], kind, SHEET_NAME, set()))
    for sheet in sheets:
        hits = _scan_sheet(vocab, sheet, values)
        if hits:
            label = labels.get(sheet.name, sheet.name)
            ranges = None if table_ranges is None else table_ranges.get(sheet.name, [])
            for (kind, place), cells in _places(sheet, hits, ranges).items():
                found.append((label, kind, place, cells))
    found.extend(_scan_comments(vocab, comments, labels, values))
    order = {labels.get(s.name, s.name): i for i, s in enumerate(sheets)}
    findings = []
    for label, kind, place, cells in found:
        text, count = _ranges(cells)
        findings.append(Finding(kind, label, place, text, count if cells else 1))
    findings.sort(key=lambda f: (order.get(f.sheet, len(order)), _WHERE_ORDER.index(f.where), _RANK[f.kind], f.cells))
    return PersonalScan(findings, frozenset(values))


def _personal_name(vocab: _Vocabulary, name: str) -> str | None:
    """The kind of personal data a sheet's name is, if it is ('John Smith 01.02.2005')."""
    kinds = {kind for _, kind, _, _ in vocab.matches([name], sheet_names=True)}
    return min(kinds, key=_RANK.__getitem__) if kinds else None


def _unbuilt_grid(sheet):
    """The sheet's Grid when its Cells have not been made (a sheet read from a file and
    not yet asked for its cells): the scan then reads the grid and makes none."""
    grid = getattr(sheet, "grid", None)
    if grid is not None and not sheet.cells_made:
        return grid
    return None


def _scan_sheet(vocab: _Vocabulary, sheet, values: set[str]) -> dict[tuple[int, int], str]:
    """(row, col) -> kind of every cell of the sheet found personal; adds the values
    found to `values`."""
    grid = _unbuilt_grid(sheet)
    if grid is not None:
        return _scan_grid(vocab, grid, values)
    hits: dict[tuple[int, int], str] = {}
    cells = sheet.cells
    cell_values = list(map(_VALUE, cells.values()))
    texts = [v for v in set(cell_values) if type(v) is str]
    if not texts:
        return hits
    flagged, matched = vocab.flag(texts)
    values |= matched
    if not flagged:
        return hits
    # the cells holding a flagged text, picked out at C speed (a sheet may have millions)
    mask = list(map(flagged.__contains__, cell_values))
    where = list(compress(cells, mask))
    entries = list(map(flagged.__getitem__, compress(cell_values, mask)))
    occupied: list[set[int]] = []  # the rows with a cell, worked out if a header asks

    def table_end(row: int) -> int:  # the first empty row from `row` down
        if not occupied:
            occupied.append(set(map(_FIRST, cells)))
        end = row
        while end in occupied[0]:
            end += 1
        return end

    def below(col: int, first: int, end: int):
        return (None if c is None else c.value for c in map(cells.get, zip(range(first, end), repeat(col))))

    return _hits(vocab, where, entries, values, table_end, below)


def _scan_grid(vocab: _Vocabulary, grid, values: set[str]) -> dict[tuple[int, int], str]:
    """_scan_sheet for a sheet's Grid, without making a Cell: the same hits and values.

    The grid holds what the Cells leave out ('' and whitespace-only texts: never
    searched, never a row's value) and floats not yet made int (3.0): the few values
    looked at one by one, those below a personal header, are made what a Cell holds
    with cell_value first."""
    hits: dict[tuple[int, int], str] = {}
    rows = grid.rows
    flat = chain.from_iterable  # the values row after row, made afresh for each pass
    distinct = set(flat(rows))
    texts = list(compress(distinct, map(is_, map(type, distinct), repeat(str))))  # a set iterates alike twice
    blanks = set(compress(texts, map(str.isspace, texts)))  # no Cell for these
    if "" in distinct:
        blanks.add("")
    del distinct
    if len(blanks) <= 8:
        for blank in blanks:
            texts.remove(blank)
    elif blanks:
        texts = [t for t in texts if t not in blanks]
    if not texts:
        return hits
    flagged, matched = vocab.flag(texts)
    values |= matched
    if not flagged:
        return hits
    # the cells holding a flagged text, picked out at C speed, in reading order as the
    # Cells would be (a sheet may have millions)
    mask = list(map(flagged.__contains__, flat(rows)))
    where = _grid_places(rows, grid.first_row, grid.first_col, list(compress(count(), mask)))
    entries = list(map(flagged.__getitem__, compress(flat(rows), mask)))
    del mask
    return _hits(vocab, where, entries, values,
                 lambda row: _first_empty_row(rows, grid.first_row, row, blanks),
                 lambda col, first, end: map(cell_value, grid.column(col, first, end - 1)))


def _hits(vocab: _Vocabulary, where: list[tuple[int, int]], entries: list, values: set[str],
          table_end, below) -> dict[tuple[int, int], str]:
    """(row, col) -> kind, from the flagged cells (`where`, with vocab.flag's `entries`)
    and the cells under each personal header down to the end of its table, for both
    ways of scanning a sheet: `table_end(row)` is the first empty row from `row` down;
    `below(col, first, end)` the values of rows first..end-1 of a column as Cells hold
    them (None where empty). Adds the values found to `values`."""
    hits = dict(zip(where, map(_FIRST, entries)))
    header_cells = [(rc, e[1]) for rc, e in zip(where, entries) if e[1] is not None]
    for rc, _ in header_cells:
        if hits[rc] is None:  # a header cell holds nothing personal itself
            del hits[rc]
    if not header_cells:
        return hits
    hit_columns = Counter(map(_COL, hits))
    placeholders = vocab.placeholders
    ends: dict[int, int] = {}  # header row -> the first empty row below it
    for (row, col), kind in header_cells:
        end = ends.get(row)
        if end is None:  # down to the end of the table: the first empty row
            end = ends[row] = table_end(row + 1)
        cells_below = list(zip(range(row + 1, end), repeat(col)))
        in_column = hit_columns.get(col, 0)
        if in_column >= len(cells_below) and set(map(hits.get, cells_below)) == {kind}:
            continue  # every cell below was found as this kind already (crime references)
        # the cells not yet found as this kind
        todo = [(rc, value) for rc, value in zip(cells_below, below(col, row + 1, end))
                if value is not None and (not in_column or hits.get(rc) != kind)]
        rank = _RANK[kind]
        for rc, value in todo:
            if _plausible(kind, value, placeholders):
                old = hits.get(rc)
                if old is None or rank <= _RANK[old]:
                    hits[rc] = kind
                if type(value) is str:
                    values.add(value.strip())
                else:
                    values.update(_renderings(value))
    return hits


def _grid_places(rows: list, first_row: int, first_col: int, positions: list[int]) -> list[tuple[int, int]]:
    """(row, col) of each position in the grid's values laid end to end, at C speed."""
    if not positions:
        return []
    lengths = set(map(len, rows))
    if len(lengths) == 1:  # rectangular (calamine's rows): a division
        width = lengths.pop()
        return list(zip(map(add, map(floordiv, positions, repeat(width)), repeat(first_row)),
                        map(add, map(mod, positions, repeat(width)), repeat(first_col))))
    # ragged (a csv file): starts[i] is where row i begins; an empty row starts where the
    # next one does, and bisect_right passes it over
    starts = list(accumulate(map(len, rows), initial=0))
    after = list(map(bisect_right, repeat(starts), positions))  # row index + 1
    firsts = map(starts.__getitem__, map(sub, after, repeat(1)))
    return list(zip(map(add, after, repeat(first_row - 1)),
                    map(add, map(sub, positions, firsts), repeat(first_col))))


def _first_empty_row(rows: list, first_row: int, row: int, blanks: set) -> int:
    """The first sheet row from `row` down without a value (all '' or whitespace, or
    past the grid), as the Cells would have none in it."""
    i = row - first_row
    blank = blanks.__contains__
    while 0 <= i < len(rows) and not all(map(blank, rows[i])):
        i += 1
    return i + first_row


def _renderings(value) -> set[str]:
    """The ways a value that is not text may be written in a message, for scrubbing."""
    out = {str(value)}
    if isinstance(value, float) and value.is_integer():
        out.add(str(int(value)))
    if isinstance(value, datetime):
        out |= {value.date().isoformat(), value.strftime("%d/%m/%Y"), value.isoformat(sep=" ")}
    elif isinstance(value, date):
        out |= {value.isoformat(), value.strftime("%d/%m/%Y"), value.strftime("%d.%m.%Y")}
    elif isinstance(value, time):
        out = {value.isoformat()}
    return out


def _places(sheet, hits: dict[tuple[int, int], str], ranges: list[Range] | None) -> dict[tuple[str, str], set]:
    """The hits grouped by (kind, where): hidden sheet, hidden rows or columns, in or
    outside the tables the reader read (`ranges`; None: it says nothing of tables)."""
    groups: dict[tuple[str, str], set] = {}
    if sheet.hidden:
        for rc, kind in hits.items():
            groups.setdefault((kind, HIDDEN_SHEET), set()).add(rc)
        return groups
    grid = _unbuilt_grid(sheet)
    if grid is None:
        cells = sheet.cells
        hidden = list(map(_HIDDEN, map(cells.__getitem__, hits)))
    elif grid.hidden_rows or grid.hidden_cols:  # as Cell.hidden: its row or its column is hidden
        hidden = list(map(or_, map(grid.hidden_rows.__contains__, map(_FIRST, hits)),
                          map(grid.hidden_cols.__contains__, map(_COL, hits))))
    else:
        hidden = [False] * len(hits)
    kinds = set(hits.values())
    if not ranges and not any(hidden) and len(kinds) == 1:  # the common case, at C speed
        return {(kinds.pop(), OUTSIDE): set(hits)}
    hidden_where = None
    for (rc, kind), is_hidden in zip(hits.items(), hidden):
        if is_hidden:
            if hidden_where is None:
                known = getattr(sheet, "grid", None)  # a sheet read from a file knows its hidden rows
                hidden_where = _HiddenWhere(sheet) if known is None else _KnownHiddenWhere(known)
            place = hidden_where(rc)
        elif ranges and any(r1 <= rc[0] <= r2 and c1 <= rc[1] <= c2 for r1, c1, r2, c2 in ranges):
            place = IN_TABLE
        else:
            place = OUTSIDE
        groups.setdefault((kind, place), set()).add(rc)
    return groups


class _HiddenWhere:
    """For a sheet made of Cells alone (no reader's grid): a Cell says only 'hidden' (its
    row or its column is); a row with a visible cell is not hidden, so the hidden cell's
    column is, and the other way round."""

    def __init__(self, sheet) -> None:
        self.hidden_rows = getattr(sheet, "hidden_rows", None)
        self.hidden_cols = getattr(sheet, "hidden_cols", None)
        self.rows: set[int] = set()
        self.cols: set[int] = set()
        for (r, c), cell in sheet.cells.items():
            if not cell.hidden:
                self.rows.add(r)
                self.cols.add(c)

    def __call__(self, rc: tuple[int, int]) -> str:
        if self.hidden_rows is not None and rc[0] in self.hidden_rows:
            return HIDDEN_ROWS
        if self.hidden_cols is not None and rc[1] in self.hidden_cols:
            return HIDDEN_COLUMNS
        if rc[0] in self.rows and rc[1] not in self.cols:
            return HIDDEN_COLUMNS
        return HIDDEN_ROWS


class _KnownHiddenWhere:
    """Where a hidden cell is, from the hidden rows and columns its reader found: in a
    hidden row ('hidden rows', also when its column is hidden too), else in a hidden
    column."""

    def __init__(self, grid) -> None:
        self.hidden_rows = grid.hidden_rows

    def __call__(self, rc: tuple[int, int]) -> str:
        return HIDDEN_ROWS if rc[0] in self.hidden_rows else HIDDEN_COLUMNS


def _scan_comments(vocab: _Vocabulary, comments, labels: dict[str, str], values: set[str]):
    """Comments matching a value pattern, as (sheet label, kind, 'comment', cells)."""
    by_place: dict[tuple[str, str], set] = {}
    for sheet, row, col, text in comments:
        if sheet not in labels and _personal_name(vocab, sheet) is not None:
            labels[sheet] = "sheet (name withheld)"
            values.add(sheet)
        lines = [line for line in str(text).splitlines() if line.strip()]
        kinds = set()
        for i, kind, start, end in vocab.matches(lines) if lines else ():
            kinds.add(kind)
            values.add(lines[i][start:end])
        if kinds:
            kind = min(kinds, key=_RANK.__getitem__)
            by_place.setdefault((labels.get(sheet, sheet), kind), set()).add((row, col))
    for (label, kind), cells in by_place.items():
        yield label, kind, COMMENT, cells


def _ranges(cells: set[tuple[int, int]]) -> tuple[str, int]:
    """Cells as A1 ranges: runs down a column, then runs of equal rows side by side
    ('C2:D41'); at most _MAX_RANGES, then how many more."""
    from flows.cells.grid import column_letter

    if not cells:
        return "", 0
    runs: list[tuple[int, int, int]] = []  # (col, first row, last row)
    cols = set(map(_COL, cells))
    if len(cols) == 1:
        columns = [(cols.pop(), sorted(map(_FIRST, cells)))]
    elif len(cols) <= 8:  # sorting plain row numbers per column is much faster than pairs
        columns = [(c, sorted([r for r, cc in cells if cc == c])) for c in sorted(cols)]
    else:
        columns = []
        for r, c in sorted(cells, key=_COL_ROW):
            if not columns or columns[-1][0] != c:
                columns.append((c, []))
            columns[-1][1].append(r)
    for col, rows in columns:
        if rows[-1] - rows[0] + 1 == len(rows):  # one run (rows are distinct)
            runs.append((col, rows[0], rows[-1]))
            continue
        first = last = rows[0]
        for r in rows:
            if r > last + 1:
                runs.append((col, first, last))
                first = r
            last = r
        runs.append((col, first, last))
    boxes: list[list[int]] = []  # [first col, last col, first row, last row]
    open_boxes: dict[tuple[int, int], list[int]] = {}
    for col, r1, r2 in runs:
        box = open_boxes.get((r1, r2))
        if box is not None and box[1] == col - 1:
            box[1] = col
        else:
            box = [col, col, r1, r2]
            boxes.append(box)
            open_boxes[(r1, r2)] = box
    boxes.sort(key=lambda b: (b[2], b[0]))
    parts = []
    for c1, c2, r1, r2 in boxes[:_MAX_RANGES]:
        start = f"{column_letter(c1)}{r1}"
        parts.append(start if (c1, r1) == (c2, r2) else f"{start}:{column_letter(c2)}{r2}")
    text = ", ".join(parts)
    if len(boxes) > _MAX_RANGES:
        text += f" and {len(boxes) - _MAX_RANGES} more ranges"
    return text, len(cells)


# --- comments --------------------------------------------------------------------------

_MAX_PART_BYTES = 64 << 20  # a comments part larger than this is not a comment: skipped


def read_comments(path: Path, file_type: str) -> list[tuple[str, int, int, str]]:
    """(sheet, row, col, text) of every cell comment or note in the file.

    xlsx: legacy comments (xl/comments*.xml) and threaded comments
    (xl/threadedComments/*.xml), found through each sheet's relationships; ods:
    office:annotation in content.xml; xls: notes through xlrd. A csv has none. Never
    raises for a damaged file: returns what could be read."""
    path = Path(path)
    try:
        if file_type in ("xlsx", "xlsm"):
            return _xlsx_comments(path)
        if file_type == "ods":
            return _ods_comments(path)
        if file_type == "xls":
            return _xls_comments(path)
    except Exception:  # noqa: BLE001  (a damaged file has no comments we can read)
        return []
    return []


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _cell_ref(ref: str) -> tuple[int, int] | None:
    m = re.match(r"\$?([A-Za-z]{1,3})\$?(\d+)", ref or "")
    if m is None:
        return None
    return int(m.group(2)), column_number(m.group(1))


def _xml(z: zipfile.ZipFile, member: str):
    from defusedxml.ElementTree import fromstring

    info = z.NameToInfo.get(member)
    if info is None or info.file_size > _MAX_PART_BYTES:
        return None
    return fromstring(z.read(member))


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, member) of one part ('' for the package)."""
    folder, base = posixpath.split(part)
    root = _xml(z, posixpath.join(folder, "_rels", base + ".rels"))
    out: dict[str, tuple[str, str]] = {}
    for rel in root if root is not None else ():
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), member)
    return out


def _xlsx_comments(path: Path) -> list[tuple[str, int, int, str]]:
    out: list[tuple[str, int, int, str]] = []
    with zipfile.ZipFile(path) as z:
        workbook = next((m for t, m in _rels(z, "").values() if t.endswith("/officeDocument")), "xl/workbook.xml")
        parts = _rels(z, workbook)
        root = _xml(z, workbook)
        for el in root.iter() if root is not None else ():
            if _local(el.tag) != "sheet":
                continue
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            if rid not in parts:
                continue
            try:
                out.extend(_sheet_comments(z, el.get("name", ""), parts[rid][1]))
            except Exception:  # noqa: BLE001  (one damaged part: keep the others)
                continue
    return out


def _sheet_comments(z: zipfile.ZipFile, sheet: str, part: str):
    """Legacy notes (<comment ref><text><r><t>) and threaded comments
    (<threadedComment ref><text>) of one sheet part."""
    for rel_type, member in _rels(z, part).values():
        if rel_type.endswith("/comments"):
            item = "comment"
        elif rel_type.endswith("/threadedComment"):
            item = "threadedComment"
        else:
            continue
        root = _xml(z, member)
        if root is None:
            continue
        for el in root.iter():
            if _local(el.tag) != item:
                continue
            rc = _cell_ref(el.get("ref", ""))
            text_tag = "t" if item == "comment" else "text"
            text = "".join(t.text or "" for t in el.iter() if _local(t.tag) == text_tag)
            if rc is not None and text.strip():
                yield sheet, rc[0], rc[1], text


def _ods_comments(path: Path) -> list[tuple[str, int, int, str]]:
    from defusedxml.ElementTree import iterparse

    table_ns = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    office_ns = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
    text_ns = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    out: list[tuple[str, int, int, str]] = []

    def count(el, attr: str) -> int:
        value = el.get(table_ns + attr, "1")
        return int(value) if value.isdigit() and int(value) > 0 else 1

    try:
        with zipfile.ZipFile(path) as z, z.open("content.xml") as f:
            depth, name = 0, ""
            next_row, row, col = 1, 1, 1
            here = (1, 1)  # the cell being read
            for event, el in iterparse(f, events=("start", "end")):
                tag = el.tag
                if event == "start":
                    if tag == table_ns + "table":
                        depth += 1
                        if depth == 1:
                            name, next_row = el.get(table_ns + "name", ""), 1
                    elif depth != 1:
                        continue
                    elif tag == table_ns + "table-row":
                        row, col = next_row, 1
                        next_row += count(el, "number-rows-repeated")
                    elif tag in (table_ns + "table-cell", table_ns + "covered-table-cell"):
                        here = (row, col)
                        col += count(el, "number-columns-repeated")
                    continue
                if tag == office_ns + "annotation" and depth == 1:
                    text = "\n".join("".join(p.itertext()) for p in el.iter(text_ns + "p"))
                    if text.strip():
                        out.append((name, here[0], here[1], text))
                elif tag == table_ns + "table":
                    depth -= 1
                    el.clear()
                elif tag == table_ns + "table-row" and depth == 1:
                    el.clear()
    except Exception:  # noqa: BLE001  (damaged: what was read so far)
        return out
    return out


def _xls_comments(path: Path) -> list[tuple[str, int, int, str]]:
    import xlrd

    out: list[tuple[str, int, int, str]] = []

    class _Silent:
        def write(self, _text: str) -> None:
            pass

    book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True, logfile=_Silent())
    try:
        for index, name in enumerate(book.sheet_names()):
            try:
                sheet = book.sheet_by_index(index)
                for (r, c), note in sorted(getattr(sheet, "cell_note_map", {}).items()):
                    text = getattr(note, "text", "") or ""
                    if text.strip():
                        out.append((name, r + 1, c + 1, text))
                book.unload_sheet(index)
            except Exception:  # noqa: BLE001  (one damaged sheet: keep the others)
                continue
    finally:
        book.release_resources()
    return out
