# The two set-up commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages the test suite drives for real (command:package).
# pg_ctlcluster stands for the PostgreSQL server (its initdb is not on PATH).
TEST_TOOLS := ffmpeg:ffmpeg ffprobe:ffmpeg chromium:chromium nginx:nginx-light pg_ctlcluster:postgresql \
  systemd-analyze:systemd openssl:openssl

export HOST PORT

.PHONY: run test test-fast lint format bench system-deps clean vendor icons screenshots

# Shaka Player, the in-page player: its dist file is committed under static/vendor
# (nothing loads from a CDN, and make run needs no npm); `make vendor` fetches it
# again from the npm registry (npm checks the tarball's integrity).
SHAKA_VERSION := 5.2.12
SHAKA_DIR := mediacaster/static/vendor/shaka-player

run: $(VENV)/.installed-run
	$(BIN)/pserve development.ini

test: $(VENV)/.installed-test system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

# The unit tests and the functional tests that start no Chromium, no PostgreSQL and no
# real conversion and are not slow (the markers of pyproject.toml): under a minute. The API
# fuzzing module, slow, is left uncollected: making its cases takes seconds even deselected.
# Four workers (pytest-xdist), as most of the time is waiting, each in a network
# namespace of its own (tests/common/netns.py); that takes root, so others run serially.
FAST_WORKERS := $(if $(filter 0,$(shell id -u)),-n 4,)
# Temporary files in memory where there is a tmpfs: the tests' SQLite databases and caches
# are written and synced hundreds of times, which waits on a disk.
FAST_TMPDIR := $(if $(wildcard /dev/shm/.),/dev/shm,)
# Bytecode written even where PYTHONDONTWRITEBYTECODE is set: each worker otherwise compiles
# and rewrites the asserts of every test module again, 4 s of CPU each.
test-fast: $(VENV)/.installed-test system-deps
	PYTHONDONTWRITEBYTECODE= TMPDIR=$(FAST_TMPDIR) $(BIN)/pytest -m "not browser and not postgres and not ffmpeg and not slow" \
	  --ignore=tests/functional/test_api_fuzz.py $(FAST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-test system-deps
	$(BIN)/python -m bench

# The virtual environment; python3-venv comes from apt when Debian lacks it.
$(VENV)/bin/python:
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || $(MAKE) --no-print-directory apt PACKAGES=python3-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: setup.py $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.py $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

# Install the Debian packages the tests need, only those missing.
system-deps:
	@missing=""; for pair in $(TEST_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || [ -x /usr/sbin/$${pair%%:*} ] || missing="$$missing $${pair##*:}"; \
	done; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt PACKAGES="$$missing"; fi

apt:
	@echo "installing with apt:$(PACKAGES)"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(PACKAGES)

vendor:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent shaka-player@$(SHAKA_VERSION) >/dev/null && tar xzf shaka-player-$(SHAKA_VERSION).tgz) && \
	cp "$$tmp/package/dist/shaka-player.compiled.js" "$$tmp/package/LICENSE" $(SHAKA_DIR)/ && \
	echo "$(SHAKA_VERSION)" > $(SHAKA_DIR)/VERSION && echo "Shaka Player $(SHAKA_VERSION) in $(SHAKA_DIR)"

# The home-screen icons of the web app manifest, drawn again (committed in mediacaster/static).
icons: $(VENV)/.installed-run
	$(VENV)/bin/python tools/make_icons.py

# The README's screenshots (docs/screenshots), taken from the running demo in Debian's Chromium.
screenshots: $(VENV)/.installed-test system-deps
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
