# Two entry points for a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The versions the eval gates were measured with (see the file's header).
PIN    := -c .ci/constraints.txt
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: run test check lint install install-test install-llm-test browser bench eval screenshot clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml .ci/constraints.txt | $(BIN)/python
	@echo "Installing the assistant and its dependencies into $(VENV) (a few minutes the first time)..."
	$(BIN)/pip install --progress-bar on $(PIN) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml .ci/constraints.txt | $(BIN)/python
	@echo "Installing the assistant with its test tools into $(VENV) (a few minutes the first time)..."
	$(BIN)/pip install --progress-bar on $(PIN) -e '.[test]'
	touch $@ $(VENV)/.installed

# The real local model the LLM answerer is tested against (tests/test_llm_real.py). llama-cpp-python compiles
# llama.cpp from source the first time (several minutes on 2 idle cores); pip keeps the built wheel in its
# cache and this stamp keeps a second `make test` from even asking. Not -march=native: built that way here,
# libggml-cpu died on its first request with an invalid opcode (instructions the CPU reports but traps).
# No multimodal library (LLAVA): nothing here uses it, and it is over a quarter of the files compiled.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF
$(VENV)/.installed-llm-test: pyproject.toml .ci/constraints.txt | $(VENV)/.installed-test
	@echo "installing llama-cpp-python (compiled from source the first time: several minutes) and Gemma 3 270M"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/pip install --progress-bar on $(PIN) -e '.[test,llm-test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-llm-test: $(VENV)/.installed-llm-test

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Brings the index up to date (progress shown), then serves the chat on http://$(HOST):$(PORT).
run: install
	$(BIN)/assistant serve --host $(HOST) --port $(PORT)

test: install-test install-llm-test browser
	$(BIN)/ruff check assistant tests
	$(BIN)/python -m pytest -q

# The quick inner loop: lint and every test not marked slow or browser (no model server, no Chromium).
check: install-test
	$(BIN)/ruff check assistant tests
	$(BIN)/python -m pytest -q -m "not slow and not browser"

# The eval suite and the speed bench (see README "Evaluation" and "Performance").
eval: install-test
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
