.PHONY: install serve test test-postgres lint fmt postgres

install:
	python3 -m pip install -e ".[test]"
	python3 -m pip install -e ./sdk

serve:
	tenant-registry serve

test:
	scripts/test -q

postgres:
	scripts/start-postgres

test-postgres:
	REGISTRY_REQUIRE_POSTGRES=1 scripts/test -q

lint:
	ruff check .
	ruff format --check .
	mypy domain application projections service api cli tests benchmarks sdk/src sdk/unasync.py
	python3 sdk/unasync.py --check

fmt:
	ruff format .
	ruff check --fix .
