"""The Home Office offence codes this request covers (schemas/offences.csv)."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from flows import SCHEMAS


@dataclass(frozen=True)
class Offence:
    code: str
    description: str
    group: str
    aliases: tuple[str, ...]


@lru_cache(maxsize=1)
def load_offences() -> dict[str, Offence]:
    with open(SCHEMAS / "offences.csv", newline="", encoding="utf-8") as fh:
        return {
            row["offence_code"]: Offence(
                code=row["offence_code"],
                description=row["offence_description"],
                group=row["offence_group"],
                aliases=tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()),
            )
            for row in csv.DictReader(fh)
        }
