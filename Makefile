# Two commands on a fresh machine:
#   make episode   set up .venv and render the example to dist/deepseek-interview.mp3
#   make test      set up .venv with the test extras and run the tests
# While working:
#   make check     ruff and the quick tests (not the slow ones): under a minute
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check

JOBS ?= 2
# two test processes: the renders inside each use every core already
PYTEST := $(BIN)/python -m pytest -n $(JOBS)

.PHONY: episode test check lint bench install install-test clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "error: '$(PYTHON) -m venv' failed; on Debian or Ubuntu: sudo apt install python3-venv" >&2; exit 1; }

# `build/` is removed first: setuptools would ship what an older layout left in it.
install: $(BIN)/python
	rm -rf build
	$(PIP) install .

# The tests run this work tree's code (they put it first on the path): the venv needs only
# the dependencies, installed again when pyproject.toml changes.
install-test: $(VENV)/.test-installed

# The extras too (Piper, Dask), so that their tests run; without them those tests are skipped.
$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	rm -rf build
	$(PIP) install '.[test,piper,cluster]'
	touch $@

episode: install
	$(BIN)/podcast render

# The tests that speak run again with the bundled libespeak-ng when the system has its own
# (the first run used the system's): both libraries users have are tested.
test: install-test lint
	$(PYTEST)
	@if $(BIN)/python -c "import ctypes; ctypes.CDLL('libespeak-ng.so.1')" 2>/dev/null; then \
	  echo "== the tests that speak, again with the bundled libespeak-ng =="; \
	  PODCAST_ESPEAK_LIBRARY=bundled $(PYTEST) -m espeak; \
	fi

check: install-test lint
	$(PYTEST) -m "not slow"

lint: install-test
	$(BIN)/ruff check audio tests

bench: install-test
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench.natural

clean:
	rm -rf $(VENV) build *.egg-info dist/*.mp3 dist/*.json dist/*.vtt dist/*.srt dist/*.html
