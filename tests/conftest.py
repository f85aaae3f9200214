"""Test session set-up: an isolated Prefect home and one Prefect test server per session
(under pytest-xdist, per worker: each worker process imports this file and makes its own)."""
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


@pytest.fixture()
def fresh_reading_cache(tmp_path):
    """Prefect's result storage, where the refresh caches each reading on the file's bytes
    (flows.refresh.read_task), empty and this test's own. The default, PREFECT_HOME/storage,
    is shared by every test in the process: a test that needs its files read afresh, not
    taken from a reading of the same bytes by another test, must not depend on which tests
    ran before it (under pytest-xdist the order is not the file order)."""
    from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH, temporary_settings

    with temporary_settings({PREFECT_RESULTS_LOCAL_STORAGE_PATH: tmp_path / "reading-cache"}):
        yield tmp_path / "reading-cache"
