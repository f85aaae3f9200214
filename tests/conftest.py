"""Test session set-up: an isolated Prefect home and one Prefect test server per session."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Before anything imports prefect: keep its home, results and cache out of the project.
_prefect_home = tempfile.mkdtemp(prefix="foi-prefect-")
atexit.register(shutil.rmtree, _prefect_home, ignore_errors=True)
os.environ["PREFECT_HOME"] = _prefect_home
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API for the flow tests (~12 s to start: once per session)."""
    import flows.refresh  # noqa: F401  (sets Prefect's environment first)
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield
