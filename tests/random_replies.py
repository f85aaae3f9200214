"""Random replies: random figures rendered in a random layout, format and wording, with
the figures a correct reading must give, computed here from the renderer's own spec.

What a reply may hold (each drawn at random):

- layouts: 'long' (a row per year and offence), 'crosstab' (offences down, years across),
  'years_down' (years down, offences across), 'age_year' (ages down, years across) and
  'nil' (a letter that says in words that nothing was recorded in the years it names);
- offence labels drawn from the reference files (schemas/offences.csv,
  schemas/offence_titles.csv, read here with the csv module, not through the reader):
  a wording (a class's description, an abbreviation of ABBREVIATIONS, a title naming one
  class alone, with or without its '(s.10)'), a code alone (a class's code, a title's own
  sub-code '71/17'), or a code with a wording ('19C - Rape of ...', '086/10 Possession of
  ...', 'Sexual grooming (88A)', '019/07 - Rape U13 (F)' with a sub-code the reference does
  not list), in one cell or in an 'HO code' column beside the 'Offence' column; in UPPER,
  lower or Title Case, indented with spaces or a tab, padded;
- ages as 'Aged 13', '13 years' or bare numbers, or as bands, with an age-not-recorded row;
- stated totals: a 'Total' / 'Grand Total' row, column or both (their true sums, also
  when parts are suppressed), a total row per year in the long layout;
- a pivot export: filter line, 'Column Labels' over the years, 'Row Labels' over the row
  labels, 'Grand Total', zeros left blank, '(blank)' for ages not recorded;
- a year whose whole column says 'Not available'; zeros written 'n/a'; one title printed
  on two rows; a row for an offence the reference does not know (UNKNOWN_LABELS);
- suppression markers with a footnote; titles over the table; csv, xlsx (anywhere on the
  sheet), xls and ods.

Each row knows what it counts: an offence class ('86'), 'unclassified' for an unknown
offence, or an age (min, max). Spec.expected() sums the rows' true figures at year x class
(or year x age) level, apart from the reader; the tests compare the reader's observations
with it. Choices from the reference are made by hashing (`_pick`), so a title added to the
reference changes only the few replies where the new title is drawn, not every seed.
"""
from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from corpus import ods, text, xls, xlsx
from flows import SCHEMAS

YEARS = ["2013/14", "2014/15", "2015/16", "2016/17", "2017/18", "2018/19", "2019/20", "2020/21"]
MARKERS = ["*", "<5", "[c]"]
NOT_AVAILABLE = "Not available"
NA_CELL = "n/a"

# Abbreviations forces write, each naming one whole class (tests check classify() agrees).
ABBREVIATIONS: dict[str, str] = {
    "Rape U13 (F)": "19E", "Rape U13 (M)": "19H", "Rape (F 13-15)": "19D", "Rape (M 13-15)": "19G",
    "Rape (F 16-17)": "19C", "Rape (M 16-17)": "19F", "Rape (F U16)": "19D",
    "Sex assault (F 13+)": "20A", "Sex assault (M 13+)": "17A", "Sex assault U13 (F)": "20B",
    "Sex assault U13 (M)": "17B", "Sex activity U13": "21", "Incite U13 sex act": "21",
    "Sex activity w/ child U16": "22B", "Cause sex act w/o consent": "22A",
    "IIOC": "86", "IIOC - possession": "86", "Indecent images of children": "86",
    "Sex comms w/ child": "88A", "Online grooming": "88A", "CSE": "71", "Child sexual exploitation": "71",
    "Misc sex offence": "88C", "Indecent exposure": "88E", "Abuse of trust": "73",
    "Familial sex offences": "23", "Sex offence - mental disorder": "70", "Trafficking": "72",
}

# Offences that are not child sexual offences, as some replies list them beside those:
# the reference must not know them (tests check), so they load only as 'unclassified'.
UNKNOWN_LABELS = ["Malicious communications", "Harassment", "Stalking involving fear of violence"]

TOTAL_LABELS = ["Total", "Grand Total", "TOTAL", "Total offences"]
AGE_TOTAL_LABELS = ["Total", "Grand Total", "All ages"]
AGE_UNKNOWN_LABELS = ["Not recorded", "Unknown", "Age not known"]
AGE_BANDS = [[(0, 12), (13, 15), (16, 17)], [(0, 9), (10, 12), (13, 15), (16, 17)]]
PIVOT_BLANK = "(blank)"


# ------------------------------------------------------------------ the offences drawn

@dataclass(frozen=True)
class Entity:
    """One offence a row may count, and the ways a reply may write it: a wording alone, a
    code alone (a whole class's code, a title's own sub-code), or a code and a wording,
    in one cell or in a code column beside an offence column."""

    key: str  # stable identity: 'class:86', 'title:Voyeurism', 'unknown:Harassment'
    cls: str  # the class it belongs to, or 'unclassified'
    whole: bool  # the whole class (at most one such row per class in a table)
    wordings: tuple[tuple[str, str], ...]  # (kind, text): 'description', 'abbreviation', 'title', 'title (s.N)'
    codes: tuple[tuple[str, str], ...]  # (kind, code): 'class code', 'sub-code', 'padded sub-code'
    number: str = ""  # the class's number ('19' for 19D): sub-codes '019/NN' of it name the class with its words

    @property
    def alone(self) -> tuple[tuple[str, str], ...]:
        """Codes that name this offence with no words: a whole class's code, a title's sub-code."""
        return tuple(c for c in self.codes if self.whole or c[0] != "class code")

    def labels(self) -> list[str]:
        """Every one-cell label the renderer may write for it (two made-up sub-codes)."""
        codes = [c for _, c in self.codes] + (ho_sub_codes(self.number)[:2] if self.number else [])
        out = [w for _, w in self.wordings] + [c for _, c in self.alone]
        for form in ("code - words", "code words", "words (code)"):
            out += [LABEL_FORMS[form].format(code=c, words=w) for c in codes for _, w in self.wordings]
        return out


def _read_csv(name: str) -> list[dict]:
    with open(SCHEMAS / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _number(code: str) -> str:
    return re.sub(r"[A-Z]$", "", code)


def _pad(sub_code: str) -> str:
    """'86/10' -> '086/10', '71/17' -> '071/17' (how crime systems print sub-codes)."""
    number, sub = sub_code.split("/")
    return f"{int(_number(number)):03d}{number[len(_number(number)):]}/{int(sub):02d}"


@lru_cache(maxsize=1)
def entities() -> tuple[Entity, ...]:
    """Every whole class (schemas/offences.csv) and every title of offence_titles.csv that
    names one class alone, with the wordings and codes each may be written with."""
    out: list[Entity] = []
    descriptions: dict[str, str] = {}
    for row in _read_csv("offences.csv"):
        code, desc = row["offence_code"].strip(), row["offence_description"].strip()
        descriptions[code] = desc
        wordings = [("description", desc)] + [("abbreviation", a) for a, c in ABBREVIATIONS.items() if c == code]
        out.append(Entity(f"class:{code}", code, True, tuple(wordings), (("class code", code),), _number(code)))
    seen = {d.lower() for d in descriptions.values()}
    for row in _read_csv("offence_titles.csv"):
        codes = [c.strip() for c in re.split(r"[|;]", row["offence_code"]) if c.strip()]
        title = row["title"].strip()
        if len(codes) != 1 or title.lower() in seen:
            continue  # several classes ('Rape of a child under 13'), or a class description again
        seen.add(title.lower())
        (code,) = codes
        wordings = [("title", title)]
        if m := re.match(r"^SOA 2003 s\.(\d+[A-Z]?)\b", row["legislation"]):
            wordings.append(("title (s.N)", f"{title} (s.{m.group(1)})"))
        code_forms = [("class code", code)]
        if sub := row.get("sub_code", "").strip():
            code_forms += [("sub-code", sub), ("padded sub-code", _pad(sub))]
        out.append(Entity(f"title:{title}", code, False, tuple(wordings), tuple(code_forms),
                          "" if sub else _number(code)))
    out += [Entity(f"unknown:{u}", "unclassified", False, (("unknown", u),), ()) for u in UNKNOWN_LABELS]
    return tuple(out)


@lru_cache(maxsize=1)
def _known_sub_codes() -> frozenset[tuple[int, int]]:
    """(number, sub) of every sub-code the reference lists: a made-up '019/NN' avoids them."""
    out = set()
    for row in _read_csv("offence_titles.csv"):
        if sub := row.get("sub_code", "").strip():
            number, n = sub.split("/")
            out.add((int(_number(number.upper())), int(n)))
    return frozenset(out)


def ho_sub_codes(number: str) -> list[str]:
    """Sub-codes of a class number that the reference does not list ('019/07'): with the
    class's own words they name the class (the code says the number, the words the class)."""
    return [f"{int(number):03d}/{k:02d}" for k in range(1, 40) if (int(number), k) not in _known_sub_codes()]


LABEL_FORMS = {"words": "{words}", "code": "{code}", "code - words": "{code} - {words}",
               "code words": "{code} {words}", "words (code)": "{words} ({code})"}


def _hash(salt: int, key: str) -> bytes:
    return hashlib.blake2b(f"{salt}:{key}".encode(), digest_size=8).digest()


def _pick(rng: random.Random, pool: list, k: int, key=str) -> list:
    """k items of pool, chosen by hashing one draw of rng with each item's key: the
    draws used do not depend on the pool, and an item added to the pool changes the
    choice only where the new item is chosen."""
    salt = rng.getrandbits(64)
    return sorted(pool, key=lambda item: _hash(salt, key(item)))[:k]


# ------------------------------------------------------------------------- the spec

@dataclass
class Row:
    """One row (or, years down, one column) of the table: what it counts and says."""

    label: object  # as written: a str, or an int for a bare age
    key: object  # class code, 'unclassified', or (age_min, age_max) with None for not recorded
    values: dict[str, int]  # year -> the true figure
    shown: dict[str, object]  # year -> what the cell says: int, a marker, 'n/a', None (blank)
    style: str = ""


@dataclass
class Spec:
    layout: str  # long | crosstab | years_down | age_year | nil
    fmt: str  # csv | xlsx | xls | ods
    years: list[str]  # the years the table shows, in order (with na_year)
    na_year: str | None  # a year whose every cell says 'Not available'
    rows: list[Row]
    marker: str | None
    year_style: int
    offset: tuple[int, int]
    title: bool
    total_row: str | None  # the total row's label, or None
    total_col: str | None
    pivot: bool
    head: str  # the row labels' heading
    case: str  # as | upper | lower | title (offence labels)
    code_column: bool = False  # offence codes in a column of their own, beside the wording
    notes: list[str] = field(default_factory=list)  # what was drawn, for failure messages

    @property
    def figure_years(self) -> list[str]:
        return [y for y in self.years if y != self.na_year]

    @property
    def by_age(self) -> bool:
        return self.layout == "age_year"

    def expected(self) -> dict[tuple, tuple[int, int]]:
        """(year, class or None, (age_min, age_max)) -> (known sum, suppressed cells), from
        the spec alone. Blank, 'n/a' and 'Not available' cells give nothing; a nil return
        gives a 0 per year."""
        out: dict[tuple, list[int]] = {}
        if self.layout == "nil":
            return {(y, None, (None, None)): (0, 0) for y in self.years}
        for row in self.rows:
            cls, age = (None, row.key) if self.by_age else (row.key, (None, None))
            for y in self.figure_years:
                shown = row.shown[y]
                slot = out.setdefault((y, cls, age), [0, 0])
                if isinstance(shown, int):
                    slot[0] += shown
                elif shown is not None and shown != NA_CELL:
                    slot[1] += 1  # a suppression marker
        return {k: (v[0], v[1]) for k, v in out.items()}

    def year_totals(self) -> dict[str, int]:
        """Known figures per year (suppressed cells give nothing)."""
        out = {y: 0 for y in self.figure_years}
        for (y, _, _), (known, _) in self.expected().items():
            out[y] += known
        return out

    def suppressed(self) -> int:
        return sum(n for _, n in self.expected().values())

    def digest(self) -> str:
        """What the reply says, as a short hash: the regression set keeps it per seed, so a
        seed whose reply the renderer now draws differently is told apart from a reply the
        reader stopped reading."""
        payload = json.dumps([self.fmt, self.offset if self.fmt == "xlsx" else None, rows_of(self)],
                             default=str, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def year_label(y: str, style: int) -> str:
    a = int(y[:4])
    return [y, f"{a}-{str(a + 1)[2:]}", f"{a}/{a + 1}", f"April {a} to March {a + 1}",
            f"FY{str(a)[2:]}/{str(a + 1)[2:]}"][style]


def _cased(label: str, case: str) -> str:
    if case == "upper":
        return label.upper()
    if case == "lower":
        return label.lower()
    if case == "title":
        return label.title()
    return label


def _padded(rng: random.Random, label: str) -> str:
    r = rng.random()
    if r < 0.08:
        return "\t" + label
    if r < 0.16:
        return "   " + label
    if r < 0.24:
        return label + "  "
    if r < 0.30:
        return " " + label + " "
    return label


def _value(rng: random.Random) -> int:
    return rng.choice([0, rng.randint(1, 4), rng.randint(5, 60), rng.randint(100, 2500)])


def _offence_rows(rng: random.Random, case: str, n: int, code_column: bool) -> list[Row]:
    """n rows, each a different offence: whole classes (one per class) and titles."""
    pool = list(entities())
    chosen: list[Entity] = []
    want_whole = sum(rng.random() < 0.5 for _ in range(n))
    for e in _pick(rng, [e for e in pool if e.whole], want_whole, key=lambda e: e.key):
        chosen.append(e)
    parts = [e for e in pool if not e.whole and e.cls != "unclassified"]
    chosen += _pick(rng, parts, n - len(chosen), key=lambda e: e.key)
    rng.shuffle(chosen)
    return [_offence_row(rng, e, case, code_column) for e in chosen]


def _offence_row(rng: random.Random, e: Entity, case: str, code_column: bool) -> Row:
    """How one row writes its offence. In a code column, the code cell is None for an
    offence without a code."""
    [(wkind, words)] = _pick(rng, list(e.wordings), 1, key=lambda w: f"{w[0]}:{w[1]}")
    codes = list(e.codes)
    if e.number:
        [ho] = _pick(rng, ho_sub_codes(e.number), 1)
        codes.append(("HO sub-code", ho))
    [(ckind, code)] = _pick(rng, codes, 1, key=lambda c: c[0]) if codes else [("none", None)]
    if code_column:
        return Row((None if code is None else _cased(code, case), _padded(rng, _cased(words, case))),
                   e.cls, {}, {}, f"code column:{ckind}:{wkind}")
    forms = [f for f in LABEL_FORMS if f == "words" or code is not None and (f != "code" or (ckind, code) in e.alone)]
    [form] = _pick(rng, forms, 1)
    if form == "code":
        wkind = "-"
    label = LABEL_FORMS[form].format(code=code, words=words)
    return Row(_padded(rng, _cased(label, case)), e.cls, {}, {}, f"{form}:{ckind if form != 'words' else '-'}:{wkind}")


def _age_rows(rng: random.Random, pivot: bool) -> list[Row]:
    rows = []
    if rng.random() < 0.7:
        style = rng.choice(["Aged {}", "{} years", "int", "str"])
        for a in range(rng.randint(3, 12), 18):
            label = a if style == "int" else (str(a) if style == "str" else style.format(a))
            rows.append(Row(label, (a, a), {}, {}, style))
    else:
        bands = rng.choice(AGE_BANDS)
        for lo, hi in bands:
            label = f"Under {hi + 1}" if lo == 0 and rng.random() < 0.5 else f"{lo}-{hi}"
            rows.append(Row(label, (lo, hi), {}, {}, "band"))
    if rng.random() < 0.3:
        rows.append(Row(PIVOT_BLANK if pivot else rng.choice(AGE_UNKNOWN_LABELS), (None, None), {}, {}, "unknown"))
    return rows


def random_spec(rng: random.Random) -> Spec:
    layout = rng.choices(["long", "crosstab", "years_down", "age_year", "nil"], weights=[5, 7, 5, 5, 1])[0]
    start = rng.randrange(len(YEARS) - 3)
    n_years = rng.randint(1, 3)
    years = YEARS[start:start + n_years]
    pivot = layout in ("crosstab", "years_down", "age_year") and rng.random() < 0.2
    na_year = None
    if layout in ("crosstab", "years_down", "age_year") and not pivot and rng.random() < 0.15:
        # one more year, whose every cell says 'Not available' (the reply's system did not hold it)
        years = YEARS[start:start + n_years + 1]
        na_year = rng.choice(years)
    case = rng.choices(["as", "upper", "lower", "title"], weights=[6, 2, 1, 2])[0]
    marker = rng.choice([None, None, *MARKERS])
    spec = Spec(
        layout=layout, fmt=rng.choice(["csv", "xlsx", "xls", "ods"]), years=years, na_year=na_year,
        rows=[], marker=marker, year_style=rng.randrange(5),
        offset=(rng.randint(1, 5), rng.randint(1, 4)), title=rng.random() < 0.5,
        total_row=None, total_col=None, pivot=pivot,
        head="Row Labels" if pivot else ("Victim age" if layout == "age_year" else "Offence"),
        case=case,
    )
    if layout == "nil":
        spec.marker = None
        return spec
    labels_ = AGE_TOTAL_LABELS if layout == "age_year" else TOTAL_LABELS
    if pivot:
        spec.total_row = "Grand Total" if rng.random() < 0.8 else None
        spec.total_col = "Grand Total" if rng.random() < 0.8 else None
    elif layout == "long":
        spec.total_row = rng.choice(["Total", "Total offences"]) if rng.random() < 0.3 else None
    else:
        spec.total_row = rng.choice(labels_) if rng.random() < 0.4 else None
        spec.total_col = rng.choice(labels_) if rng.random() < 0.25 else None
    if layout == "age_year":
        rows = _age_rows(rng, pivot)
    else:
        spec.code_column = layout in ("long", "crosstab") and not pivot and rng.random() < 0.12
        rows = _offence_rows(rng, case, rng.randint(1, 6), spec.code_column)
        across = layout == "years_down"  # offences are column headings: a repeated or unknown one is never read
        if rng.random() < (0.02 if across else 0.12):
            # one title on two rows (a crime system that prints two offences under one title)
            twin = rows[rng.randrange(len(rows))]
            rows.insert(rows.index(twin) + 1, Row(twin.label, twin.key, {}, {}, twin.style + " (again)"))
        if rng.random() < (0.03 if across else 0.12):
            [u] = _pick(rng, [e for e in entities() if e.cls == "unclassified"], 1, key=lambda e: e.key)
            rows.insert(rng.randint(0, len(rows)), _offence_row(rng, u, "as", spec.code_column))
    na_cells = layout != "long" and rng.random() < 0.12
    for row in rows:
        for y in years:
            if y == na_year:
                row.values[y], row.shown[y] = 0, NOT_AVAILABLE
                continue
            v = _value(rng)
            row.values[y] = v
            if marker and 1 <= v <= 4:
                row.shown[y] = marker
            elif v == 0 and pivot:
                row.shown[y] = None
            elif v == 0 and na_cells and rng.random() < 0.5:
                row.shown[y] = NA_CELL
            else:
                row.shown[y] = v
    if pivot:
        # a pivot table lists only the rows and years it has records for (and has some)
        if not any(v for r in rows for v in r.values.values()):
            rows[0].values[years[0]] = rows[0].shown[years[0]] = rng.randint(5, 60)
        rows = [r for r in rows if any(r.values.values())]
        spec.years = [y for y in years if any(r.values[y] for r in rows)]
    spec.rows = rows
    spec.notes = [f"{r.style}: {r.label!r} -> {r.key}" for r in rows]
    return spec


# ------------------------------------------------------------------------ rendering

def _total(spec: Spec, values: list[int]) -> object:
    n = sum(values)
    return None if spec.pivot and n == 0 else n


def rows_of(spec: Spec) -> list[list]:
    if spec.layout == "nil":
        return _nil_rows(spec)
    ys = {y: year_label(y, spec.year_style) for y in spec.years}
    fy = spec.figure_years
    rows: list[list]
    # a row's label cells: one, or a code and a wording (the total's label in the wording's column)
    cells = (lambda label: list(label)) if spec.code_column else (lambda label: [label])
    total = (lambda label: [None, label]) if spec.code_column else (lambda label: [label])
    heads = ["HO code", "Offence"] if spec.code_column else [spec.head]
    if spec.layout == "long":
        rows = [["Financial Year", *heads, "Number of Offences"]]
        rows += [[ys[y], *cells(r.label), r.shown[y]] for r in spec.rows for y in spec.years]
        if spec.total_row:
            rows += [[ys[y], *total(spec.total_row), sum(r.values[y] for r in spec.rows)] for y in spec.years]
    elif spec.layout == "years_down":
        head = ["Year" if not spec.pivot else spec.head, *(r.label for r in spec.rows)]
        rows = [head + ([spec.total_col] if spec.total_col else [])]
        for y in spec.years:
            line = [ys[y], *(r.shown[y] for r in spec.rows)]
            if spec.total_col:
                line.append(NOT_AVAILABLE if y == spec.na_year else _total(spec, [r.values[y] for r in spec.rows]))
            rows.append(line)
        if spec.total_row:
            line = [spec.total_row, *(_total(spec, [r.values[y] for y in fy]) for r in spec.rows)]
            if spec.total_col:
                line.append(_total(spec, [r.values[y] for r in spec.rows for y in fy]))
            rows.append(line)
    else:
        rows = [[*heads, *(ys[y] for y in spec.years)] + ([spec.total_col] if spec.total_col else [])]
        for r in spec.rows:
            rows.append([*cells(r.label), *(r.shown[y] for y in spec.years)]
                        + ([_total(spec, [r.values[y] for y in fy])] if spec.total_col else []))
        if spec.total_row:
            line = [*total(spec.total_row), *(NOT_AVAILABLE if y == spec.na_year else _total(spec, [r.values[y] for r in spec.rows])
                                      for y in spec.years)]
            if spec.total_col:
                line.append(_total(spec, [r.values[y] for r in spec.rows for y in fy]))
            rows.append(line)
    if spec.pivot:
        rows = [["Online Crime Flag", "Y"], [], ["Count of Crime Reference", "Column Labels"], *rows]
    if spec.marker:
        rows += [[], [f"{spec.marker} denotes a figure between 1 and 4"]]
    if spec.title:
        rows = [["Response to your Freedom of Information request"], [], *rows]
    return rows


def _nil_rows(spec: Spec) -> list[list]:
    named = [year_label(y, spec.year_style) for y in spec.years]
    years = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    which = "that year" if len(named) == 1 else ("either year" if len(named) == 2 else "any of those years")
    return [["Freedom of Information request 2021/123"], [],
            [f"You asked for online-flagged child sexual offences for {years}."],
            [f"I can confirm that no offences meeting the criteria were recorded in {which}."]]


def render(spec: Spec, folder: Path) -> Path:
    rows = rows_of(spec)
    if spec.fmt == "csv":
        return text(folder / "reply.csv", rows)
    if spec.fmt == "xls":
        return xls(folder / "reply.xls", rows)
    if spec.fmt == "ods":
        return ods(folder / "reply.ods", rows)
    return xlsx(folder / "reply.xlsx", {"Data": rows}, at=spec.offset)
