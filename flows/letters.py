"""A letter's text and the dates it is dated, read bounded and never through a link.

Letters (txt, eml, html, docx, pdf) carry no figures, but they say which FOI Act section
a refusal cites, whether a nil return is meant, and the date a reply was sent. The
worker that reads a reply (flows.reading.read_reply) reads its letter once with these;
flows.responses takes the dates from that reading and never opens a file itself.
"""
from __future__ import annotations

import html
import os
import re
import stat
import zipfile
from datetime import date
from pathlib import Path

_MONTHS = {m: i for i, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")), start=1) for m in names}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE = re.compile(
    r"\b(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH.replace("(", "(?P<m1>", 1) + r",?\s+(?P<y1>\d{4})"
    r"|" + _MONTH.replace("(", "(?P<m2>", 1) + r"\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})"
    r"|(?P<d4>\d{1,2})(?P<sep>[/.\-])(?P<m4>\d{1,2})(?P=sep)(?P<y4>\d{4}|\d{2}))(?![\d/])",
    re.IGNORECASE,
)
# The words a reply's date follows, and how far after them (characters) it may be.
_DATED = re.compile(r"\b(?:date[d]?|date of (?:response|reply|letter)|our ref(?:erence)?)\b", re.IGNORECASE)
_NEAR = 80
# ... unless the date is another's: the request's, its receipt's, an offence's, a birth.
_NOT_THE_REPLY = re.compile(
    r"request|received|receipt|your (?:e-?mail|letter|correspondence)|offence|incident|birth|recorded",
    re.IGNORECASE,
)
_ALONE = re.compile(r"^\W*(?P<date>.{6,30}?)\W*$")


def letter_dates(text: str) -> tuple[date, ...]:
    """Every date a letter is dated with: written after 'Date'/'Dated'/'Our ref' (within a
    line or so), unless the words before it make it the request's or an offence's, or
    standing alone on a line. Which of them can be the reply's depends on the round
    (reply_date_of)."""
    found: list[date] = []
    for key in _DATED.finditer(text):
        before = text[max(0, key.start() - 40):key.start()]
        window = text[key.end():key.end() + _NEAR]
        m = _DATE.search(window)
        if m is None:
            continue
        if _NOT_THE_REPLY.search(before.split("\n")[-1]) or _NOT_THE_REPLY.search(window[:m.start()]):
            continue
        found.append(_as_date(m))
    for line in text.splitlines():
        alone = _ALONE.match(line.strip())
        if alone and (m := _DATE.fullmatch(alone.group("date"))):
            found.append(_as_date(m))
    return tuple(sorted({d for d in found if d is not None}))


def reply_date_of(dates, earliest: date | None = None, today: date | None = None) -> date | None:
    """The latest of a letter's `dates` that can be its reply's: not before `earliest`
    (the day the request was sent, or 1 January of its year), not after today."""
    today = today or date.today()
    good = [d for d in dates if d <= today and (earliest is None or d >= earliest)]
    return max(good, default=None)


def letter_date(text: str, earliest: date | None = None, today: date | None = None) -> date | None:
    """The date a letter's text says it was sent (letter_dates, then reply_date_of)."""
    return reply_date_of(letter_dates(text), earliest, today)


def _as_date(m: re.Match) -> date | None:
    g = m.groupdict()
    try:
        if g["m1"]:
            return date(int(g["y1"]), _MONTHS[g["m1"].lower()], int(g["d1"]))
        if g["m2"]:
            return date(int(g["y2"]), _MONTHS[g["m2"].lower()], int(g["d2"]))
        if g["y3"]:
            return date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
        year = int(g["y4"])
        if year < 100:
            year += 2000
        return date(year, int(g["m4"]), int(g["d4"]))  # day first: British letters
    except ValueError:  # 31/02/2017, 14/13/2017: not a date
        return None


LETTER_BYTES = 2_000_000  # a letter's text is a few KB; more is never read


def letter_text(path: Path, limit: int = LETTER_BYTES) -> str:
    """A letter's text, reading at most `limit` bytes of it (of a docx: of its text part,
    however big the archive says it is). Lines are kept where the format has them (a
    docx's paragraphs). Empty for anything that is not a regular file or cannot be read."""
    try:
        # never through a link, never blocking on a pipe: only the regular file itself
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return ""
            suffix = path.suffix.lower()
            if suffix == ".docx":
                with zipfile.ZipFile(fh) as zf, zf.open("word/document.xml") as part:
                    xml = part.read(limit).decode("utf-8", errors="replace")
                runs = re.findall(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|(</w:p>)", xml)
                return html.unescape("".join("\n" if end else text for text, end in runs))
            raw = fh.read(limit)
        if suffix == ".pdf":  # uncompressed text operators, a line each: (....) Tj
            return "\n".join(m.decode("latin-1") for m in re.findall(rb"\(((?:\\.|[^\\()])*)\)\s*T[jJ]", raw))
        text = raw.decode("utf-8", errors="replace")
        if suffix in (".html", ".htm"):
            text = html.unescape(re.sub(r"<[^>]*>", "\n", text))
        return text
    except Exception:
        return ""
