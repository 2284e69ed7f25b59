# Sésame — two commands on a fresh machine (python3 and apt are enough):
#   make run    install what is missing, migrate, serve under Litestream, print the URL
#   make test   install what is missing (Debian's chromium too), lint, unit and browser tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium
# Noto Sans and Noto Naskh Arabic draw the decision letters (ADR 0012).
NOTO := /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint unit e2e i18n bench restore invite clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv

# uv installs in seconds what pip takes a minute for; the stamps make reruns instant.
$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --python $(BIN)/python -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --python $(BIN)/python -q -e ".[test]"
	touch $@ $(VENV)/.run-installed

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

$(NOTO):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-noto-core

# The Procfile's web: line, run as a PaaS would (the venv's bin/ on PATH):
# restore the database if it is missing, migrate, then Litestream wrapping uvicorn.
run: $(VENV)/.run-installed $(NOTO)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash -c "$$(sed -n 's/^web: //p' Procfile)"

test: $(VENV)/.test-installed $(CHROMIUM) $(NOTO) lint unit e2e

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m i18n.catalogues check

# Two processes each (pytest-xdist): the unit tests by test; the browser tests by
# file, so that a module's server starts once.
unit: $(VENV)/.test-installed $(NOTO)
	$(BIN)/pytest tests -q -n 2

e2e: $(VENV)/.test-installed $(CHROMIUM) $(NOTO)
	$(BIN)/pytest e2e -q -n 2 --dist loadfile

# Extract messages, merge them into every catalogue, compile.
i18n: $(VENV)/.test-installed
	$(BIN)/python -m i18n.catalogues update
	$(BIN)/python -m i18n.catalogues compile
	$(BIN)/python -m i18n.catalogues check

bench: $(VENV)/.test-installed $(CHROMIUM)
	$(BIN)/python -m bench

# Bring ./data/sesame.db back from ./data/replica (refuses to overwrite).
restore: $(VENV)/.run-installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sesame restore

# make invite ROLE=agent PREFECTURE=75 NAME="Jeanne Martin"
invite: $(VENV)/.run-installed
	$(BIN)/sesame invite --role $(or $(ROLE),agent) $(if $(PREFECTURE),--prefecture $(PREFECTURE)) $(if $(NAME),--name "$(NAME)")

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
