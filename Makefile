# edrm: two commands do all set-up.
#   make run    install what is missing, then initialise, load the demo and serve on 127.0.0.1:5000
#   make test   the same set-up plus test tools, then lint, format and type checks and the test suite
#
# EDRM_HOME (the data directory) is honoured when set; it defaults to ./var.
# PYTHON=/path/to/python3.11+ chooses the interpreter for .venv.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
EDRM_HOME ?= $(CURDIR)/var
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help run test setup setup-test lint format clean

help:
	@echo "make run         set up (first run installs what is missing) and serve edrm on http://127.0.0.1:5000"
	@echo "make test        set up with test tools, then ruff check, ruff format --check, mypy and pytest -n 2"
	@echo "make setup       set-up only (system packages, .venv, UI assets)"
	@echo "make setup-test  set-up only, including the test tools and chromium"
	@echo "make lint        ruff check, ruff format --check and mypy"
	@echo "make format      ruff format and ruff check --fix"
	@echo "make clean       remove .venv, .stamps, node_modules and generated static files (keeps var/)"

setup:
	@scripts/bootstrap.sh run

setup-test:
	@scripts/bootstrap.sh test

run: setup
	@echo "edrm: data directory $(EDRM_HOME)"
	EDRM_HOME="$(EDRM_HOME)" $(BIN)/edrm init
	EDRM_HOME="$(EDRM_HOME)" $(BIN)/edrm demo
	EDRM_HOME="$(EDRM_HOME)" $(BIN)/edrm serve

test: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist worksteal $(PYTEST_ARGS)

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .stamps node_modules edrm/web/static/govuk
