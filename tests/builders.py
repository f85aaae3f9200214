"""A real warehouse file built from a raw folder with the plain stage functions, as the
refresh builds it but without Prefect: flows.discover.discover_raw -> flows.reading.read_reply
over every file -> flows.facts.build_facts -> flows.warehouse.build."""
from __future__ import annotations

from pathlib import Path

from flows import warehouse
from flows.discover import discover_raw
from flows.facts import Facts, build_facts
from flows.reading import read_reply


def build_warehouse(raw: Path, db: Path, *, responses: bool = True, rounds: bool = True,
                    run: dict | None = None, discovery_problems_allowed: bool = False) -> Facts:
    """Read every reply under `raw` (no reviews: reviews={}) and build a NEW warehouse at `db`.

    responses / rounds: False leaves facts.responses / facts.rounds out of warehouse.build
    (so the responses table stays empty / every round's years are inferred from the offences).
    run: the runs row, as warehouse.build takes it (None: no row).
    discovery_problems_allowed: False asserts that discover_raw found no problem folder.
    Returns the facts the warehouse was built from."""
    found, problems = discover_raw(raw)
    if not discovery_problems_allowed:
        assert problems == []
    readings = [read_reply(f) for r in found for f in r.files]
    facts = build_facts(found, readings, reviews={})
    # strict docs (the default): a table or column the docs do not cover raises
    warehouse.build(db, offences=facts.offences, returns=facts.returns,
                    stated_totals=facts.stated_totals, force_replies=facts.force_replies,
                    responses=facts.responses if responses else None,
                    rounds=facts.rounds if rounds else None, run=run)
    return facts
