"""What a sheet says about its figures outside the table: its year and its footnotes.

A one-sheet-per-year workbook gives the year in the sheet name or a title line; the
footnotes say what '*' or '-' stand for. Layouts read the table; this reads the rest.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flows import labels
from flows.cells.grid import Sheet
from flows.observations import Count, Problem


@dataclass
class SheetContext:
    file_name: str
    sheet_name: str = ""
    financial_year: str | None = None  # implied by the sheet name or a title line
    year_source: str = ""  # where it was found: "the sheet name", "Data!A1"
    year_conflict: str = ""  # the sheet name and a title disagree, or titles name several years
    calendar_year: str = ""  # a sheet name or title naming a calendar year, as written
    calendar_source: str = ""
    title_offences: list[str] = field(default_factory=list)  # codes a title line names
    title_source: str = ""
    name_year: str | None = None  # the year the sheet name gives
    lines: list[tuple[int, int, str]] = field(default_factory=list)  # (row, col, text) of title/footnote lines
    nil_dash: bool = False  # a footnote says '-' means nil
    markers: dict[str, tuple[int, int]] = field(default_factory=dict)  # marker -> bounds, from footnotes
    headers: dict[str, list[str]] = field(default_factory=dict)  # extra header spellings (mappings)
    mapping: object | None = None  # the recipe a mapping matched (flows.layouts.mapping.Recipe)
    unavailable: list[tuple[str, str]] = field(default_factory=list)  # (cell, line) saying a year is not available
    all_offences: str = ""  # where the sheet says its figures are all offences, online or not

    def years_between(self, first_row: int, last_row: int) -> dict[str, int]:
        """Financial years named by title lines in rows first_row..last_row -> their row."""
        found: dict[str, int] = {}
        for row, _, text in self.lines:
            if first_row <= row <= last_row:
                for fy in labels.financial_years_in(text):
                    found.setdefault(fy, row)
        return found

    def count(self, value) -> Count | Problem | None:
        """labels.count with what this reply's footnotes say."""
        return labels.count(value, nil_dash=self.nil_dash, markers=self.markers or None)

    @classmethod
    def of(cls, sheet: Sheet, file_name: str) -> "SheetContext":
        return sheet_context(sheet, file_name)


def text_lines(sheet: Sheet) -> list[tuple[int, int, str]]:
    """Rows holding a single text cell (titles, preamble, footnotes): (row, col, text)."""
    out = []
    for row, cells in sheet.rows().items():
        if len(cells) == 1 and isinstance(cells[0].value, str) and cells[0].value.strip():
            out.append((row, cells[0].col, cells[0].value.strip()))
    return out


def _first_number_row(sheet: Sheet) -> int:
    for cell in sheet:
        v = cell.value
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return cell.row
        if isinstance(v, str) and isinstance(labels.count(v), Count):
            return cell.row
    return sheet.max_row + 1


_MARKER = r"(\*{1,3}|\[c\]|\(c\)|\.\.|~|#|†|‡|c|x|\[x\]|\[z\])"
_DEFINES = r"\s*(?:=|:|denotes?|indicates?|means|represents?|signif(?:y|ies)|is used (?:for|to (?:denote|show|indicate))|shows?|refers? to|used where)\s*"
_MARKER_LINE = re.compile(rf"^(?:note:?\s*)?['\"‘“]?{_MARKER}['\"’”]?{_DEFINES}(.*)$", re.I)
_NIL_LINE = re.compile(
    r"(?:^|[\s'\"‘“(])(?:-|–|—|a dash|dashes)['\"’”)]?" + _DEFINES + r"(?:a\s+)?(?:nil|zero|none|no offences|no crimes|0)\b"
    r"|(?:nil|zero)(?: returns| figures| values)? (?:are |is )?(?:shown|shown as|represented by|marked|denoted by|indicated by)\s*(?:as\s*)?(?:a\s+)?['\"‘“]?(?:-|–|—|dash)",
    re.I,
)
_NOT_AVAILABLE_LINE = re.compile(
    r"\b(?:not available|unavailable|not held|cannot be provided|not recorded consistently|no data (?:is|are) held)\b",
    re.I)
# A sheet of every child sexual offence, online or not, beside the online-flagged one:
# not the answer to the request (its sheet name or title says so).
_ALL_SCOPE = re.compile(r"\b(?:all|pob)\b[\w\s]{0,40}?\b(?:offences|crimes|cso|trosedd)\b", re.I)
_ONLINE_DENIED = re.compile(r"online or not|whether or not online|not online|non[- ]online|regardless of", re.I)


def says_all_offences(text: str) -> bool:
    """'ALL sexual offences ... online or not', 'All offences' (and no online flag)."""
    return bool(_ALL_SCOPE.search(text)) and ("online" not in text.lower() and "ar-lein" not in text.lower()
                                             or bool(_ONLINE_DENIED.search(text)))


_NIL_RETURN = re.compile(
    r"\bnil return\b|\b(?:answer|response|figure|return) (?:to your request )?is (?:therefore )?nil\b"
    r"|\bno (?:such |relevant )?(?:offences|crimes|records|incidents|reports)\b[^.]{0,160}?\b(?:were|was|have been|had been|are) "
    r"(?:recorded|identified|found|held|reported)\b"
    r"|\bthere (?:were|are|have been) no (?:such |relevant )?(?:offences|crimes|records)\b",
    re.I)


def nil_years(lines: list[str]) -> tuple[list[str], int] | None:
    """(financial years, index of the line) where lines of text say nothing was recorded:
    the years the nil sentence names, or else every year the lines name. None when they
    say no such thing, name no year to put the nil against, or speak of calendar years."""
    at = next((i for i, t in enumerate(lines) if _NIL_RETURN.search(t) and not _NOT_AVAILABLE_LINE.search(t)), None)
    if at is None:
        return None
    years = labels.financial_years_in(lines[at]) or sorted({fy for t in lines for fy in labels.financial_years_in(t)})
    if not years or any(labels.names_calendar_year(t) for t in lines):
        return None
    return years, at


def nil_return(sheet: Sheet) -> tuple[list[str], str] | None:
    """(financial years, cell) of a sheet with no figures that says in words that nothing
    was recorded (nil_years)."""
    lines = text_lines(sheet)
    found = nil_years([t for _, _, t in lines])
    if found is None:
        return None
    years, at = found
    row, col, _ = lines[at]
    return years, sheet.ref(row, col)


_SUPPRESSION_WORDS = re.compile(r"suppress|redact|withheld|not shown|protect|disclos|small numbers|low numbers", re.I)


def _bounds(text: str) -> tuple[int, int] | None:
    t = text.lower().translate(str.maketrans({"–": "-", "—": "-"}))
    if m := re.search(r"between (\d+) and (\d+)", t):
        lo, hi = int(m.group(1)), int(m.group(2))
    elif m := re.search(r"(?:fewer|less) than (\d+)|under (\d+)|below (\d+)|<\s*(\d+)", t):
        lo, hi = 1, int(next(g for g in m.groups() if g)) - 1
    elif m := re.search(r"(\d+) or (?:fewer|less|under|below)", t):
        lo, hi = 1, int(m.group(1))
    elif m := re.search(r"\b(\d+)\s*(?:-|to)\s*(\d+)\b", t):
        lo, hi = int(m.group(1)), int(m.group(2))
    else:
        return None
    return (lo, hi) if 0 <= lo <= hi < 1000 else None


def footnote_rules(lines: list[str]) -> tuple[bool, dict[str, tuple[int, int]]]:
    """('-' means nil?, marker -> bounds) from a sheet's footnote lines."""
    nil_dash = False
    markers: dict[str, tuple[int, int]] = {}
    for line in lines:
        text = line.strip()
        if _NIL_LINE.search(text):
            nil_dash = True
        if m := _MARKER_LINE.match(text):
            marker, rest = m.group(1).lower(), m.group(2)
            if (bounds := _bounds(rest)) is not None:
                markers[marker] = bounds
        elif _SUPPRESSION_WORDS.search(text) and (bounds := _bounds(text)):
            # 'Figures between 1 and 4 have been suppressed': the bare markers' bounds
            for marker in ("*", "**", "[c]", "(c)", "..", "c"):
                markers.setdefault(marker, bounds)
    return nil_dash, markers


_SHORT_YEAR_NAME = re.compile(r"^(\d{2})\s*[-/_ ]\s*(\d{2})$")


def _sheet_name_year(name: str) -> str | None:
    """The financial year a sheet's name gives. A sheet named '19-20' is the year 2019/20:
    as a cell '16-17' is an age band, but nobody names a sheet after an age band alone."""
    fy = labels.financial_year(name.strip())
    if fy:
        return fy
    m = _SHORT_YEAR_NAME.match(name.strip())
    if m and int(m.group(2)) == (int(m.group(1)) + 1) % 100:
        return labels.financial_year(f"20{m.group(1)}/{m.group(2)}")
    return None


def sheet_context(sheet: Sheet, file_name: str) -> SheetContext:
    """The year a sheet's name or title gives, and what its footnotes define."""
    ctx = SheetContext(file_name=file_name, sheet_name=sheet.name)
    lines = text_lines(sheet)
    ctx.lines = lines
    ctx.nil_dash, ctx.markers = footnote_rules([t for _, _, t in lines])

    years: dict[str, str] = {}
    name_year = _sheet_name_year(sheet.name) if not sheet.is_csv else None
    if name_year:
        years[name_year] = "the sheet name"
        ctx.name_year = name_year
    elif not sheet.is_csv and labels.is_calendar_year(sheet.name.strip()):
        ctx.calendar_year, ctx.calendar_source = sheet.name.strip(), "the sheet name"

    first_number = _first_number_row(sheet)
    if not sheet.is_csv and says_all_offences(sheet.name):
        ctx.all_offences = "the sheet name"
    for row, col, text in lines:
        if row >= first_number:
            continue  # footnotes below the figures do not set the year
        if _NOT_AVAILABLE_LINE.search(text):
            ctx.unavailable.append((sheet.ref(row, col), text))
            continue  # 'Data for 2019/20 is not available': says which year is missing, not this table's
        if not ctx.all_offences and says_all_offences(text):
            ctx.all_offences = sheet.ref(row, col)
        for fy in labels.financial_years_in(text):
            years.setdefault(fy, sheet.ref(row, col))
        if not ctx.calendar_year and labels.names_calendar_year(text):
            ctx.calendar_year, ctx.calendar_source = text, sheet.ref(row, col)
        named = labels.offences_named_in(text)
        if len(named) == 1 and "includ" not in text.lower() and not ctx.title_offences:
            ctx.title_offences, ctx.title_source = named, sheet.ref(row, col)
    if len(years) == 1:
        (ctx.financial_year, ctx.year_source), = years.items()
    elif len(years) > 1:
        ctx.year_conflict = "; ".join(f"{fy} in {where}" for fy, where in years.items())
    return ctx
