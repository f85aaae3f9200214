# Two commands on a fresh machine with Python 3.11, Node 20 (npm) and make: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The CSS, JavaScript and fonts run reports load, from npm at the versions GX's Data Docs
# name (flows/report/assets.py maps each CDN URL to its file), so reports render offline.
VENDOR       := flows/report/vendor
VENDOR_STAMP := $(VENDOR)/node_modules/.installed
CHROMIUM     := /usr/bin/chromium
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo test browser bench clean

install: $(STAMP) $(VENDOR_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	# Compile the venv once: with PYTHONDONTWRITEBYTECODE set, every import would parse
	# source again, and Prefect's first start would be twice as slow.
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
	touch $(STAMP)

# `npm ci` installs exactly package-lock.json (and empties node_modules first, so the
# stamp inside it is only there after a whole install).
$(VENDOR_STAMP): $(VENDOR)/package.json $(VENDOR)/package-lock.json
	cd $(VENDOR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium, for the tests that render reports in a real browser.
browser:
	@test -x $(CHROMIUM) || { \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }

# The main job on the bundled sample round: read every reply, validate, publish, print.
demo: install
	$(BIN)/foi refresh --raw raw --warehouse warehouse/foi.duckdb

# The whole test suite (CI runs exactly this through .ci/run).
test: install browser
	$(BIN)/python -m pytest -q

# Stage functions in-process (bench/run.py), then whole processes against the floor (bench/floor.py).
bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/floor.py --corpus sample

clean:
	rm -rf $(VENV) .prefect warehouse/*.duckdb warehouse/runs warehouse/reports .pytest_cache $(VENDOR)/node_modules
