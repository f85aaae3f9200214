"""A table's figures before they become Observations: its parts, its totals, the checks.

Every layout resolves each number to a Figure: a year, an offence and an age, each
either one value or, for a total, `Over` a set of values. Totals are checked against
the sum of the parts they cover (with suppressed parts, the sum is a range) and kept
apart from the parts, so a total can never be added in as a figure.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache

from flows import labels
from flows.labels import Age
from flows.observations import TOTAL_MISMATCH, Count, Observation, Problem


@dataclass(frozen=True, slots=True)
class Over:
    """A total's value for one dimension: every value (members None) or a group's."""

    label: str = ""  # as the reply writes it: 'Total', 'Rape - total', 'All ages'
    members: frozenset | None = None
    # A plain 'Total' under a block of rows may total the whole table or only the rows
    # since the last total or heading: `block` is the second reading, and the one the
    # reply's own figures add up to is taken (resolve_total_scopes).
    block: frozenset | None = None


@dataclass(slots=True)
class Figure:
    year: str | Over
    offence: str | None | Over  # the label as written; None: the table has no offences
    age: Age | None | Over  # None: the table has no ages
    count: Count
    source: str
    loaded: bool = True  # False: kept for the checks only (adult or negative ages)
    unknown: str = ""  # why its offence label is not recognised ('' when it is)
    offence_ref: str = ""  # the cell of its offence label: two rows may print one title
    unavailable: bool = False  # the cell says 'n/a' or 'Not available': no figure, never a count
    # a dimension the warehouse does not keep but that tells figures apart (the victim's
    # sex in a 'Girls' / 'Boys' split): a label, an Over for its total, or None
    split: object = None
    line: int = 0  # the sheet row of a table's row of figures (0: not a row of a table)
    indent: int = 0  # leading spaces of its row label as written: rows indented under a heading
    proven_by: str = ""  # the stated total that proves an unknown offence is a part

    @property
    def is_total(self) -> bool:
        return any(isinstance(v, Over) for v in (self.year, self.offence, self.age, self.split))

    @property
    def offence_key(self) -> str | None:
        return offence_key(self.offence) if isinstance(self.offence, str) else None


def offence_key(label: str) -> str:
    """The same offence written two ways ('88A', 'Sexual grooming') is one key: its
    classes ('19E|19H' for 'Rape of a child under 13'), or its words when unrecognised."""
    classes = labels.match_offence(label).classes
    return "|".join(sorted(classes)) if classes else labels.normalise(label)


def _member(key: str | None, members: frozenset) -> bool:
    """A part is inside a total's offences when its key is one of them, or when every
    class it may be is (a group total over classes covers 'Rape of a child under 13')."""
    if key is None:
        return False
    return key in members or (bool(key) and all(c in members for c in key.split("|")))


def _covers(total: Figure, part: Figure) -> bool:
    for dim in ("year", "offence", "age", "split"):
        t, p = getattr(total, dim), getattr(part, dim)
        if isinstance(t, Over):
            if t.members is None:
                continue
            if dim == "offence":
                if not _member(part.offence_key, t.members):
                    return False
            elif p not in t.members:
                return False
        elif dim == "offence":
            if (t is None) != (p is None):
                return False
            if t is not None and total.offence_ref and part.offence_ref:
                if total.offence_ref != part.offence_ref:
                    return False  # the total of another row or column, even one with the same title
            elif t is not None and _label_key(t) != _label_key(p):
                return False
        elif t != p:
            return False
    return True


def _describe(parts: list[Figure]) -> str:
    lo = sum(p.count.lower for p in parts)
    hi = sum(p.count.upper for p in parts)
    suppressed = sum(p.count.suppressed for p in parts)
    if lo == hi:
        return f"its {len(parts)} parts add up to {lo}"
    return f"its {len(parts)} parts add up to between {lo} and {hi} ({suppressed} suppressed)"


def _parts_bounds(parts: list[Figure]) -> tuple[int, int]:
    return sum(p.count.lower for p in parts), sum(p.count.upper for p in parts)


def resolve_total_scopes(figures: list[Figure]) -> None:
    """Each total that could cover the whole table or only its block keeps the scope its
    parts add up to. When the whole table adds up, or neither does, it stays whole (and
    check_totals reports a mismatch); the block is taken only on that evidence."""
    parts = [f for f in figures if not f.is_total]
    for f in figures:
        if not (isinstance(f.offence, Over) and f.offence.block is not None):
            continue
        whole = [p for p in parts if _covers(f, p)]
        if whole and _reconciles(f, *_parts_bounds(whole)):
            f.offence = Over(f.offence.label, f.offence.members)
            continue
        narrow = Figure(f.year, Over(f.offence.label, f.offence.block), f.age, f.count, f.source)
        covered = [p for p in parts if _covers(narrow, p)]
        f.offence = narrow.offence if covered and _reconciles(f, *_parts_bounds(covered)) \
            else Over(f.offence.label, f.offence.members)


def check_totals(figures: list[Figure]) -> list[Problem]:
    """Each total must lie within the range its parts allow: known sum <= total <=
    known sum + the suppressed parts' upper bounds (and above their lower bounds)."""
    parts = [f for f in figures if not f.is_total]
    problems = []
    for total in (f for f in figures if f.is_total):
        covered = [p for p in parts if _covers(total, p)]
        if not covered and total.count.upper == 0:
            continue  # a total of 0 over blank cells: nothing to check, nothing to count
        if not covered:
            # e.g. a 'Rape' row in a table that lists no rape offence: its figures would
            # vanish from the counts if it were taken for a total
            problems.append(Problem(
                f"{total.source} ({total.count.raw}) is labelled as a total but covers no figure of its "
                "table: cannot tell what it counts",
                source=total.source,
            ))
            continue
        lo, hi = _parts_bounds(covered)
        if total.count.upper < lo or total.count.lower > hi:
            problems.append(Problem(
                f"the total at {total.source} ({total.count.raw}) does not match its parts: "
                f"{_describe(covered)} ({covered[0].source} to {covered[-1].source})",
                source=total.source, kind=TOTAL_MISMATCH,
            ))
    return problems


def _reconciles(total: Figure, lo: int, hi: int) -> bool:
    return not (total.count.upper < lo or total.count.lower > hi)


def check_unavailable(figures: list[Figure]) -> tuple[list[Problem], list[str]]:
    """Cells that say 'n/a' or 'Not available' (kept as 0 for the checks, never loaded).
    A year where every cell says so is not available: its cells are dropped and noted.
    Elsewhere such a cell is safe to leave out only when a stated total covering it adds
    up without it; otherwise it is a Problem, since the year's figures would be short."""
    problems: list[Problem] = []
    notes: list[str] = []
    by_year: dict = defaultdict(list)
    for f in figures:
        by_year[f.year if not isinstance(f.year, Over) else None].append(f)
    gone: set[int] = set()
    for year, fs in by_year.items():
        parts = [f for f in fs if not f.is_total]
        if year is not None and parts and all(f.unavailable for f in parts):
            gone.update(id(f) for f in fs if f.unavailable or f.is_total and f.count.upper == 0)
            notes.append(f"{year}: every figure says it is not available ({parts[0].source} to {parts[-1].source}); "
                         "no figures for that year")
    kept = [f for f in figures if id(f) not in gone]
    parts = [f for f in kept if not f.is_total]
    totals = [f for f in kept if f.is_total and not f.unavailable]
    for f in kept:
        if not f.unavailable:
            continue
        f.loaded = False
        if f.is_total:
            continue
        if not any(_covers(t, f) and _reconciles(t, *_parts_bounds([p for p in parts if _covers(t, p)]))
                   for t in totals):
            problems.append(Problem(f"{f.source} says '{f.count.raw}': not a figure, and no stated total shows "
                                    "the year's figures are complete without it", source=f.source))
    figures[:] = [f for f in kept if not (f.unavailable and f.is_total)]
    return problems, notes


_MOST_UNKNOWN = 1  # unknown offence rows may be at most as many as the known ones (ratio)


def check_unknown_offences(figures: list[Figure]) -> list[Problem]:
    """A figure whose offence label is not recognised stays (as 'unclassified') only when
    a stated total of its own table proves it is one of the total's parts: the total
    adds up with it and, unless it is 0, would not add up without it. Otherwise it is
    a Problem, and the file is quarantined, since its totals would be silently wrong.
    Marks the proven figures (proven_by) and drops the others from `figures`."""
    problems = []
    parts = [f for f in figures if not f.is_total]
    totals = [f for f in figures if f.is_total]
    unknown = sum(1 for f in parts if f.unknown)
    # a table whose labels are mostly unknown is not a table of offences at all: no total
    # can prove that its rows are offences
    table_of_offences = unknown <= (len(parts) - unknown) * _MOST_UNKNOWN
    keep: list[Figure] = []
    for f in figures:
        if not f.unknown or f.is_total:
            keep.append(f)
            continue
        proof = ""
        if not table_of_offences:
            problems.append(Problem(f"{f.unknown} (most of the table's offence labels are unknown)", source=f.source))
            continue
        for total in totals:
            if not _covers(total, f):
                continue
            covered = [p for p in parts if _covers(total, p)]
            lo, hi = _parts_bounds(covered)
            without_lo, without_hi = lo - f.count.lower, hi - f.count.upper
            needed = f.count.upper == 0 or not _reconciles(total, without_lo, without_hi)
            if _reconciles(total, lo, hi) and needed:
                proof = total.source
                break
        if proof:
            f.proven_by = proof
            keep.append(f)
        else:
            problems.append(Problem(f"{f.unknown} (no stated total proves it is one of the table's parts)",
                                    source=f.source))
    figures[:] = keep
    return problems


def unknown_offences_note(figures: list[Figure], where: str) -> list[str]:
    """The warning a reviewer reads: which cells were loaded as 'unclassified', and why."""
    proven = [f for f in figures if f.proven_by]
    return [f"{where}: offence '{f.offence}' at {f.source} is not in the classification; loaded as "
            f"unclassified because the stated total at {f.proven_by} adds up only with it" for f in proven]


def _label_key(offence) -> object:
    """Two rows are the same offence when the reply writes the same words (two offences
    of one class, 'Make indecent photograph' and 'Possess ...', are two figures)."""
    if not isinstance(offence, str):
        return offence
    return _text_key(offence)


@lru_cache(maxsize=16384)
def _text_key(offence: str) -> str:
    """_label_key of a label: worked out once per label (a list repeats its offences)."""
    match = labels.match_offence(offence)
    whole_code = match.code and match.code_as_written == match.code and not match.wording
    if whole_code or match.code and title_is_class(match):
        return match.code  # '88A' and 'Sexual grooming' name the same whole class
    return labels.normalise(offence)


def title_is_class(match) -> bool:
    """The label's words are its class's own description ('Sexual grooming' for 88A)."""
    from flows.classification import reference, title_key

    ref = reference()
    return bool(match.code) and title_key(match.wording) == title_key(ref.classes[match.code].description)


def check_duplicates(figures: list[Figure]) -> list[Problem]:
    """Two figures for the same year, offence label and age: one of them would be
    counted twice, unless a stated total of the table adds up only with both (some
    crime systems print two offences under one title)."""
    seen: dict[tuple, list[Figure]] = defaultdict(list)
    for f in figures:
        if not f.is_total:
            seen[(f.year, _label_key(f.offence), f.age, f.split)].append(f)
    parts = [f for f in figures if not f.is_total]
    totals = [f for f in figures if f.is_total]
    problems = []
    for same in seen.values():
        if len(same) < 2 or _all_needed(same, parts, totals):
            continue
        sources = [f.source for f in same]
        problems.append(Problem(f"{' and '.join(sources[:3])} give figures for the same year, offence and age",
                                source=sources[0]))
    return problems


def _all_needed(same: list[Figure], parts: list[Figure], totals: list[Figure]) -> bool:
    """A stated total covers every one of `same`, adds up with them, and would not add
    up if any one of them (that is not 0) were a repeat of another."""
    for total in totals:
        if not all(_covers(total, f) for f in same):
            continue
        lo, hi = _parts_bounds([p for p in parts if _covers(total, p)])
        if not _reconciles(total, lo, hi):
            continue
        if all(f.count.upper == 0 or not _reconciles(total, lo - f.count.lower, hi - f.count.upper)
               for f in same):
            return True
    return False


def _years_label(years: list[str]) -> str:
    years = sorted(set(years))
    if not years:
        return ""
    return years[0] if len(years) == 1 else f"{years[0]} to {years[-1]}"


def _age_bounds(a: Age | None | Over) -> tuple[int | None, int | None]:
    if isinstance(a, Age) and a.is_child:
        return a.min, a.max
    return None, None


def to_observations(figures: list[Figure], table: str) -> tuple[list[Observation], list[Observation]]:
    """(observations, totals). A total over several years names them '2016/17 to 2018/19'."""
    parts = [f for f in figures if not f.is_total]
    observations, totals = [], []
    for f in figures:
        if not f.is_total:
            if f.loaded:
                lo, hi = _age_bounds(f.age)
                observations.append(Observation(f.year, f.offence, lo, hi, f.count, f.source, table,
                                                unclassified=f.proven_by))
            continue
        if isinstance(f.year, Over):
            year = _years_label([p.year for p in parts if _covers(f, p)]) or _years_label([p.year for p in parts])
        else:
            year = f.year
        if not year:
            continue
        offence = f.offence.label if isinstance(f.offence, Over) else f.offence
        lo, hi = _age_bounds(f.age)
        covered = [p for p in parts if _covers(f, p)]
        parts_lo, parts_hi = _parts_bounds(covered)  # 0..0 for a total of 0 over blank cells
        totals.append(Observation(year, offence, lo, hi, f.count, f.source, table, parts_lo, parts_hi))
    return observations, totals


def dropped_ages_note(figures: list[Figure], where: str) -> list[str]:
    """The cells left out because the age is 18 or over, or below 0."""
    dropped = [f.source for f in figures if not f.loaded and not f.is_total]
    if not dropped:
        return []
    sample = ", ".join(dropped[:5]) + (f" and {len(dropped) - 5} more" if len(dropped) > 5 else "")
    return [f"{where}: {len(dropped)} figures for ages of 18 or over (or below 0) left out: {sample}"]


def blank_cells_note(blanks: list[str], table_ref: str) -> list[str]:
    if not blanks:
        return []
    return [f"{table_ref}: {len(blanks)} blank cells left out, not read as 0 ({', '.join(blanks[:5])}"
            + (" ..." if len(blanks) > 5 else "") + ")"]


_GROUP_EVIDENCE_COLUMNS = 2
"""A heading row ('Rape', 'Other sexual offences') whose figures equal the sum of the
rows under it in at least this many columns is their subtotal: one coincidence is
credible, the same one in two independent columns is not."""
_GROUP_EVIDENCE_FIGURE = 5
"""...counting only columns where the heading's figure is at least this: small counts
add up by chance (2 = 1 + 1)."""


def _row_classes(label) -> frozenset[str]:
    return labels.match_offence(label).classes if isinstance(label, str) else frozenset()


def _subtotal_run(head: list[Figure], rows: dict[int, list[Figure]], after: list[int]):
    """(k, columns of evidence): the fewest rows under `head` that its figures equal,
    exactly where every figure is known (in one column at least) and within the bounds of
    suppressed ones elsewhere; evidence counts the exact columns of a figure of at least
    _GROUP_EVIDENCE_FIGURE. None when no run adds up to it."""
    for k in range(1, len(after) + 1):
        run = [m for line in after[:k] for m in rows[line]]
        exact = evidence = 0
        for f in head:
            under = [m for m in run if (m.year, m.age, m.split) == (f.year, f.age, f.split)]
            if not _reconciles(f, *_parts_bounds(under)):
                break
            known = bool(under) and f.count.value is not None and all(m.count.value is not None for m in under)
            if known and f.count.value and sum(m.count.value for m in under) == f.count.value:
                exact += 1
                evidence += f.count.value >= _GROUP_EVIDENCE_FIGURE
        else:
            if exact:
                return k, evidence
    return None


def resolve_group_rows(figures: list[Figure]) -> list[Problem]:
    """A heading row that may be its group's subtotal ('Rape | 85' over three rape rows
    adding up to 85): read as a part it would count the group twice. Where no run of the
    rows under it adds up to it, it is an offence of its own (SOA 2003 s.1 'Rape'). Where
    one does, the reply's stated totals decide (all such headings read one way or the
    other); else it is a subtotal when its rows are indented under it, or when figures
    agree in _GROUP_EVIDENCE_COLUMNS columns over a run of two rows or more; else it is
    a Problem."""
    rows: dict[int, list[Figure]] = defaultdict(list)
    for f in figures:
        if f.line and not f.is_total and isinstance(f.offence, str):
            rows[f.line].append(f)
    lines = sorted(rows)
    candidates = []  # (head figures, their subtotal reading, run length, evidence)
    for i, line in enumerate(lines):
        head = rows[line]
        if len(_row_classes(head[0].offence)) < 2:
            continue  # a title of one class ('Sexual activity with a child', s.9) is an offence, not a heading
        run = _subtotal_run(head, rows, lines[i + 1:])
        if run is None:
            continue
        k, evidence = run
        members = lines[i + 1:i + 1 + k]
        keys = frozenset(rows[m][0].offence_key for m in members)
        indented = all(rows[m][0].indent > head[0].indent for m in members)
        candidates.append((head, [replace(f, offence=Over(f.offence, keys)) for f in head], k,
                           evidence, indented))
    if not candidates:
        return []
    heads = [f for head, *_ in candidates for f in head]
    as_totals = [t for _, totals, *_ in candidates for t in totals]
    others = [f for f in figures if f not in heads]
    stated = {t.source for t in others if t.is_total and any(_covers(t, f) for f in heads)}
    none_ok = not any(p.source in stated for p in check_totals(figures))
    all_ok = not any(p.source in stated for p in check_totals(others + as_totals))
    problems: list[Problem] = []
    if stated and none_ok != all_ok:
        if all_ok:
            figures[:] = others + as_totals
        return problems
    for head, totals, k, evidence, indented in candidates:
        if indented or (k >= 2 and evidence >= _GROUP_EVIDENCE_COLUMNS):
            for f, t in zip(head, totals):
                figures[figures.index(f)] = t
            continue
        where = head[0].offence_ref or head[0].source
        problems.append(Problem(
            f"the row '{head[0].offence}' at {where} adds up to the {k} rows under it: cannot tell whether it "
            "is an offence of its own or their subtotal, and no stated total says", source=where))
    return problems


def _span(a) -> tuple[int, int] | None:
    return (a.min, a.max) if isinstance(a, Age) and a.is_child else None


def resolve_overlapping_ages(figures: list[Figure]) -> list[Problem]:
    """Age rows whose ranges overlap ('13', '14', ... '17', then 'Aged 13 to 17'): added
    together they count the same offences twice. A band whose figure equals the sum of
    the rows it contains, every one known, is their subtotal (smallest bands first, so
    'Under 18' over 'Under 13' and '13 to 17' adds up the bands); any other overlap is a
    Problem naming both cells."""
    problems: list[Problem] = []
    groups: dict[tuple, list[Figure]] = defaultdict(list)
    for f in figures:
        if not f.is_total and _span(f.age):
            groups[(f.year, _label_key(f.offence), f.split)].append(f)
    for parts in groups.values():
        # A record list has thousands of figures of a few ages: work on distinct spans,
        # so the checks grow with the ages written, not with the square of the rows.
        by_span: dict[tuple[int, int], list[Figure]] = defaultdict(list)
        for f in parts:
            by_span[_span(f.age)].append(f)
        for band in sorted((f for f in parts if _span(f.age)[0] < _span(f.age)[1]),
                           key=lambda f: _span(f.age)[1] - _span(f.age)[0]):
            lo, hi = _span(band.age)
            inside = [f for span, members in by_span.items() if lo <= span[0] and span[1] <= hi
                      for f in members if f is not band and not f.is_total and _span(f.age)]
            if not inside:
                continue
            known = band.count.value is not None and all(f.count.value is not None for f in inside)
            if known and sum(f.count.value for f in inside) == band.count.value:
                band.age = Over(f"{band.age.min}-{band.age.max}", frozenset(f.age for f in inside))
            else:
                problems.append(Problem(
                    f"the ages at {band.source} and {inside[0].source} overlap: the band would count offences "
                    "of the other row twice, and its figure is not their sum", source=band.source))
        live: dict[tuple[int, int], Figure] = {}  # the first figure of each span still an age
        for f in parts:
            if not f.is_total and _span(f.age):
                live.setdefault(_span(f.age), f)
        spans = list(live.items())
        for (a1, a2), a, (b1, b2), b in ((*x, *y) for i, x in enumerate(spans) for y in spans[i + 1:]):
            if a1 <= b2 and b1 <= a2 and not (a1 <= b1 and b2 <= a2) and not (b1 <= a1 and a2 <= b2):
                problems.append(Problem(f"the ages at {a.source} and {b.source} overlap without one containing "
                                        "the other: cannot tell how many offences they count", source=a.source))
    return problems


def check_and_record(figures: list[Figure], table_ref: str, reading, *, duplicates: bool = True,
                     group_rows: bool = True) -> None:
    """Every check a table's figures go through, in order, then its observations and
    totals: the one sequence every layout ends with, so none skips a check. (A record
    list passes duplicates=False: two offences of one kind on one day are two records,
    and group_rows=False: a record's offence is never a heading over other records.)"""
    if group_rows:
        reading.problems.extend(resolve_group_rows(figures))
    reading.problems.extend(resolve_overlapping_ages(figures))
    resolve_total_scopes(figures)
    missing, notes = check_unavailable(figures)
    reading.problems.extend(missing)
    reading.notes.extend(f"{table_ref}: {n}" for n in notes)
    reading.problems.extend(check_unknown_offences(figures))
    if duplicates:
        reading.problems.extend(check_duplicates(figures))
    reading.problems.extend(check_totals(figures))
    reading.notes.extend(dropped_ages_note(figures, table_ref))
    reading.notes.extend(unknown_offences_note(figures, table_ref))
    observations, totals = to_observations(figures, table_ref)
    reading.observations.extend(observations)
    reading.totals.extend(totals)
