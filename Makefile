# Public commands: make run, make test, make lint, make bench.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000
DEMO_PERSONS ?= 20000
# The development commands run with DEBUG (and its development SECRET_KEY); production sets SECRET_KEY itself.
DEV := DEBUG=$${DEBUG:-1}

.PHONY: run test lint bench install migrate demo worker clean-db

$(STAMP): requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(DEV) $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(DEV) $(BIN)/python manage.py seed_demo --persons $(DEMO_PERSONS) --mos 8 --smos 3 --seed 1 --if-empty

# resume_jobs hands old jobs to processes of their own and returns at once: the server never waits for them.
# exec: the server replaces the shell, so a SIGTERM to make (make passes it on to its child) reaches the server,
# which then stops cleanly, and the embedded PostgreSQL with it.
run: demo
	$(DEV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(DEV) $(BIN)/python manage.py demo_logins
	$(DEV) $(BIN)/python manage.py resume_jobs
	exec env DEBUG=1 $(BIN)/python manage.py runserver $(HOST)

# First a Chromium for the browser tests (found, else installed: apt-get as root, else Playwright's download).
test: $(STAMP)
	@$(BIN)/python -m tests.browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r participants screening omsportal informing reports surveys -t B608
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

worker: $(STAMP)
	$(DEV) $(BIN)/celery -A omsportal worker -B --loglevel=INFO

clean-db:
	rm -rf var/pgdata
