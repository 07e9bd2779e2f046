# camrig — see README.md. `make run` and `make test` are the two entry points.
SHELL := /bin/bash
GO    ?= go
RIG   ?= rigs/virtual.yaml
OUT   ?= reports/out
# One parallel process per unit of the rig: a unit's specs run in order in
# one process, so more processes than units idle and fewer make the slowest
# units queue (override with PROCS=N).
PROCS ?= $(shell n=$$($(GO) run ./harness/cmd/camrig rig units --rig $(RIG) 2>/dev/null | wc -l); echo $$(( n > 0 ? n : 1 )))
# Ginkgo label filter for `make run` (`make gate` runs every label).
LABELS ?= !slow && !soak && !random-cut && !faults
# Debian packages the tests talk to as real peers.
DEB_PKGS := qemu-system-arm u-boot-qemu lrzsz ser2net expect snmpd snmp chromium etcd-server
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps run gate test vet fmt-check tidy-check cross-build lint bench fuzz clean sim

all: test

## deps: install everything the tests need (idempotent).
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "deps: Debian packages present"; fi
	$(GO) mod download
	$(GO) build -o /dev/null github.com/onsi/ginkgo/v2/ginkgo
	@echo "deps: ginkgo $$($(GO) tool ginkgo version | awk '{print $$3}') (pinned in go.mod)"

## run: run the suites on RIG (default the virtual rig, with a simulator of
## the run's own), the specs LABELS selects; reports land in OUT.
## ATTACH=1 drives the `camrig sim` already running on the rig file instead.
run:
	@mkdir -p $(OUT)
	$(GO) tool ginkgo -p --procs=$(PROCS) --output-dir=$(OUT) \
		--json-report=report.json \
		--label-filter='$(LABELS)' ./specs -- --rig=$(abspath $(RIG)) --out=$(abspath $(OUT))$(if $(ATTACH), --attach)

## gate: the nightly release gate: every label (slow, soak and faults too),
## no retries, JUnit for CI in $(OUT)/junit.xml; exits non-zero on any failure
## and its last line names the failed unit/spec pairs.
gate:
	@mkdir -p $(OUT)
	$(GO) tool ginkgo -p --procs=$(PROCS) --output-dir=$(OUT) --flake-attempts=0 \
		--json-report=report.json ./specs -- --rig=$(abspath $(RIG)) --out=$(abspath $(OUT))

## sim: start the virtual rig in the foreground (Ctrl-C stops it and cleans up).
sim:
	$(GO) run ./harness/cmd/camrig sim --rig $(RIG)

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## lint: formatting, vet, go.mod tidiness, and the layering rules (harness/README.md).
## cross-build: the harness (everything but the simulator) builds for macOS too: a lab
## engineer's laptop drives a remote rig (Linux-only parts sit behind build tags)
cross-build:
	GOOS=darwin $(GO) build ./harness/...

lint: fmt-check vet tidy-check cross-build
	$(GO) test -count=1 -run TestLayering ./harness/internal/layering

## tidy-check: go.mod and go.sum are exactly what `go mod tidy` writes.
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy'"; exit 1; }

## test: install what tests need, then run every test with the race detector;
## ends with the defect test's table (each defect and the spec that caught it)
## and the fault matrix's (each fault, what it deserves, what happened).
## The tests make their own state directories and rigs: a developer's
## CAMRIG_* settings (for a running `camrig sim`, say) must not reach them.
test: deps lint
	env -u CAMRIG_STATE_DIR -u CAMRIG_RIG -u CAMRIG_RESERVATION CAMRIG_REQUIRE_ETCD=1 $(GO) test -race -timeout 12m ./...
	@cat reports/out/defects.txt reports/out/faults.txt

## bench: the performance figures; each benchmark runs BENCHCOUNT times,
## one package at a time (-p 1: a benchmark never shares the machine with
## another of ours), and ends with ONE table (harness/cmd/benchtable): each
## figure's median, its anchor measured in the same run, the goal, and the
## machine's load while it ran (these machines are shared and noisy).
BENCHCOUNT ?= 3
bench:
	@set -o pipefail; $(GO) test -p 1 -run '^$$' -bench . -benchtime=1x -count=$(BENCHCOUNT) -timeout 60m ./... 2>&1 | \
		$(GO) run ./harness/cmd/benchtable

## fuzz: run each fuzz target briefly (FUZZTIME=30s for longer). A run that
## fails without writing a reproducer (the fuzz coordinator's own deadline
## race) is retried once and reported; a crasher fails it (harness/cmd/fuzzrun).
FUZZTIME ?= 10s
fuzz:
	$(GO) run ./harness/cmd/fuzzrun -go $(GO) -fuzztime $(FUZZTIME) ./...

clean:
	rm -rf $(OUT)
