# Two entry points for a fresh clone (see README): `make demo` and `make test`.
# Both create .venv with the core and the three plugins installed (editable) on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXAMPLE := examples/massgen_logs

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements-dev.txt plugins/*/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The main job, offline, on the bundled example run.
demo: setup
	$(BIN)/massgen plugins list
	$(BIN)/massgen logs summary --logs-dir $(EXAMPLE)
	$(BIN)/massgen logs tools --logs-dir $(EXAMPLE)
	$(BIN)/python scripts/demo_plan.py

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/providers.py
	$(BIN)/python bench/logs.py --size-mb 1024

clean:
	rm -rf $(VENV)
