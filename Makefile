# Werkmaat: `make run` sets up and runs Werkmaat on its embedded defaults;
# `make test` sets up and runs the whole test suite (what .ci/run calls).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

VOICE_PACKAGES   := espeak-ng opus-tools
BROWSER_PACKAGES := chromium fonts-noto-core fonts-noto-color-emoji

.PHONY: run test setup system-run system-test lint i18n clean

run: setup system-run
	$(BIN)/werkmaat run

test: setup system-test lint
	$(BIN)/python -m pytest

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

# Debian packages: speech for voice notes; Chromium and fonts (Arabic, Ethiopic, emoji) for the
# browser tests.
system-run:
	@bash scripts/ensure-debian-packages $(VOICE_PACKAGES)

system-test:
	@bash scripts/ensure-debian-packages $(VOICE_PACKAGES) $(BROWSER_PACKAGES)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/werkmaat content check

i18n: setup
	$(BIN)/werkmaat i18n update
	$(BIN)/werkmaat i18n compile

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache
