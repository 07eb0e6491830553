# Ballast: the two commands a newcomer needs are `make demo` and `make test`.
# Every target installs what it needs first, idempotently (apt packages only when missing).

SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libcurl4-openssl-dev libmicrohttpd-dev libsqlite3-dev pkg-config curl prometheus chromium redis-server libhiredis-dev libssl-dev openssl \
	systemd
VENV := .venv
PYTHON := $(VENV)/bin/python
DEBUG_BIN := .build/debug/ballast
RELEASE_BIN := .build/release/ballast
BENCH ?=
FUZZ_SECONDS ?= 60

.PHONY: all deps venv build release test test-swift test-e2e demo bench soak fuzz clean

all: build

## deps: install the system packages the build and tests need (only the missing ones)
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# kubectl (Tests/deploy): any will do; Debian's is kubernetes-client, installed only when none is there.
	@if ! command -v kubectl >/dev/null 2>&1; then \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq kubernetes-client >/dev/null; \
	fi

## venv: the Python virtualenv with the official anthropic SDK for end-to-end tests
venv: $(VENV)/.installed
$(VENV)/.installed: Tests/e2e/requirements.txt Tests/deploy/requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r Tests/e2e/requirements.txt -r Tests/deploy/requirements.txt
	touch $@

build: deps
	$(SWIFT) build --product ballast

release: deps
	$(SWIFT) build -c release --product ballast

## test: every Swift test, then the end-to-end tests through the official Python SDK, then the
## checks of the Kubernetes manifests and the systemd unit
test: deps venv
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	BALLAST_BIN=$(DEBUG_BIN) $(PYTHON) -m pytest -q Tests/e2e Tests/deploy

test-swift: deps
	$(SWIFT) test

test-e2e: deps venv build
	BALLAST_BIN=$(DEBUG_BIN) $(PYTHON) -m pytest -q Tests/e2e

## demo: Ballast in front of a simulated faulty upstream, with a scripted load
demo: release
	$(RELEASE_BIN) demo

## bench: the benchmark suite (BENCH=name runs one scenario); writes docs/benchmarks.md
bench: release venv
	$(RELEASE_BIN) bench $(if $(BENCH),--scenario $(BENCH),) --output docs/benchmarks.md --json docs/benchmarks.json

## soak: an hour (SOAK_MINUTES) at a steady rate with faults cycling; not in CI; writes its section of docs/benchmarks.md
SOAK_MINUTES ?= 60
soak: release
	BALLAST_SOAK_MINUTES=$(SOAK_MINUTES) $(RELEASE_BIN) bench --scenario soak --output docs/benchmarks.md --json docs/benchmarks.json

## fuzz: every parser's libFuzzer target for FUZZ_SECONDS each (docs/fuzzing.md); the corpora
## also run once in `make test` (FuzzCorpusTests)
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) Fuzz/fuzz.sh

clean:
	rm -rf .build .build-fuzz $(VENV)
