# hbd — build, test and measure. `make test` is what CI runs.
GO       ?= go
PKGS     ?= ./...
FUZZTIME ?= 10s
BIN      := bin

.PHONY: all build test unit verify bench fuzz-smoke clean demo demo-check

all: build

## build: the commands, static (no cgo): the daemon maps no libc, 1.5 MB less
## resident, and needs nothing from the system's C library.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/...

## test: formatting and vet checks, a short fuzz of every target, then all tests
## (last, so that go test's summary closes the output).
test: verify fuzz-smoke demo-check unit

## unit: every package's tests, plainly and then under the race detector
## (the plain run stays: allocation counts and the long simulations skip
## under -race, whose instrumentation allocates and runs master/sim ten
## times slower); the network-namespace suite last and alone, not under
## -race (it saturates both cores for two minutes, which would upset other
## packages' timing tests running beside it).
UNIT_PKGS = $$($(GO) list $(PKGS) | grep -v '/test/netns$$')
unit:
	$(GO) test -count=1 $(UNIT_PKGS)
	$(GO) test -race -count=1 -timeout 20m $(UNIT_PKGS)
	$(GO) test -count=1 -timeout 28m ./test/netns

## verify: gofmt, go vet, the daemon does not link package testing, and
## go.mod/go.sum tidy.
verify:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@if $(GO) list -deps ./cmd/hbd | grep -qx testing; then \
	  echo "cmd/hbd links package testing (internal/deptest's TestLayers names the import)"; exit 1; fi
	@cp go.mod /tmp/hbd-go.mod.$$$$; cp go.sum /tmp/hbd-go.sum.$$$$; \
	  $(GO) mod tidy; \
	  if ! cmp -s go.mod /tmp/hbd-go.mod.$$$$ || ! cmp -s go.sum /tmp/hbd-go.sum.$$$$; then \
	    echo "go.mod/go.sum are not tidy (run go mod tidy)"; \
	    cp /tmp/hbd-go.mod.$$$$ go.mod; cp /tmp/hbd-go.sum.$$$$ go.sum; rm -f /tmp/hbd-go.*.$$$$; exit 1; fi; \
	  rm -f /tmp/hbd-go.*.$$$$

## bench: micro-benchmarks with allocation counts.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## fuzz-smoke: every fuzz target for FUZZTIME each.
fuzz-smoke:
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz-smoke.sh

## demo: three hbd nodes on loopback, no root needed: the holder of a
## resource is killed and the survivors' timeline is printed.
demo: build
	$(BIN)/hbd-demo -hbd $(BIN)/hbd

## demo-check: the demo as an unprivileged user, as a newcomer runs it
## (CI runs as root; the binaries are copied where that user can run them).
demo-check: build
	@if [ "$$(id -u)" = 0 ]; then \
	  d=$$(mktemp -d) && cp $(BIN)/hbd $(BIN)/hbd-demo $$d && chmod 755 $$d $$d/* && \
	  setpriv --reuid=nobody --regid=nogroup --clear-groups $$d/hbd-demo -hbd $$d/hbd; rc=$$?; rm -rf $$d; exit $$rc; \
	else $(BIN)/hbd-demo -hbd $(BIN)/hbd; fi

clean:
	rm -rf $(BIN)

.PHONY: try bench-libplumb

## try: build, validate a sample configuration, decode real heartbeat captures.
try: build
	@d=$$(mktemp -d) && cp -r testdata/sample-ha.d/. $$d && chmod 600 $$d/authkeys && \
	  echo "+ hbd -t --confdir $$d" && $(BIN)/hbd -t --confdir $$d; rc=$$?; rm -rf $$d; exit $$rc
	$(BIN)/hbctl wire decode --authkeys testdata/vectors/bcast-sha1/authkeys \
	  testdata/vectors/bcast-sha1/021.bin testdata/vectors/bcast-sha1/009.bin

## bench-libplumb: hbd's codec against heartbeat's libplumb, same message, same run:
## first libplumb from C (bench/libplumb/harness/harness.c, needs gcc and libplumb2)
## beside hbd's decoder, then the cgo route (needs the libplumb2-dev package).
## Both report cpu-ns/op, the thread's CPU time.
bench-libplumb:
	$(GO) test -run '^$$' -bench Codec -benchmem -count 5 ./bench
	$(GO) test -tags libplumb -run '^$$' -bench . -benchmem -count 5 ./bench/libplumb

.PHONY: bench-cluster bench-report
## bench-cluster: the side-by-side cluster benchmarks (root; about an hour):
## hbd, heartbeat 3.0.6 and keepalived in network namespaces. Installs heartbeat
## and keepalived if missing, merges figures into bench/results/results.json,
## then prints the table and draws docs/perf/*.svg. HBD_BENCH_RUNS (kills per
## configuration, default 20), HBD_BENCH_SIZES (default 2,8,32,64,128),
## HBD_BENCH_KEEPALIVE (clusters of more than 2 nodes, default 100ms),
## HBD_SOAK (default 10m), HBD_PROFILE_KEEPALIVE (the 64-node profile, default
## 100ms), BENCH (a -bench pattern, default all of it).
## BENCH=Pacemaker (not in the default set: about 15 minutes): hbd's CRM beside
## Pacemaker 2.1.5 + Corosync 3.1.7 (packages pacemaker, corosync; skipped without
## them); HBD_BENCH_TOKENS (default 1000,500), HBD_BENCH_CRM_NODES (default 2).
BENCH ?= Cluster
bench-cluster:
	@missing=""; for p in heartbeat keepalived resource-agents; do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; fi
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime 1x -timeout 0 -v ./bench
	$(MAKE) bench-report

## bench-report: the table and plots from bench/results/results.json.
bench-report:
	$(GO) run ./cmd/hbd-benchplot -in bench/results/results.json -out docs/perf

.PHONY: chaos
## chaos: the randomized fault runner, long (root; CHAOS_SCHEDULES schedules from
## CHAOS_SEED); prints the summary table. CI runs a short fixed-seed set.
CHAOS_SCHEDULES ?= 10
CHAOS_SEED      ?= 100
chaos:
	$(GO) test -count=1 -timeout 0 -run '^TestChaos$$' -v ./test/netns -chaos.schedules $(CHAOS_SCHEDULES) -chaos.seed $(CHAOS_SEED)
