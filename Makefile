# The developer interface: `make help` lists every target.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install whenever the dependency list changes.
INSTALLED := $(VENV)/.installed

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

.PHONY: help install run test lint format bench image mutants
IMAGE ?= livechat-analytics:latest

help: ## List the targets
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: $(INSTALLED) ## Create .venv and install the service with its test and lint tools

run: $(INSTALLED) ## Start the service on the embedded demo database (no MongoDB needed); ARGS=... adds flags
	LOG_FORMAT=$${LOG_FORMAT:-text} $(BIN)/python -m service --embedded $(ARGS)

test: $(INSTALLED) ## Run the whole test suite
	$(BIN)/python -m pytest $(ARGS)

lint: $(INSTALLED) ## ruff check, ruff format --check, mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(INSTALLED) ## Benchmarks (not part of test): prints a table and writes bench.json; ARGS=--quick for a smoke run
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; } >/dev/null 2>&1; }; } || \
	  echo "note: wrk (Debian package) is not installed; falling back to a Python load generator, which cannot saturate the server"
	$(BIN)/python tests/benchmarks/bench.py $(ARGS)

# mutmut runs pyproject's type_check_command (mypy) from PATH, hence the venv first on it.
mutants: $(INSTALLED) ## Mutation testing (not part of test or CI): plants bugs in pipelines/, auth, schemas, errors, result cache; prints the survivors
	rm -rf mutants
	PATH="$(abspath $(BIN)):$$PATH" HYPOTHESIS_PROFILE=mutants $(BIN)/mutmut run --max-children $${JOBS:-2} $(ARGS)
	@$(BIN)/mutmut results --all true > mutants/results.txt
	@echo "Mutants no test or type check caught (\`.venv/bin/mutmut show NAME\` prints one's diff):"
	@grep -v -e ': killed$$' -e ': caught by type check$$' mutants/results.txt || echo "    none"
	@echo "All mutants, by outcome:"; sed 's/.*: //' mutants/results.txt | sort | uniq -c

image: ## Build the container image (needs a Docker engine); IMAGE=name:tag
	@docker info >/dev/null 2>&1 || { echo "make image needs a running Docker engine (docker info failed); build on a machine with one, or in CI"; exit 1; }
	docker build -t $(IMAGE) .

format: $(INSTALLED) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
