.PHONY: install serve test test-postgres lint fmt postgres

install:
	python3 -m pip install -e ".[test]"

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
	mypy domain application projections service api cli tests benchmarks

fmt:
	ruff format .
	ruff check --fix .
