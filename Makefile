# ccagent — build, test and demo. `make test` and `make lab` work from a fresh clone on Debian.
SWIFT ?= swift
CONFIG ?= debug
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: all deps toolchain build test unit-test integration-test lint format mib-check lab clean \
	deb package-test zabbix-test bench bench-smoke soak soak-smoke fuzz

all: build

deps:
	@./scripts/install-deps.sh

toolchain:
	@command -v $(SWIFT) >/dev/null || { echo "swift not found: install Swift 6.3 (https://swift.org) into /opt/swift" >&2; exit 1; }

build: deps toolchain
	$(SWIFT) build -c $(CONFIG)

lint: toolchain
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

format: toolchain
	$(SWIFT) format -i -r Sources Tests Package.swift

mib-check: deps
	./scripts/check-mib.sh

unit-test: build
	$(SWIFT) test

integration-test: build
	@if [ -d tests/integration ]; then ./tests/integration/run.sh; fi

package-test: deb
	python3 -m pytest -q -p no:cacheprovider tests/packaging

# A real Zabbix 6.0 server (Debian's packages) imports the template and polls a running pair
# through faults (tests/zabbix; about 3 minutes, the first run seeds .build/zabbix-db).
zabbix-test: build
	@./scripts/install-zabbix.sh
	cd tests/zabbix && python3 -m pytest -q -p no:cacheprovider test_zabbix_server.py

test: deps build lint mib-check unit-test integration-test package-test zabbix-test
	@echo "make test: all checks passed"

lab: deps build
	./scripts/lab.sh

deb: deps toolchain
	./scripts/build-deb.sh

bench: deps toolchain
	./scripts/bench.sh

bench-smoke: deps toolchain
	BENCH_SMOKE=1 ./scripts/bench.sh

soak: build
	./scripts/soak.sh

soak-smoke: build
	SOAK_MINUTES=1 SOAK_SMOKE=1 ./scripts/soak.sh

fuzz: deps toolchain
	./scripts/fuzz.sh

clean:
	rm -rf .build .build-release .build-bench dist
