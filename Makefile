# Operator entry points. Every target that needs an environment creates it first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Ports and bind address of the local cloud (override: make up LOCALSTACK_PORT=4567).
export BIND_HOST ?= 127.0.0.1
export LOCALSTACK_PORT ?= 4566
export MLFLOW_PORT ?= 5000
# Offline machines: a directory holding the data set instead of the UCI download. When a
# sibling ../shared/data/secondary_mushroom exists (this workplace), it is used by default.
export MUSHROOM_DATA_SOURCE ?= $(wildcard $(abspath ../shared/data/secondary_mushroom))

PYTEST := $(PY) -m pytest
CODE := mushroom adapters lambdas training scripts tests localcloud layers

.PHONY: help venv run test test-unit test-integration lint fmt data up down status logs \
	deploy destroy bench clean alerts simulate rollback pin unpin train redrive test-compose

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create the pinned development environment (.venv)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e .
	@touch $@

run: $(STAMP) data ## The main job, end to end
	$(PY) scripts/run.py

test: lint test-unit test-integration test-compose ## Everything CI runs: lint, unit, integration and compose tests

# The halves split tests/ by the integration marker, and tests/compose/ runs on its own stack:
# every test runs in exactly one part (tests/unit/test_make_test_selection.py checks it).
test-unit: $(STAMP) data ## Offline tests: moto, fixtures, the real data file, builds, Terraform
	$(PYTEST) tests -q -m "not integration"

# Alarms evaluate every minute in the tests (5 minutes by default) so alarm paths finish quickly.
test-integration: export TF_VAR_alarm_period_seconds = 60
# Trainings promote at once there (other tests expect it); test_shadow.py runs the shadow paths.
test-integration: export TF_VAR_shadow_period_seconds = 0
test-integration: $(STAMP) data up deploy ## Tests against the real local cloud
	LOCALCLOUD_LIFECYCLE_TEST=1 $(PYTEST) tests -q -m integration --ignore=tests/compose

# docker-compose.yml brought up with podman compose (or docker compose) beside `make up`'s stack,
# on the next ports by default; deployed, trained once, one /predict. Skips without an engine.
COMPOSE_LOCALSTACK_PORT ?= $(shell echo $$(($(LOCALSTACK_PORT) + 1)))
COMPOSE_MLFLOW_PORT ?= $(shell echo $$(($(MLFLOW_PORT) + 1)))
test-compose: export COMPOSE_LOCALSTACK_PORT := $(COMPOSE_LOCALSTACK_PORT)
test-compose: export COMPOSE_MLFLOW_PORT := $(COMPOSE_MLFLOW_PORT)
test-compose: $(STAMP) data ## docker-compose.yml for real: up, deploy, train once, predict
	$(PYTEST) tests/compose -q -m integration

# checkov has its own environment: it pins boto3 1.35 and packaging<24, which clash with ours.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

$(CHECKOV_STAMP): requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

lint: $(STAMP) $(CHECKOV_STAMP) ## flake8 + black --check + terraform fmt -check + checkov (offline)
	$(PY) -m flake8 $(wildcard $(CODE))
	$(PY) -m black --check --quiet $(wildcard $(CODE))
	@if [ -d terraform ] && command -v terraform >/dev/null; then TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive terraform; fi
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

fmt: $(STAMP) ## Format the code (black, terraform fmt)
	$(PY) -m black --quiet $(wildcard $(CODE))
	@if command -v terraform >/dev/null; then terraform fmt -recursive terraform; fi

data: $(STAMP) ## Download (or copy) and verify the UCI data set into data/
	$(PY) scripts/fetch_data.py --dest data

up: $(STAMP) ## Start LocalStack, MLflow and the trainer in the background
	$(PY) -m localcloud up

down: $(STAMP) ## Stop everything `make up` started
	$(PY) -m localcloud down

status: $(STAMP) ## Health of each local service
	$(PY) -m localcloud status

logs: $(STAMP) ## Show the services' logs (make logs SERVICE=localstack FOLLOW=1)
	$(PY) -m localcloud logs $(SERVICE) $(if $(FOLLOW),--follow)

deploy: $(STAMP) ## Build zips and layers, terraform apply against the local cloud
	scripts/deploy.sh apply

destroy: $(STAMP) ## terraform destroy
	scripts/deploy.sh destroy

# Starts and deploys the local cloud first (kept running afterwards; `make down` stops it), and
# trains a champion when none is served, so every figure measures the real deployed system.
bench: $(STAMP) data up deploy ## Run the benchmarks; writes bench/results.json, bench/RESULTS.md and the cost table
	$(PY) scripts/bench.py
	$(PY) scripts/cost_model.py --write docs/aws.md

# One training run on a local file, outside the queue (sqlite MLflow in .state/ unless
# MLFLOW_TRACKING_URI names a server): python -m training.pipeline --data FILE
train: $(STAMP) data ## Train once on data/secondary_data.csv (DATA=file) and print the outcome
	@mkdir -p .state
	$(PY) -m training.pipeline --data $(or $(DATA),data/secondary_data.csv) --outcome .state/last-training.json

# Against AWS: DEPLOY_TARGET=aws make redrive (your credentials, outputs of the AWS deploy).
redrive: $(STAMP) ## Failed events back to their function, training jobs to their queue (ONLY=, FUNCTION=, DRY_RUN=1)
	$(PY) scripts/redrive.py $(if $(ONLY),--only $(ONLY)) $(if $(FUNCTION),--function $(FUNCTION)) $(if $(DRY_RUN),--dry-run)

alerts: $(STAMP) ## Print the operators' alerts received on the local alerts-inbox queue
	$(PY) scripts/alerts.py --wait 10

simulate: $(STAMP) data ## Rollout and alarms: challengers in shadow (one retired, one promoted), then an alarm, the switch-back, the report
	$(PY) scripts/simulate.py

clean: ## Remove build outputs (not the data, the environments or the state)
	rm -rf build .pytest_cache

# Local defaults; against AWS, set your own credentials and MLFLOW_TRACKING_URI, unset AWS_ENDPOINT_URL.
rollback: export AWS_ENDPOINT_URL ?= http://127.0.0.1:$(LOCALSTACK_PORT)
rollback: export AWS_ACCESS_KEY_ID ?= test
rollback: export AWS_SECRET_ACCESS_KEY ?= test
rollback: export AWS_DEFAULT_REGION ?= us-east-1
rollback: export MLFLOW_TRACKING_URI ?= http://127.0.0.1:$(MLFLOW_PORT)
rollback: export MLFLOW_S3_ENDPOINT_URL ?= http://127.0.0.1:$(LOCALSTACK_PORT)
rollback: $(STAMP) ## Restore the previous champion (or VERSION=n); the SSM pointer follows
	$(PY) -m training.rollback $(if $(VERSION),--version $(VERSION))

pin unpin: export AWS_ENDPOINT_URL ?= http://127.0.0.1:$(LOCALSTACK_PORT)
pin unpin: export AWS_ACCESS_KEY_ID ?= test
pin unpin: export AWS_SECRET_ACCESS_KEY ?= test
pin unpin: export AWS_DEFAULT_REGION ?= us-east-1
pin unpin: export MLFLOW_TRACKING_URI ?= http://127.0.0.1:$(MLFLOW_PORT)
pin unpin: export MLFLOW_S3_ENDPOINT_URL ?= http://127.0.0.1:$(LOCALSTACK_PORT)
pin: $(STAMP) ## Pin the champion (or restore VERSION=n and pin it): nothing switches it
	$(PY) -m training.pin $(if $(VERSION),--version $(VERSION))

unpin: $(STAMP) ## Remove the pin: promotions and switch-backs move the champion again
	$(PY) -m training.pin --unpin

# The trainer's container image (training/Dockerfile) with podman or docker, as `make up` builds
# it: reused while its inputs are unchanged. TRAINER_BASE_IMAGE overrides the base.
.PHONY: trainer-image
trainer-image: $(STAMP) ## Build (or reuse) the trainer image and print its tag
	@$(PY) -m localcloud image
