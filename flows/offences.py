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

    @property
    def is_sub_code(self) -> bool:
        return "/" in self.code


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
    out = {
        code: Offence(code=code, description=o.description, group=o.group, aliases=tuple(aliases[code]))
        for code, o in ref.classes.items()
    }
    # Sub-codes with a title of their own ('71/17' Sexual communication with a child, in
    # 88A): offences a reply may list beside their class, so the simulator writes them too.
    for sub, title in ref.sub_titles.items():
        (code,) = ref.sub_codes[sub]
        out[sub] = Offence(code=sub, description=title, group=ref.classes[code].group, aliases=())
    return out
