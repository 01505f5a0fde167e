# The lifecycle's commands. `make help` lists them. Needs only Python 3.11 on the machine.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MLCYCLE := $(BIN)/mlcycle
HOST ?=
PORT ?=
ENV_FILE ?=
ARGS ?=
DATASET ?=

# telemetry of every library off (a user's own setting wins)
export MLFLOW_DISABLE_TELEMETRY ?= true
export DO_NOT_TRACK ?= true
export PLOOMBER_STATS_ENABLED ?= false
export FEAST_USAGE ?= False
export MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR ?= false

ENV_ARGS = $(if $(ENV_FILE),--env-file $(ENV_FILE)) $(if $(DATASET),--env--dataset $(abspath $(DATASET))) \
	$(if $(HOST),--env--host $(HOST)) $(ARGS)
BUILD := $(MLCYCLE) run $(if $(JOBS),--jobs $(JOBS)) $(ENV_ARGS)

.DEFAULT_GOAL := help
.PHONY: help setup system-deps run report gate deploy-staging promote check-workflows server migrate batch simulate weekly rollout trace rebuild status test test-fast lint format lab serve ui example-data docs diagram lock clean

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'
	@echo "  Options: DATASET=path/to/dataset.yaml  ENV_FILE=env.test.yaml  ARGS='--env--KEY VALUE'  JOBS=4"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else \
		"Python 3.11 is required, found " + sys.version.split()[0] + ": set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install the project (done by every target that needs it)

# Debian packages the tests run for real (command:package), installed only when missing
SYSTEM_DEPS := prometheus:prometheus java:openjdk-17-jre-headless chromium:chromium \
	initdb:postgresql redis-server:redis-server
APT_GET := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

system-deps: ## install the Debian packages the tests need (Prometheus, Java, Chromium, PostgreSQL, Redis)
	@for dep in $(SYSTEM_DEPS); do \
	  cmd=$${dep%%:*}; pkg=$${dep##*:}; \
	  command -v $$cmd >/dev/null && continue; \
	  ls /usr/lib/postgresql/*/bin/$$cmd >/dev/null 2>&1 && continue; \
	  command -v apt-get >/dev/null || { echo "install $$pkg (needs $$cmd on PATH) and retry"; exit 1; }; \
	  echo "installing Debian package $$pkg"; \
	  $(APT_GET) install -y -q --no-install-recommends $$pkg >/dev/null \
	    || { $(APT_GET) update -q >/dev/null && \
	         $(APT_GET) install -y -q --no-install-recommends $$pkg >/dev/null; } \
	    || { echo "could not install $$pkg: install it by hand and retry"; exit 1; }; \
	done

run: $(STAMP) ## run the whole lifecycle (only what changed since the last run)
	$(BUILD)

report: $(STAMP) ## re-render every report and the report hub (index.html); retrains nothing
	$(MLCYCLE) report $(ENV_ARGS)

gate: $(STAMP) ## check the quality gate from metrics.json (CI); stricter: make gate THRESHOLD=0.9
	$(MLCYCLE) gate $(if $(THRESHOLD),--threshold $(THRESHOLD)) $(ENV_ARGS)

deploy-staging: $(STAMP) ## point the staging alias at the version the newest build registered
	$(MLCYCLE) deploy staging $(ENV_ARGS)

promote: $(STAMP) ## production: make promote VERSION=N (must be on staging; a reviewed step)
	@test -n "$(VERSION)" || { echo "usage: make promote VERSION=N [REASON='...']"; exit 2; }
	$(MLCYCLE) promote $(VERSION) --reason "$(REASON)" $(ENV_ARGS)

server: $(STAMP) ## team mode: MLflow server on PostgreSQL (PGHOST, PGUSER, PGPASSWORD...; README)
	$(MLCYCLE) server $(if $(PORT),--port $(PORT)) \
		$(if $(ARTIFACTS),--artifacts-destination $(ARTIFACTS)) $(ENV_ARGS)

migrate: $(STAMP) ## copy products/mlflow.db (runs, models, aliases) to $$MLFLOW_TRACKING_URI
	$(MLCYCLE) migrate $(if $(TO),--to $(TO)) $(ENV_ARGS)

check-workflows: $(STAMP) ## validate .github/workflows against GitHub's schema (offline)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

rebuild: $(STAMP) ## run every stage again, changed or not
	$(BUILD) --force

status: $(STAMP) ## show which stages are out of date
	$(MLCYCLE) status $(ENV_ARGS)

# two workers (pytest-xdist): the tests on the built project share one, and so are built once
PYTEST_WORKERS ?= 2

test: $(STAMP) system-deps ## lint, then run the whole test suite (tiny data, temporary stores)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-fast: $(STAMP) ## the unit layer for day-to-day work: no kernels, no servers (about 1.5 min on two cores)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not dag and not service" $(PYTEST_ARGS)

lint: $(STAMP) ## ruff (lint, formatting) and import-linter (the layers, no import cycles)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP) ## ruff: fix what can be fixed and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lab: $(STAMP) ## JupyterLab at the project root (PORT=8889); a stage run there writes to products/sandbox
	$(MLCYCLE) lab $(if $(PORT),--port $(PORT)) $(ENV_ARGS)

batch: $(STAMP) ## score a file: make batch INPUT=in.parquet OUTPUT=out.parquet [ALIAS=champion]
	@test -n "$(INPUT)" -a -n "$(OUTPUT)" || { echo "usage: make batch INPUT=file OUTPUT=file.parquet [ALIAS=champion] [ENGINE=spark]"; exit 2; }
	$(MLCYCLE) batch $(INPUT) $(OUTPUT) --alias $(or $(ALIAS),champion) \
		$(if $(ENGINE),--engine $(ENGINE)) $(ENV_ARGS)

weekly: $(STAMP) ## what a scheduler runs weekly: monitor the week's new rows, retrain if the policy says so
	$(MLCYCLE) weekly $(if $(WINDOW),--window $(WINDOW)) $(if $(UNTIL),--until "$(UNTIL)") $(if $(RETRAIN),--retrain) $(ENV_ARGS)

trace: $(STAMP) ## one prediction back to its origins: make trace REQUEST=<request_id>
	@test -n "$(REQUEST)" || { echo "usage: make trace REQUEST=<request_id>"; exit 2; }
	$(MLCYCLE) trace $(REQUEST) $(ENV_ARGS)

rollout: $(STAMP) ## the challenger's rollout: make rollout ACTION=status|start|advance|hold|resume|rollback|complete
	$(MLCYCLE) rollout $(or $(ACTION),status) $(if $(REASON),--reason "$(REASON)") $(ENV_ARGS)

simulate: $(STAMP) ## the monitoring loop on weekly traffic with drift: make simulate WEEKS=8
	$(MLCYCLE) simulate --weeks $(or $(WEEKS),8) $(ENV_ARGS)

serve: $(STAMP) ## the prediction service on the champion (127.0.0.1:8000; settings: README)
	$(MLCYCLE) serve $(if $(PORT),--env--port $(PORT)) $(if $(WORKERS),--env--workers $(WORKERS)) $(ENV_ARGS)

ui: $(STAMP) ## MLflow UI on the local tracking store, bound to 127.0.0.1
	$(MLCYCLE) ui $(if $(PORT),--port $(PORT)) $(ENV_ARGS)

example-data: $(STAMP) ## write the example tables for config/datasets/example_*.yaml (binary, regression, multiclass)
	$(MLCYCLE) example-data

docs: $(STAMP) ## write docs/configuration.md again from the code that reads the configuration
	$(BIN)/python -m mlcycle.reference

diagram: $(STAMP) ## print the DAG as a Mermaid diagram (paste into README.md)
	$(BIN)/python -m mlcycle.orchestration.diagram

lock: ## re-resolve pyproject.toml's dependencies into constraints.txt (then run make test)
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	( echo "# The versions the test suite passed with; installs use them (make lock renews)."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable ) > constraints.txt
	rm -rf .venv-lock

clean: ## delete everything a build wrote (products/), keeping .venv
	rm -rf products products-test products-ci
