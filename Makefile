# Stoa. `make run` and `make test` need nothing set up by hand: without STOA_DATABASE_URL they create
# and start a project-local PostgreSQL under .data/ (scripts/localdb.sh).
SHELL := /bin/bash
GO ?= go
BIN := bin/stoa
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
WITH_DB := scripts/with-db.sh
# Development secret for `make run`, kept across restarts; production sets STOA_SECRET_KEY(_FILE).
DEV_SECRET := .data/secret.key
TEST_FLAGS ?=

.PHONY: all build run test test-go check fmt-check vet generate gen-check deps-check db-start db-stop db-reset db-url bench bench-delivery bench-inbox clean bench-read bench-read-drop e2e

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/stoa

## run: build, start the local database, migrate, seed a demo on an empty database, serve on :8080
run: build
	@export STOA_SECRET_KEY_FILE=$${STOA_SECRET_KEY_FILE:-$$(scripts/secret.sh $(DEV_SECRET))}; \
	$(WITH_DB) bash -c '$(BIN) migrate && $(BIN) admin demo && exec $(BIN) serve'

## test: the whole suite against a real PostgreSQL, plus format, vet, generated-code and import checks
test: check test-go

check: fmt-check vet gen-check deps-check

# The end-to-end package (several real servers per test, and Chromium) runs after the others rather
# beside them: on two cores, sharing the CPU and the database cluster with every other package's
# tests made its timing-sensitive scenarios (a crash mid fan-out, an outage) a matter of luck.
test-go:
	scripts/ensure-chromium.sh
	$(WITH_DB) $(GO) test -race -timeout 25m $(TEST_FLAGS) $$($(GO) list ./... | grep -v '/e2e$$')
	$(WITH_DB) $(GO) test -race -timeout 15m $(TEST_FLAGS) ./e2e/

## e2e: only the federation scenarios, several real Stoa instances federating (FEDERATION.md)
e2e:
	$(WITH_DB) $(GO) test -count=1 -timeout 15m $(TEST_FLAGS) -run Federation ./e2e/

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.data/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi; echo "gofmt: OK"

vet:
	$(GO) vet ./...
	# The static build without OpenSSL (internal/rsasign) must keep compiling.
	$(GO) vet -tags nolibcrypto ./internal/rsasign ./federation

generate:
	$(GO) tool templ generate

gen-check:
	scripts/check-generated.sh

deps-check:
	scripts/deps-check.sh

## bench: the in-process Go benchmarks (go test -bench) of every package, on the project's database (about 2 min)
bench:
	$(WITH_DB) $(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./...

## bench-delivery: a real `stoa serve` delivers a thread to 1,000 loopback inboxes (BENCHMARKS.md)
bench-delivery:
	$(WITH_DB) $(GO) test -tags deliverybench -run TestDeliveryBenchmark -count=1 -v -timeout 30m ./cmd/stoa/

## bench-inbox: 100 loopback peers POST signed replies to a real `stoa serve`'s shared inbox (BENCHMARKS.md)
bench-inbox:
	$(WITH_DB) $(GO) test -tags inboxbench -run TestInboxBenchmark -count=1 -v -timeout 30m ./cmd/stoa/

db-start:
	@scripts/localdb.sh start

db-url:
	@scripts/localdb.sh url

db-stop:
	scripts/localdb.sh stop

db-reset:
	scripts/localdb.sh reset

## bench-read: seed (once, kept) a 1,000,000-thread database and measure the read path (BENCHMARKS.md)
bench-read:
	scripts/bench-read.sh

## bench-read-drop: drop the benchmark database bench-read keeps
bench-read-drop:
	scripts/bench-read.sh drop

clean:
	rm -rf bin
