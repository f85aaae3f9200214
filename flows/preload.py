"""The libraries a refresh needs after reading, imported while the files are read.

The files are read in worker processes and the flow's own process mostly waits for
them; importing Great Expectations (about 3 s: scipy, sqlalchemy, altair come with it)
and matplotlib (the headline charts) in a background thread meanwhile lets validation
and the report start at once. `foi refresh` starts it earlier still, while Prefect's
temporary server starts (one core waits then), once incremental.will_read says the
refresh will read. Only a refresh that reads starts it: one with nothing changed
imports neither. A failed import here is left for the stage that needs the
library: it imports it again and reports the error where it belongs.
"""
from __future__ import annotations

import importlib
import threading

MODULES = ("great_expectations", "matplotlib.figure", "matplotlib.backends.backend_svg")


def start(modules: tuple[str, ...] = MODULES) -> threading.Thread:
    thread = threading.Thread(target=_import, args=(modules,), name="foi-preload", daemon=True)
    thread.start()
    return thread


def _import(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the stage that needs it reports it
            pass
