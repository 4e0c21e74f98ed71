# Escalation Desk: `make run` to try it, `make test` to check it. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate seed worker clean bench schema schema-check api-fuzz

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

## Set up, migrate, load demo data and start the web server with a Celery worker and beat.
run: $(STAMP)
	@bash scripts/run.sh

## Set up and run the whole test suite (SQLite by default; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).
test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

migrate: $(STAMP)
	$(BIN)/python manage.py migrate

seed: $(STAMP)
	$(BIN)/python manage.py seed_demo

## Seed a throwaway PostgreSQL database (DATABASE_URL) with 1,000,000 escalations and time the pages (README: Benchmark).
bench: $(STAMP)
	@case "$$DATABASE_URL" in postgres*) ;; *) echo "make bench needs DATABASE_URL=postgres://… of a throwaway database (README: Benchmark)"; exit 2;; esac
	$(BIN)/python manage.py migrate -v0
	DEBUG=false $(BIN)/python manage.py bench $(BENCH_ARGS)

## Regenerate the committed OpenAPI schema after changing the API (tests fail while it is out of date).
schema: $(STAMP)
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

## Fail if docs/openapi.yaml is not what the code generates.
schema-check: $(STAMP)
	@mkdir -p var
	@$(BIN)/python manage.py spectacular --validate --fail-on-warn --file var/openapi.generated.yaml
	@diff -u docs/openapi.yaml var/openapi.generated.yaml && echo "docs/openapi.yaml is current"

## Schemathesis against the API served by gunicorn on a throwaway PostgreSQL database (see scripts/api_fuzz.sh).
api-fuzz: $(STAMP)
	@bash scripts/api_fuzz.sh

clean:
	rm -rf var/broker var/celerybeat-schedule* var/*.pid var/*.log
