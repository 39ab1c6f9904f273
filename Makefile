# The commands the README names. Everything installs into .venv from pinned versions.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PARLEY_DATABASE_URL ?= sqlite:///parley.db

.PHONY: run install test bench bench-moderation bench-workspace bench-live bench-embed widget train lint clean

$(BIN)/parley: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(BIN)/parley

run: install
	$(BIN)/parley migrate
	$(BIN)/parley demo
	$(BIN)/parley serve

# Two workers, one a core on these machines; a file's tests stay on one worker
# (--dist loadfile), so its module fixtures (servers, browsers) are made once.
test: install
	bash scripts/ensure-services
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: install
	$(BIN)/python benchmarks/run.py --out docs/performance.md

bench-moderation: install
	$(BIN)/python benchmarks/moderation.py --out docs/performance.md

bench-workspace: install
	bash scripts/ensure-services
	$(BIN)/python benchmarks/workspace.py --out docs/performance.md

# Live fan-out: posts per second in, post to delivery on 1,000 open SSE streams, memory a stream.
bench-live: install
	$(BIN)/python benchmarks/live.py

# The embed's scripts, from widget/src into parley/web/static (committed, so `make run` needs no build).
widget: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check rjsmin==1.3.0
	$(BIN)/python widget/build.py

bench-embed: install
	bash scripts/ensure-chromium
	$(BIN)/python benchmarks/embed.py --out docs/performance.md

# Rebuilds parley/moderation/models from ../shared/data (30 to 75 minutes on two cores),
# then `parley eval` rewrites the model card.
train: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-train.lock
	$(BIN)/parley train --stage all

lint: install
	$(BIN)/python -m ruff check parley tests benchmarks

clean:
	rm -rf $(VENV) *.egg-info parley.db parley.db-wal parley.db-shm parley.secret
