# Switchboard: the two commands of the README live here.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-compiled compiled lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Set up and run the demo center.
demo: $(STAMP)
	$(BIN)/switchboard serve --demo

## Set up and run every test (lint, types, unit, statistical and end-to-end).
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest
	$(MAKE) test-compiled

## The core, the simulator, the SIP stack, the user agent and the switch compiled with mypyc
## (setup.py): build/compiled, put on PYTHONPATH.
COMPILED := build/compiled
$(COMPILED)/.built: $(STAMP) setup.py $(wildcard src/switchboard/core/*.py src/switchboard/sim/*.py src/switchboard/sip/*.py) \
		$(wildcard src/switchboard/telephony/ua.py src/switchboard/telephony/switch.py \
		  src/switchboard/telephony/guard.py src/switchboard/telephony/entropy.py \
		  src/switchboard/telephony/media.py src/switchboard/telephony/session_timers.py \
		  src/switchboard/telephony/udp.py src/switchboard/telephony/dispatch.py)
	rm -rf build/wheel $(COMPILED)
	SWITCHBOARD_MYPYC=1 $(BIN)/pip wheel --quiet --no-build-isolation --no-deps -w build/wheel .
	$(BIN)/python -m zipfile -e build/wheel/switchboard-*.whl $(COMPILED)
	touch $@

compiled: $(COMPILED)/.built

## The core, simulator, SIP and telephony tests again, on the compiled build (the same code
## must behave the same).
test-compiled: $(COMPILED)/.built
	SWITCHBOARD_EXPECT_COMPILED=1 PYTHONPATH=$(COMPILED) $(BIN)/pytest -q -p no:cacheprovider tests/core tests/sim tests/sip tests/telephony

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
