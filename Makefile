# Two entry points for a fresh clone (see README): `make demo` and `make test`.
#
# Environments, each made on first use with uv (plain pip backtracks for minutes on MassGen's
# dependencies; uv itself is bootstrapped into .tools/ when it is not on PATH):
#   .venv          `uv sync --locked`: the workspace (core and three plugins, editable) with the
#                  dev and lint groups, as uv.lock pins them: the demo, the suite, the checks
#   .venv-lowest   the same, every direct dependency at its declared floor
#                  (uv --resolution lowest-direct): proves the floors in the pyprojects
#   .venv-massgen  the real massgen==0.1.97 from the package index plus our four distributions
#                  (built and installed as a user would), with MassGen's pins kept: the
#                  coexistence and real-MassGen tests run there
#   .venv-matrix/V one per MassGen release of `make matrix`, made the same way

SHELL := /bin/bash
PYTHON ?= python3
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
LOWEST := .venv-lowest
MASSGEN := .venv-massgen
EXAMPLE := examples/massgen_logs
RESULTS := .test-results
SOURCES := pyproject.toml $(wildcard plugins/*/pyproject.toml) $(shell git ls-files massgen_plugins plugins 2>/dev/null)
WORKSPACE := -e . -e ./plugins/compact_openai -e ./plugins/log_analyzer -e ./plugins/tui_throttle
# MassGen's environment gets our distributions as built wheels, not editable: that is what a
# user installs. pytest-asyncio runs MassGen's own bundled tests (its dev extra has it).
OURS := ".[testing]" ./plugins/compact_openai ./plugins/log_analyzer ./plugins/tui_throttle
MASSGEN_TEST_TOOLS := "pytest>=8" "pytest-mock>=3.12" "pytest-asyncio>=0.21" "pytest-xdist>=3.5"
# The suites that need the real MassGen, or sit at its seams; the rest of the suite runs in
# .venv and .venv-lowest (whose floors are MassGen's pins: openai 2.2.0, rich 14.1.0).
# The README's samples run there too: the doctor sample needs the real MassGen.
MASSGEN_SUITES := tests/massgen tests/bridge tests/compact_openai tests/core/test_readme_samples.py
# Real massgen runs must reach nothing but the loopback emulator: where the kernel allows it,
# that suite runs in a network namespace of its own, with only the loopback interface up.
ISOLATE := $(shell unshare -n true 2>/dev/null && command -v ip >/dev/null && echo "unshare -n sh -c 'ip link set lo up && exec \"\$$@\"' sh")

.PHONY: setup demo test test-main test-lowest test-massgen check bench bench-tui-latency matrix clean

setup: $(VENV)/.synced

.tools/bin/uv:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet "uv>=0.5,<1"

# The start-up hook is copied into site-packages (not linked, even in an editable install):
# a change to it needs a reinstall.
AUTOLOAD := $(wildcard massgen_plugins/bridge/autoload/*.py massgen_plugins/bridge/autoload/*.pth)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock plugins/*/pyproject.toml $(AUTOLOAD)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --quiet --locked --compile-bytecode --python $(PYTHON) \
	  --reinstall-package massgen-plugins
	touch $@

$(LOWEST)/.installed: $(UV) pyproject.toml plugins/*/pyproject.toml
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(LOWEST)
	$(UV) pip install --quiet --compile-bytecode --python $(LOWEST)/bin/python \
	  --resolution lowest-direct $(WORKSPACE) --group dev
	touch $@

$(MASSGEN)/.installed: $(UV) $(SOURCES)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(MASSGEN)
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

# Every part, even after one fails; then one line each, and a failure if any failed.
PARTS := check main lowest massgen
test:
	@set -o pipefail; mkdir -p $(RESULTS); rm -f $(RESULTS)/summary; status=0; \
	for part in $(PARTS); do \
	  start=$$(date +%s); \
	  if $(MAKE) --no-print-directory test-$$part 2>&1 | tee $(RESULTS)/$$part.log; \
	  then result=passed; else result=FAILED; status=1; fi; \
	  tally=$$(grep -aE '^=*[ ]*[0-9]+ (passed|failed|error)' $(RESULTS)/$$part.log | tail -1 | tr -d '='); \
	  printf '%-18s %-7s %5ss  %s\n' "make test-$$part" $$result $$(( $$(date +%s) - start )) "$$tally" >> $(RESULTS)/summary; \
	done; \
	echo; cat $(RESULTS)/summary; rm -f $(RESULTS)/summary; exit $$status

# ruff, mypy and the import contracts (pyproject.toml: [tool.importlinter]).
test-check: setup
	$(BIN)/ruff check massgen_plugins plugins tests bench examples
	$(BIN)/mypy massgen_plugins plugins/*/massgen_* examples/*/massgen_*
	$(BIN)/lint-imports

# Two workers (pytest-xdist): many tests wait on a child process or a deadline, and two
# workers overlap those waits on a two-core machine.
XDIST := -n 2

test-main: setup
	$(BIN)/python -m pytest $(XDIST)

test-lowest: $(LOWEST)/.installed
	$(LOWEST)/bin/python -m pytest $(XDIST)

# MASSGEN_PLUGINS_REAL_MASSGEN=1: the tests that need the real MassGen fail, not skip, without it.
# Each real massgen run keeps one core busy; by file (loadfile), so that a file's shared fixture
# (the TUI replays) runs once.
test-massgen: $(MASSGEN)/.installed
	MASSGEN_PLUGINS_REAL_MASSGEN=1 $(ISOLATE) $(MASSGEN)/bin/python -m pytest $(XDIST) --dist loadfile \
	  $(MASSGEN_SUITES)

# The editable sources are compiled first: with PYTHONDONTWRITEBYTECODE set, a module edited
# since setup would otherwise be compiled again at every start the benches time.
bench: setup $(MASSGEN)/.installed
	$(BIN)/python -m compileall -q massgen_plugins plugins
	$(BIN)/python bench/bridge_startup.py
	$(ISOLATE) $(MASSGEN)/bin/python bench/massgen_compaction.py
	$(ISOLATE) $(MASSGEN)/bin/python bench/massgen_proactive.py --runs 3
	$(ISOLATE) $(MASSGEN)/bin/python bench/massgen_tui.py --runs 5
	$(ISOLATE) $(MASSGEN)/bin/python bench/massgen_tui_latency.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/logs_list.py --runs 1000 10000 --repeat 5
	$(BIN)/python bench/providers.py
	$(BIN)/python bench/logs.py --size-mb 1024

# Key and streamed-text latency in MassGen's TUI in a real terminal (needs tmux): docs/tui-latency.md.
bench-tui-latency: setup $(MASSGEN)/.installed
	$(ISOLATE) $(MASSGEN)/bin/python bench/massgen_tui_latency.py $(ARGS)

# The MassGen version matrix, not part of `make test`: for each release in bench/massgen_matrix.py
# (or VERSIONS="0.1.90 0.1.97"), doctor and real runs of every seam; writes
# docs/massgen-versions.md. Each run makes its own network namespace; installs need the index.
matrix: setup
	UV=$(UV) $(BIN)/python bench/massgen_matrix.py $(VERSIONS)

clean:
	rm -rf $(VENV) $(LOWEST) $(MASSGEN) .venv-matrix .tools $(RESULTS)
