"""Force names as people type them -> the 43 territorial forces and their ONS codes.

A folder name is matched only when it means exactly one force after normalising case,
punctuation, '&'/'and' and the generic words ('Police', 'Constabulary', ...). Anything
else is reported with the candidates: a reply filed under the wrong force would put
its figures on the wrong line of a press release.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flows import SCHEMAS

GENERIC_WORDS = {"police", "constabulary", "service", "force", "heddlu", "the", "of"}
NOT_TERRITORIAL = {
    "british transport": "British Transport Police",
    "btp": "British Transport Police",
    "ministry of defence": "Ministry of Defence Police",
    "mod": "Ministry of Defence Police",
    "civil nuclear": "Civil Nuclear Constabulary",
    "police scotland": "Police Scotland",
    "scotland": "Police Scotland",
    "psni": "the Police Service of Northern Ireland",
    "northern ireland": "the Police Service of Northern Ireland",
}
# Regions people file under: never a force, always reported with the forces they hold.
_EAST_MIDLANDS = ("Derbyshire", "Leicestershire", "Lincolnshire", "Northamptonshire",
                  "Nottinghamshire")
_WEST_MIDLANDS = ("Staffordshire", "Warwickshire", "West Mercia", "West Midlands")
_YORKSHIRE = ("Humberside", "North Yorkshire", "South Yorkshire", "West Yorkshire")
REGIONS: dict[str, tuple[str, ...]] = {
    "midlands": _EAST_MIDLANDS + _WEST_MIDLANDS,
    "east midlands": _EAST_MIDLANDS,
    "yorkshire": _YORKSHIRE,
    "yorkshire and humber": _YORKSHIRE,
    "wales": ("Dyfed-Powys", "Gwent", "North Wales", "South Wales"),
    "london": ("City of London", "Metropolitan Police"),
    "north east": ("Cleveland", "Durham", "Northumbria"),
    "north west": ("Cheshire", "Cumbria", "Greater Manchester", "Lancashire", "Merseyside"),
    "south east": ("Hampshire", "Kent", "Surrey", "Sussex", "Thames Valley"),
    "south west": ("Avon and Somerset", "Devon and Cornwall", "Dorset", "Gloucestershire",
                   "Wiltshire"),
    "east england": ("Bedfordshire", "Cambridgeshire", "Essex", "Hertfordshire", "Norfolk",
                     "Suffolk"),
}


@dataclass(frozen=True)
class Force:
    code: str
    name: str
    nation: str
    aliases: tuple[str, ...]


class ForceNameError(ValueError):
    pass


class ForceNotFound(ForceNameError):
    pass


class AmbiguousForce(ForceNameError):
    pass


@lru_cache(maxsize=4)
def load_forces(path: Path = SCHEMAS / "forces.csv") -> tuple[Force, ...]:
    with open(path, newline="", encoding="utf-8") as fh:
        return tuple(
            Force(
                code=row["force_code"],
                name=row["force_name"],
                nation=row["nation"],
                aliases=tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()),
            )
            for row in csv.DictReader(fh)
        )


def normalise(name: str) -> str:
    """'Devon_&_Cornwall-Police' -> 'devon and cornwall'."""
    text = name.lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    words = [w for w in text.split() if w not in GENERIC_WORDS]
    return " ".join(words)


def _squash(text: str) -> str:
    return text.replace(" ", "")


@lru_cache(maxsize=4)
def _index(path: Path = SCHEMAS / "forces.csv") -> dict[str, frozenset[str]]:
    """Normalised name or alias (and its space-free form) -> force codes."""
    index: dict[str, set[str]] = {}
    for force in load_forces(path):
        for name in (force.name, *force.aliases):
            key = normalise(name)
            if not key:
                continue
            for k in {key, _squash(key)}:
                index.setdefault(k, set()).add(force.code)
    return {k: frozenset(v) for k, v in index.items()}


def by_code(code: str) -> Force:
    for force in load_forces():
        if force.code == code:
            return force
    raise KeyError(code)


def match_force(name: str) -> Force:
    """The one force `name` means, or an error saying why it means none or several.

    Only an exact match (after `normalise`) on a name or alias is accepted. Partial
    matches ('Thames', 'Thames Valley FOI', 'Surrey and Sussex') and regions ('Yorkshire',
    'Midlands') only explain the refusal: a guess that is wrong once puts a force's
    figures on another force's line.
    """
    key = normalise(name)
    if not key:
        raise ForceNotFound(f"'{name}' does not name a police force")
    index = _index()
    codes = index.get(key) or index.get(_squash(key))
    if codes is None:
        for words, body in NOT_TERRITORIAL.items():
            if key == words or key.startswith(words + " "):
                raise ForceNotFound(
                    f"'{name}' is {body}, not one of the 43 territorial forces of England and Wales")
        candidates = REGIONS.get(key) or _partial_matches(key)
        if len(candidates) > 1:
            raise AmbiguousForce(f"'{name}' could be any of: {', '.join(sorted(candidates))}")
        hint = f" (did you mean {candidates[0]}? name the folder exactly)" if candidates else ""
        raise ForceNotFound(f"'{name}' matches no force name or alias in schemas/forces.csv{hint}")
    if len(codes) > 1:
        names = sorted(by_code(c).name for c in codes)
        raise AmbiguousForce(f"'{name}' could be any of: {', '.join(names)}")
    return by_code(next(iter(codes)))


def _partial_matches(key: str) -> list[str]:
    """Forces with a name or alias that contains every word typed, or whose every word
    was typed: only to say what a refused name could have meant."""
    typed = set(key.split())
    found = set()
    for force in load_forces():
        for alias in (force.name, *force.aliases):
            words = set(normalise(alias).split())
            if words and (typed <= words or words <= typed):
                found.add(force.name)
    return sorted(found)
