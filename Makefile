# Werkmaat: `make run` sets up and runs Werkmaat on its embedded defaults;
# `make test` sets up and runs the whole test suite (what .ci/run calls).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test setup browser lint i18n clean

run: setup
	$(BIN)/werkmaat run

test: setup browser
	$(BIN)/python -m pytest

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

# Debian's Chromium and fonts for the browser tests (Arabic, Ethiopic and emoji glyphs).
browser:
	@bash scripts/ensure-chromium

lint: setup
	$(BIN)/ruff check .

i18n: setup
	$(BIN)/werkmaat i18n update
	$(BIN)/werkmaat i18n compile

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache
