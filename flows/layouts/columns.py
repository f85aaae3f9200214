"""Column headings -> what the column holds, from schemas/layouts/headers.yaml.

The long and records layouts find their header row by these spellings (tidychef's
'find the header by what it says'); a mapping recipe can add a reply's own.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping

import yaml

from flows import SCHEMAS
from flows.observations import Problem
from flows.cells.grid import Sheet
from flows.labels import normalise

YEAR, OFFENCE, OFFENCE_CODE, AGE, COUNT, DATE, REFERENCE, ONLINE = (
    "financial_year", "offence", "offence_code", "victim_age", "count", "date_recorded", "crime_reference",
    "online_flag",
)
ROLES = (YEAR, OFFENCE, OFFENCE_CODE, AGE, COUNT, DATE, REFERENCE, ONLINE)
HEADERS_FILE = SCHEMAS / "layouts" / "headers.yaml"


@lru_cache(maxsize=1)
def _headings() -> tuple[dict[str, str], dict[str, str]]:
    """(normalised heading -> role, normalised prefix -> role): a spelling ending in ' *'
    in headers.yaml is a prefix ('Count of *')."""
    data = dict(yaml.safe_load(HEADERS_FILE.read_text(encoding="utf-8")) or {})
    data.pop("keywords", None)
    exact: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for role, names in data.items():
        if role not in ROLES:
            raise ValueError(f"{HEADERS_FILE}: unknown column role '{role}' (one of {', '.join(ROLES)})")
        for name in names or []:
            name = str(name)
            if name.endswith(" *"):
                prefixes[normalise(name[:-2])] = role
            else:
                exact[normalise(name)] = role
    return exact, prefixes


def _spellings() -> dict[str, str]:
    return _headings()[0]


def _prefixes() -> dict[str, str]:
    return _headings()[1]


def role_of(heading, extra: Mapping[str, list[str]] | None = None, *, by_words: bool = True) -> str | None:
    """The role a heading names, or None. `by_words` False: only the spellings and
    prefixes of headers.yaml, not the keyword rules (for a row label, which may be an
    offence's name such as 'All other sexual offences', not a heading)."""
    if not isinstance(heading, str) or not heading.strip():
        return None
    key = normalise(heading)
    if extra:
        for role, names in extra.items():
            if key in {normalise(n) for n in names}:
                return role
    spellings = _spellings()
    if key in spellings:
        return spellings[key]
    # 'Count of Crime Reference', 'Sum of Crimes': a pivot table's value field
    prefixed = next((role for prefix, role in _prefixes().items() if key.startswith(prefix + " ")), None)
    return prefixed or (_by_keywords(key) if by_words else None)


@lru_cache(maxsize=1)
def _keyword_rules() -> tuple[tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...]], ...]:
    """(role, groups of alternatives that must all appear, words that must not)."""
    data = (yaml.safe_load(HEADERS_FILE.read_text(encoding="utf-8")) or {}).get("keywords") or {}
    rules = []
    for role, rule in data.items():
        if role not in ROLES:
            raise ValueError(f"{HEADERS_FILE}: keywords: unknown column role '{role}'")
        groups = tuple(tuple(normalise(alt) for alt in str(group).split("|")) for group in rule.get("all", []))
        rules.append((role, groups, tuple(normalise(str(w)) for w in rule.get("none", []))))
    return tuple(rules)


_KEYWORD_HEADING_WORDS = 8  # longer than this is a sentence, not a column heading


@lru_cache(maxsize=4096)
def _by_keywords(key: str) -> str | None:
    """The one role a heading's words name ('Victim's age at time of offence'), else None."""
    if not key or len(key.split()) > _KEYWORD_HEADING_WORDS:
        return None
    padded = f" {key} "

    def has(phrase: str) -> bool:
        return f" {phrase} " in padded

    roles = {role for role, groups, none in _keyword_rules()
             if all(any(has(alt) for alt in group) for group in groups) and not any(has(w) for w in none)}
    return roles.pop() if len(roles) == 1 else None


def find_header_row(
    sheet: Sheet,
    wanted: tuple[str, ...],
    *,
    extra: Mapping[str, list[str]] | None = None,
    max_rows: int = 40,
) -> tuple[int, dict[str, list[int]]] | None:
    """The first row (of the first `max_rows`) whose headings name at least the roles in
    each of `wanted`'s alternatives: e.g. ('count', 'offence|victim_age')."""
    rows = sheet.rows()
    for row in sorted(rows)[:max_rows]:
        roles: dict[str, list[int]] = {}
        for cell in rows[row]:
            role = role_of(cell.value, extra)
            if role:
                roles.setdefault(role, []).append(cell.col)
        if all(any(alt in roles for alt in need.split("|")) for need in wanted):
            return row, roles
    return None


def repeated_role(sheet, header: int, roles: dict, wanted, what: str):
    """A Problem when one of the `wanted` roles has two columns in the header row: the
    reader cannot know which of them to believe."""
    for role in wanted:
        if len(roles.get(role, [])) > 1:
            refs = ", ".join(sheet.ref(header, c) for c in roles[role])
            return Problem(f"two {role.replace('_', ' ')} columns in one {what} ({refs})", source=refs)
    return None
