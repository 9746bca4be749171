# Two entry points for a fresh machine with python3 >= 3.11: `make scan` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: scan test bench install clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[test,chart]'
	touch $(STAMP)

install: $(STAMP)

# The example estate has failing findings on purpose: exit code 1 (findings) is the expected outcome here.
scan: $(STAMP)
	@$(BIN)/argus scan --example; code=$$?; [ $$code -le 1 ] || exit $$code

test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/argus test --require-fixtures rules

# The evaluation-only comparison with a hand-written evaluator, then the whole pack end to end as users run it
# (`argus scan` with JSON and SARIF outputs, against orjson.loads of the same file). 1M rows: BENCH_SIZES=...
BENCH_SIZES ?= 10000 100000
bench: $(STAMP)
	$(BIN)/python bench/run.py --sizes 10000 100000
	$(BIN)/python bench/pack.py --sizes $(BENCH_SIZES)

clean:
	rm -rf $(VENV) build *.egg-info
