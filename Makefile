# Ballast: the two commands a newcomer needs are `make demo` and `make test`.
# Every target installs what it needs first, idempotently (apt packages only when missing).

SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := libcurl4-openssl-dev libmicrohttpd-dev libsqlite3-dev pkg-config curl prometheus chromium redis-server libhiredis-dev libssl-dev openssl \
	systemd binutils umoci runc
VENV := .venv
PYTHON := $(VENV)/bin/python
DEBUG_BIN := .build/debug/ballast
RELEASE_BIN := .build/release/ballast
# The lab (simulate, demo, bench): built beside `ballast`, never shipped.
DEBUG_LAB := .build/debug/ballast-lab
RELEASE_LAB := .build/release/ballast-lab
BENCH ?=
FUZZ_SECONDS ?= 60

# `make dist` and `make image`: the version from the source, the commit from git.
VERSION := $(shell sed -n 's/.*current = "\(.*\)"/\1/p' Sources/Gateway/BallastVersion.swift)
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
DIST_TARBALL := dist/ballast-$(VERSION)-linux-$(shell uname -m).tar.gz
OCI_LAYOUT := dist/ballast-$(VERSION)-oci
# A build folder of its own: the static release build would otherwise rebuild `make release`'s
# (and the other way round) every time, the flags being different.
DIST_BUILD := .build-dist

.PHONY: all deps venv build release lint format test test-swift test-e2e test-deploy dist dist-only image image-layout demo bench soak fuzz clean

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
	$(SWIFT) build --product ballast-lab

release: deps
	$(SWIFT) build -c release --product ballast
	$(SWIFT) build -c release --product ballast-lab

## lint: the code as .swift-format formats it (swift-format comes with the toolchain);
## `make format` rewrites it so
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests

format:
	$(SWIFT) format format --in-place --recursive Sources Tests

## test: the format check, every Swift test, then the end-to-end tests through the official Python SDK, then the
## checks of the Kubernetes manifests and the systemd unit (the dist tarball and the image:
## `make test-deploy`, which CI runs too)
test: deps venv lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	BALLAST_BIN=$(DEBUG_BIN) BALLAST_LAB_BIN=$(DEBUG_LAB) $(PYTHON) -m pytest -q Tests/e2e Tests/deploy Tests/layout

## test-deploy: builds the dist tarball and the OCI image layout, then runs the image's root
## file system with a Messages request through it (Tests/deploy/test_dist_image.py)
test-deploy: deps venv image-layout
	$(SWIFT) build --product ballast
	$(SWIFT) build --product ballast-lab
	BALLAST_BIN=$(DEBUG_BIN) BALLAST_LAB_BIN=$(DEBUG_LAB) BALLAST_DIST=$(DIST_TARBALL) BALLAST_OCI=$(OCI_LAYOUT) BALLAST_COMMIT=$(COMMIT) \
	  $(PYTHON) -m pytest -q Tests/deploy/test_dist_image.py

## dist: the self-contained tarball (static Swift runtime, rules, alerts, dashboard, unit, README)
dist: deps dist-only

## dist-only: `dist` without installing anything (the Containerfile's build stage)
dist-only:
	$(SWIFT) build -c release --static-swift-stdlib --product ballast --scratch-path $(DIST_BUILD) \
	  -Xcc '-DBALLAST_GIT_COMMIT="$(COMMIT)"'
	python3 deploy/dist/build_dist.py --binary $(DIST_BUILD)/release/ballast --version $(VERSION) --commit $(COMMIT) --output dist

## image: the container image: with podman or buildah where one runs, else (as here: no daemon,
## no registry) an OCI image layout written from the dist tarball (deploy/image/build_oci.py)
image: dist
	@if command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then \
	  podman build -f Containerfile -t ballast:$(VERSION) . ; \
	elif command -v buildah >/dev/null 2>&1 && buildah info >/dev/null 2>&1; then \
	  buildah bud -f Containerfile -t ballast:$(VERSION) . ; \
	else \
	  $(MAKE) image-layout ; \
	fi

## image-layout: the OCI image layout (and its .tar) from the dist tarball, with no builder
image-layout: dist
	python3 deploy/image/build_oci.py --tarball $(DIST_TARBALL) --version $(VERSION) --commit $(COMMIT) --output dist

test-swift: deps
	$(SWIFT) test

test-e2e: deps venv build
	BALLAST_BIN=$(DEBUG_BIN) BALLAST_LAB_BIN=$(DEBUG_LAB) $(PYTHON) -m pytest -q Tests/e2e

## demo: Ballast in front of a simulated faulty upstream, with a scripted load
demo: release
	$(RELEASE_LAB) demo

## bench: the benchmark suite (BENCH=name runs one scenario); writes docs/benchmarks.md
bench: release venv
	$(RELEASE_LAB) bench $(if $(BENCH),--scenario $(BENCH),) --output docs/benchmarks.md --json docs/benchmarks.json

## soak: an hour (SOAK_MINUTES) at a steady rate with faults cycling; not in CI; writes its section of docs/benchmarks.md
SOAK_MINUTES ?= 60
soak: release
	BALLAST_SOAK_MINUTES=$(SOAK_MINUTES) $(RELEASE_LAB) bench --scenario soak --output docs/benchmarks.md --json docs/benchmarks.json

## fuzz: every parser's libFuzzer target for FUZZ_SECONDS each (docs/fuzzing.md); the corpora
## also run once in `make test` (FuzzCorpusTests)
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) Fuzz/fuzz.sh

clean:
	rm -rf .build .build-fuzz $(DIST_BUILD) dist $(VENV)
