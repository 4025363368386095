# Two commands: `make demo` and `make test` (README Quick start). Each installs what it needs.
SHELL := /bin/bash
TEST_PKGS := redis-server redis-tools redis-sentinel python3-redis openssl iproute2 systemd haproxy prometheus chromium docker.io
# CI fails when fewer test files are found than this (a lost glob must not pass silently).
MIN_TEST_FILES := 45

.PHONY: deps build test demo lint sim bench clean

deps:
	@./.ci/ensure-deps.sh "$(TEST_PKGS)"

build: deps
	@npm run --silent build

lint: deps
	@npm run --silent lint

# One node:test invocation; files run one at a time (--test-concurrency=1) so a simulation never
# starves real-process tests. Order: unit, raft scenarios, simulation, integration. The spec
# reporter lists known-bug `todo` tests after its summary, so the summary is repeated last.
# Built test files whose source still exists (dist/ may hold leftovers of deleted tests).
test: build
	@files=$$( for dir in unit raft sim integration; do \
	            find dist/test/$$dir -name '*.test.js' | sort | while read -r f; do \
	              src=$${f#dist/}; [ -f "$${src%.js}.ts" ] && echo "$$f"; done; done ); \
	count=$$(echo "$$files" | grep -c . || true); \
	if [ "$$count" -lt $(MIN_TEST_FILES) ]; then echo "found $$count test files, expected at least $(MIN_TEST_FILES)"; exit 1; fi; \
	log=$$(mktemp); \
	node --test --test-concurrency=1 --test-reporter=spec $$files 2>&1 | tee "$$log"; status=$${PIPESTATUS[0]}; \
	echo; echo "summary (node:test, $$count test files):"; \
	grep -E '^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$$log" | tail -8; \
	rm -f "$$log"; exit $$status

demo: build
	@node dist/src/cli/main.js demo

sim: build
	@node dist/test/sim/main.js $(ARGS)

bench: build
	@node dist/bench/raft/run.js

clean:
	rm -rf dist
