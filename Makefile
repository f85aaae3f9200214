# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	# Compile the venv once: with PYTHONDONTWRITEBYTECODE set, every import would parse
	# source again, and Prefect's first start would be twice as slow.
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
	touch $(STAMP)

# The main job on the bundled sample round: read every reply, validate, publish, print.
demo: install
	$(BIN)/foi refresh --raw raw --warehouse warehouse/foi.duckdb

# The whole test suite (CI runs exactly this through .ci/run).
test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .prefect warehouse/*.duckdb warehouse/runs .pytest_cache
