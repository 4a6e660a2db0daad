# Set-up and everyday commands. Needs Python 3.11+ and the package registries.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install translations messages run demo test test-sqlite bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Compiled catalogues (.mo) are build outputs and stay out of git.
translations: install
	$(BIN)/pybabel compile --statistics -d panel_service/translations

# Serve the demo roster on SQLite: migrate, import the demo workbooks, create a demo admin.
run: translations
	$(BIN)/panel demo
	$(BIN)/panel run --host $(HOST) --port $(PORT)

# The whole suite, on SQLite and on PostgreSQL (127.0.0.1:5432, trust auth).
test: translations
	$(BIN)/python -m pytest -q

# The suite on SQLite only, for machines without PostgreSQL.
test-sqlite: translations
	PANEL_TEST_POSTGRES=0 $(BIN)/python -m pytest -q

bench: translations
	$(BIN)/python bench/bench_solver.py
	$(BIN)/python bench/bench_fair.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
	find panel_service/translations -name '*.mo' -delete

# Refresh the catalogues after changing user-facing texts, then translate the new entries.
messages: install
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -o panel_service/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i panel_service/translations/messages.pot -d panel_service/translations
