# Two entry points for a fresh clone (see README): `make demo` and `make test`.
#
# Environments, each made on first use with uv (plain pip backtracks for minutes on MassGen's
# dependencies):
#   .venv          the core and the three plugins, editable, newest dependencies: demo, tests
#   .venv-lowest   the same, every direct dependency at its declared floor
#                  (uv --resolution lowest-direct): proves the floors in the pyprojects
#   .venv-massgen  the real massgen==0.1.97 from the package index plus our four distributions
#                  (built and installed as a user would), with MassGen's pins kept:
#                  the coexistence and real-MassGen tests run there

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
LOWEST := .venv-lowest
MASSGEN := .venv-massgen
EXAMPLE := examples/massgen_logs
SOURCES := pyproject.toml $(wildcard plugins/*/pyproject.toml) $(shell git ls-files massgen_plugins plugins 2>/dev/null)
# MassGen's environment gets our distributions as built wheels, not editable: that is what a
# user installs. pytest-asyncio runs MassGen's own bundled tests (its dev extra has it).
OURS := ".[test]" ./plugins/compact_openai ./plugins/log_analyzer ./plugins/tui_throttle
MASSGEN_TEST_TOOLS := "pytest-asyncio>=0.21"
# Real massgen runs must reach nothing but the loopback emulator: where the kernel allows it,
# that suite runs in a network namespace of its own, with only the loopback interface up.
ISOLATE := $(shell unshare -n true 2>/dev/null && command -v ip >/dev/null && echo "unshare -n sh -c 'ip link set lo up && exec \"\$$@\"' sh")

.PHONY: setup demo test test-main test-lowest test-massgen bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements-dev.txt plugins/*/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "uv>=0.5,<1"
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements-dev.txt
	$(BIN)/python -m compileall -q massgen_plugins plugins
	touch $(STAMP)

$(LOWEST)/.installed: $(STAMP)
	$(UV) venv --quiet --allow-existing --python $(BIN)/python $(LOWEST)
	$(UV) pip install --quiet --compile-bytecode --python $(LOWEST)/bin/python --resolution lowest-direct \
	  -r requirements-dev.txt
	touch $@

$(MASSGEN)/.installed: $(STAMP) $(SOURCES)
	$(UV) venv --quiet --allow-existing --python $(BIN)/python $(MASSGEN)
	$(UV) pip install --quiet --compile-bytecode --python $(MASSGEN)/bin/python \
	  --reinstall-package massgen-plugins \
	  --reinstall-package massgen-compact-openai --reinstall-package massgen-log-analyzer \
	  --reinstall-package massgen-tui-throttle "massgen==0.1.97" $(OURS) $(MASSGEN_TEST_TOOLS)
	$(UV) pip check --python $(MASSGEN)/bin/python
	touch $@

# The main job, offline, on the bundled example run.
demo: setup
	$(BIN)/massgen-plugins plugins list
	$(BIN)/massgen-plugins logs summary --logs-dir $(EXAMPLE)
	$(BIN)/massgen-plugins logs tools --logs-dir $(EXAMPLE)
	@echo "The analysis plan (a dry run sends nothing and needs no key):"
	$(BIN)/massgen-plugins logs analyze --logs-dir $(EXAMPLE) --model google/gemini-2.5-flash --dry-run

# The whole suite three times: newest dependencies, declared floors, and beside MassGen 0.1.97.
test: test-main test-lowest test-massgen

test-main: setup
	$(BIN)/python -m pytest

test-lowest: $(LOWEST)/.installed
	$(LOWEST)/bin/python -m pytest

# MASSGEN_PLUGINS_REAL_MASSGEN=1: the tests that need the real MassGen fail, not skip, without it.
test-massgen: $(MASSGEN)/.installed
	MASSGEN_PLUGINS_REAL_MASSGEN=1 $(ISOLATE) $(MASSGEN)/bin/python -m pytest

# The editable sources are compiled first: with PYTHONDONTWRITEBYTECODE set, a module edited
# since setup would otherwise be compiled again at every start the benches time.
bench: setup $(MASSGEN)/.installed
	$(BIN)/python -m compileall -q massgen_plugins plugins
	$(BIN)/python bench/bridge_startup.py
	$(ISOLATE) $(MASSGEN)/bin/python bench/massgen_compaction.py
	$(ISOLATE) $(MASSGEN)/bin/python bench/massgen_tui.py --runs 5
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/logs_list.py --runs 1000 10000 --repeat 5
	$(BIN)/python bench/providers.py
	$(BIN)/python bench/logs.py --size-mb 1024

clean:
	rm -rf $(VENV) $(LOWEST) $(MASSGEN)
