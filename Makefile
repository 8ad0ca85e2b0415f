# Two commands on a fresh machine:
#   make episode   set up .venv and render the example to dist/deepseek-interview.mp3
#   make test      set up .venv with the test extras and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: episode test bench install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(PIP) install .

install-test: $(BIN)/python
	$(PIP) install '.[test]'

episode: install
	$(BIN)/podcast render

# The tests that speak run again with the bundled libespeak-ng when the system has its own
# (the first run used the system's): both libraries users have are tested.
test: install-test
	$(BIN)/python -m pytest
	@if $(BIN)/python -c "import ctypes; ctypes.CDLL('libespeak-ng.so.1')" 2>/dev/null; then \
	  echo "== the tests that speak, again with the bundled libespeak-ng =="; \
	  PODCAST_ESPEAK_LIBRARY=bundled $(BIN)/python -m pytest -m espeak; \
	fi

bench: install-test
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) build *.egg-info dist/*.mp3 dist/*.json dist/*.vtt dist/*.srt dist/*.html
