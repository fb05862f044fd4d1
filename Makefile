# Two commands for a newcomer: `make run` and `make test`. Everything else is set up on demand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
# The browser tests drive Debian's Chromium at this path (tests/browser/conftest.py).
CHROMIUM := /usr/bin/chromium
# pytest-xdist workers: one per core by default (`make test TEST_WORKERS=0` runs serially).
TEST_WORKERS ?= auto
SCREENSHOTS := $(CURDIR)/docs/screenshots
# libical (Evolution's calendar engine) cross-checks calendars through Debian's system
# Python and its GObject bindings (tests/support/libical.py).
LIBICAL_PROBE := /usr/bin/python3 -c "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib"

.PHONY: run test lint format migrate demo reminders clean screenshots translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime dependencies, reinstalled when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

# Development extras (pytest, ruff, hypothesis, ...).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

run: migrate
	@$(FLASK) demo load --if-empty
	@echo "Hearth is at http://127.0.0.1:5000 (Ctrl+C stops it)."
	@if [ -z "$${SMTP_HOST:-}" ] && ! grep -qs '^SMTP_HOST=.' .env; then \
		echo "No SMTP_HOST set: emails are written to instance/mail/ as .eml files."; fi
	@# Plain HTTP on this machine only, so cookies can't be Secure-only here.
	SCHEDULER_IN_PROCESS=$${SCHEDULER_IN_PROCESS:-1} SESSION_COOKIE_SECURE=0 \
		$(FLASK) run --host 127.0.0.1 --port 5000

test: $(VENV)/.installed-dev
	@if command -v npm >/dev/null && [ ! -d tests/js/node_modules ]; then npm ci --prefix tests/js --no-audit --no-fund --silent || echo "npm ci failed: the ical.js checks will be skipped" >&2; fi
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@if ! $(LIBICAL_PROBE) >/dev/null 2>&1; then \
		if [ "$${HEARTH_REQUIRE_LIBICAL:-}" = 1 ]; then \
			echo "libical can't be loaded but HEARTH_REQUIRE_LIBICAL=1: the calendar checks will fail." >&2; \
		else echo "libical checks skipped: its bindings are not installed (apt-get install -y python3-gi gir1.2-ical-3.0)"; fi; fi
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$${HEARTH_REQUIRE_BROWSER:-}" = 1 ]; then \
			echo "Chromium is not installed but HEARTH_REQUIRE_BROWSER=1: the browser tests will fail." >&2; \
		else echo "Browser tests skipped: Chromium is not installed (apt-get install -y chromium)"; fi; fi
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Extract every marked string (babel.cfg) and bring each language's catalogue up to date
# with it; then translate what is new in scheduler/translations/<code>/LC_MESSAGES/.
# The app compiles the catalogues when it starts (scheduler/i18n.py).
TRANSLATIONS := scheduler/translations
translations: $(VENV)/.installed-dev
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --add-comments=Translators: \
		--no-location --sort-output --project=Hearth -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
		--no-fuzzy-matching --ignore-obsolete

# Run the browser journeys and save their screenshots (phone and desktop) in docs/screenshots/.
screenshots: $(VENV)/.installed-dev
	@[ -x $(CHROMIUM) ] || { echo "Screenshots need Chromium: apt-get install -y chromium" >&2; exit 1; }
	rm -f $(SCREENSHOTS)/*.png
	HEARTH_SCREENSHOTS=$(SCREENSHOTS) HEARTH_REQUIRE_BROWSER=1 $(BIN)/pytest tests/browser -q $(PYTEST_ARGS)
	@echo "Screenshots are in docs/screenshots/."

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
