# The commands README.md and .ci/run use. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/current.tar.gz

# What the trained model depends on: retrain when any of it changes, and only then.
TRAINING_INPUTS := config.yml $(wildcard domain/*.yml) $(wildcard data/*/*.yml) \
	$(wildcard bot/nlu/*.py) $(wildcard bot/nlu/patterns/*.yml bot/nlu/patterns/language_names/*.yml) bot/danger.py bot/language.py \
	$(wildcard locales/*.yml)  # the SKIP/EXIT keywords (bot/nlu/keywords.py) are compiled into the model

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1
# endpoints.yml reads it (scripts/run.sh sets it from ACTIONS_PORT when it is unset).
export ACTION_SERVER_URL ?= http://localhost:5055/webhook

.PHONY: help install model run shell test scale-test bench check lint clean telegram-webhook browser postgres redis nginx

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml constraints.txt
	@python=$$(scripts/find-python.sh) && echo "Using $$python" && "$$python" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $@

install: $(VENV)/.installed ## Create .venv with Python 3.10 and install the pinned dependencies

$(MODEL): $(TRAINING_INPUTS) | $(VENV)/.installed
	@mkdir -p models
	@start=$$(date +%s); \
	$(RASA) train --config config.yml --domain domain --data data --out models \
		--fixed-model-name current --force && \
	echo "Trained in $$(( $$(date +%s) - start )) s"

model: $(MODEL) ## Train the model when the training data changed (and not otherwise)

run: $(MODEL) ## Start the action server and the Rasa server (REST on localhost:5005)
	@scripts/run.sh serve

shell: $(MODEL) ## Chat with the assistant in this terminal
	@scripts/run.sh shell

browser: ## Install Debian's Chromium for the widget's browser tests, if it is missing
	@scripts/install-chromium.sh

postgres: ## Install Debian's PostgreSQL (for the tests, which start their own), if it is missing
	@scripts/install-server.sh postgres

redis: ## Install Debian's Redis (for the tests, which start their own), if it is missing
	@scripts/install-server.sh redis

nginx: ## Install Debian's nginx (for the tests and the scale test, which start their own), if it is missing
	@scripts/install-server.sh nginx

test: $(MODEL) browser postgres redis nginx ## Run the whole test suite (unit, model, conversation, end-to-end and browser tests)
	$(PY) -m pytest

scale-test: $(MODEL) postgres redis nginx ## Two replicas behind nginx on PostgreSQL and Redis, under load and faults (about 4 minutes)
	$(PY) -m bench.scale

bench: $(MODEL) ## Measure quality and speed beside the stock rasa init assistant: bench/report.md (about 15 minutes)
	$(PY) -m bench.run

check: install ## Check the directory and texts: stale entries (>12 months), unconfirmed facts, locale gaps
	$(PY) -m bot check

telegram-webhook: install ## Point Telegram at PUBLIC_BASE_URL (needs TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET)
	@if [ -f .env ]; then set -a; . ./.env; set +a; fi; $(PY) -m bot telegram-webhook

lint: install ## Lint and format-check the Python code
	$(VENV)/bin/ruff check bot actions tests bench
	$(VENV)/bin/ruff format --check bot actions tests bench

clean: ## Remove the virtual environment, models, results and local conversation data
	rm -rf $(VENV) models results var .pytest_cache
