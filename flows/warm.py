"""Imported once by the readers' fork server (flows.isolation): loads the reference
data and compiles the vocabularies, so each worker forked from it starts with them
instead of parsing schemas/ again for every file."""
from __future__ import annotations


def warm_up() -> None:
    from flows import classification, forces, offences
    from flows.layouts import columns, mapping
    from flows.limits import load_limits

    offences.load_offences()
    classification.reference()
    forces.load_forces()
    forces._index()
    mapping.load_mappings()
    columns._headings()
    columns._keyword_rules()
    load_limits()
    try:
        from flows import personal
    except ImportError:  # not every checkout has it yet
        return
    personal._vocabulary()


warm_up()
