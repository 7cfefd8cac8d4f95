# Two entry points for a fresh machine: `make demo` (offline end-to-end job) and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
UV := python3 -m uv
EXTRAS ?= dev,postgres,s3

.PHONY: demo test env lint clean

$(VENV)/.installed: pyproject.toml
	$(UV) --version >/dev/null 2>&1 || python3 -m pip install -q uv
	$(UV) venv -q --allow-existing -p python3 $(VENV)
	$(UV) pip install -q -p $(VENV) -e '.[$(EXTRAS)]'
	touch $@

env: $(VENV)/.installed

demo: env
	$(BIN)/klaviyo-sync demo --dir demo

test: env
	bash tests/system_deps.sh
	$(BIN)/pytest -n auto

lint: env
	$(BIN)/ruff check loader tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) demo .pytest_cache
