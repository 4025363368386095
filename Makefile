# Two commands: `make demo` and `make test` (README Quick start). Each installs what it needs.
SHELL := /bin/bash
TEST_PKGS := redis-server redis-tools redis-sentinel python3-redis openssl iproute2 systemd
# CI fails when fewer test files are found than this (a lost glob must not pass silently).
MIN_TEST_FILES := 8

.PHONY: deps build test demo lint sim bench clean

deps:
	@./.ci/ensure-deps.sh "$(TEST_PKGS)"

build: deps
	@npm run --silent build

lint: deps
	@npm run --silent lint

# One node:test invocation; files run one at a time (--test-concurrency=1) so a simulation never
# starves real-process tests. Order: unit, raft scenarios, simulation, integration.
test: build
	@files=$$( { find dist/test/unit dist/test/raft -name '*.test.js' | sort; \
	            find dist/test/sim -name '*.test.js' | sort; \
	            find dist/test/integration -name '*.test.js' | sort; } ); \
	count=$$(echo "$$files" | grep -c . || true); \
	if [ "$$count" -lt $(MIN_TEST_FILES) ]; then echo "found $$count test files, expected at least $(MIN_TEST_FILES)"; exit 1; fi; \
	node --test --test-concurrency=1 --test-reporter=spec $$files

demo: build
	@node dist/src/cli/main.js demo

sim: build
	@node dist/test/sim/main.js $(ARGS)

bench: build
	@node dist/bench/raft/run.js

clean:
	rm -rf dist
