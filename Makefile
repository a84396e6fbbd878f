# migrawave — the two commands of the quick start are `make demo` and `make test`.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
CONFIG ?= $(CURDIR)/deploy/local/migrawave.yaml
MIGRAWAVE := $(CURDIR)/bin/migrawave
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
TEST_TIMEOUT ?= 20m

.PHONY: all build demo test bench bench-copy bench-throttle lint stack-up stack-down stack-status

all: build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/migrawave ./cmd/migrawave
	$(GO) build -o bin/cfemu ./cmd/cfemu
	$(GO) build -o bin/tenantapp ./cmd/tenantapp

stack-up:
	bash deploy/local/stack.sh up

stack-down:
	bash deploy/local/stack.sh down

stack-status:
	bash deploy/local/stack.sh status

# demo brings the local stack up, seeds demo tenants and registers them.
demo: stack-up build
	bash deploy/local/demo.sh

# test runs every test against the real local stack. Under CI=true a service
# that cannot be reached fails the run instead of skipping tests.
test: stack-up
	$(GO) vet ./...
	MIGRAWAVE_TEMPORAL=$$(bash deploy/local/stack.sh temporal-path) \
		$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

bench: stack-up bench-copy bench-throttle
	$(GO) test -run '^$$' -bench . -benchmem ./...

# bench-copy measures migrawave copy/verify of a 2.27M-row tenant against
# pgloader and a bare COPY FROM (dataset generated once; bench/copy/README.md).
bench-copy:
	bash bench/copy/run.sh

# bench-throttle copies the same tenant with --max-rows-per-second (default
# 100000; BENCH_RATE) and prints its data phase as a ratio of rows/rate.
bench-throttle:
	bash bench/copy/throttle.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
