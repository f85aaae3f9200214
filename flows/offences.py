"""The Home Office offence classes this request covers (schemas/offences.csv), with the
single-class titles of schemas/offence_titles.csv as each class's other names."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Offence:
    code: str
    description: str
    group: str
    aliases: tuple[str, ...]  # titles that name this class alone (offence_titles.csv)


@lru_cache(maxsize=1)
def load_offences() -> dict[str, Offence]:
    from flows.classification import reference

    ref = reference()
    aliases: dict[str, list[str]] = {code: [] for code in ref.classes}
    for key, classes in ref.titles.items():
        if len(classes) == 1:
            (code,) = classes
            title = ref.display[key]
            if title != ref.classes[code].description:
                aliases[code].append(title)
    return {
        code: Offence(code=code, description=o.description, group=o.group, aliases=tuple(aliases[code]))
        for code, o in ref.classes.items()
    }
