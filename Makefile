# Two entry points for a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: run test lint install install-test browser bench eval screenshot clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing the assistant and its dependencies into $(VENV) (a few minutes the first time)..."
	$(BIN)/pip install --progress-bar on -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@echo "Installing the assistant with its test tools into $(VENV) (a few minutes the first time)..."
	$(BIN)/pip install --progress-bar on -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Brings the index up to date (progress shown), then serves the chat on http://$(HOST):$(PORT).
run: install
	$(BIN)/assistant serve --host $(HOST) --port $(PORT)

test: install-test browser
	$(BIN)/ruff check assistant tests
	$(BIN)/python -m pytest -q

# The eval suite and the speed bench (see README "Evaluation" and "Performance").
eval: install
	$(BIN)/assistant eval --report eval-report

bench: install
	$(BIN)/assistant bench

# Re-make the README's screenshot from a real browser run of the chat.
screenshot: install-test browser
	ASSISTANT_SCREENSHOT=docs/screenshot.png $(BIN)/python -m pytest -q tests/test_web.py -k test_answer_cites_and_opens_highlighted_source

lint: install-test
	$(BIN)/ruff check assistant tests

clean:
	rm -rf $(VENV) .assistant .pytest_cache test-artifacts eval-report
