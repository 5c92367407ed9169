# K8sWsProxy: build, run, test. `make deps` is idempotent and runs before run/test/bench.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: deps build test run run-standalone bench bench-quick soak fuzz fuzz-afl format format-check clean

deps:
	@bash .ci/deps

# The solution, then the sidecar as it ships: a Native AOT executable in .build/sidecar, which tests, the playground and
# the benchmarks run.
build: deps
	$(DOTNET) build K8sWsProxy.sln -c $(CONFIG) --no-restore
	$(DOTNET) publish sidecar/K8sWsProxy.Sidecar -c $(CONFIG) -r linux-x64 -o .build/sidecar -v quiet -nologo

# Test assemblies run one after another (each runs its own tests in parallel); the last line sums them up.
# `dotnet format` cleanliness is part of the test: style drift fails CI like a failing test.
test: build format-check
	@set -o pipefail; $(DOTNET) test K8sWsProxy.sln -c $(CONFIG) --no-build --logger "console;verbosity=normal" 2>&1 | tee TestResults.log; \
	status=$$?; bash .ci/summary TestResults.log; exit $$status

# The operator, the API emulator and three sidecar pods on 127.0.0.2-4, a route applied; try kubectl (Ctrl-C stops).
run: build
	@$(DOTNET) bench/K8sWsProxy.Bench/bin/$(CONFIG)/net10.0/K8sWsProxy.Bench.dll playground

# The sidecar alone, from examples/standalone.yaml, behind two echo upstreams.
run-standalone: build
	@bash examples/run-standalone.sh $(CONFIG)

bench: build
	@# Harness, load generator and echo upstream on CPU 0; the harness pins each proxy to CPU 1. ~20 min.
	nice -n -10 taskset -c 0 $(DOTNET) bench/K8sWsProxy.Bench/bin/$(CONFIG)/net10.0/K8sWsProxy.Bench.dll

bench-quick: build
	@# The same, shorter (bench/results/quick.md, charts-quick/), about 4 min, for development.
	nice -n -10 taskset -c 0 $(DOTNET) bench/K8sWsProxy.Bench/bin/$(CONFIG)/net10.0/K8sWsProxy.Bench.dll --quick

# A cluster of processes (API emulator, operator, 2 sidecars) holding SOAK_CONNECTIONS connections for SOAK_MINUTES while a
# route changes every second, a certificate rotates every minute and an upstream restarts every few minutes; samples memory,
# descriptors, connections, GC heap and p99 over time (bench/results/soak.md, charts-soak/); exit 1 when a message on the
# undisturbed routes is lost or memory or descriptors keep growing (bench/README.md, "Soak").
SOAK_MINUTES ?= 30
SOAK_CONNECTIONS ?= 3000
soak: build
	$(DOTNET) bench/K8sWsProxy.Bench/bin/$(CONFIG)/net10.0/K8sWsProxy.Bench.dll soak --minutes $(SOAK_MINUTES) --connections $(SOAK_CONNECTIONS)

# The property tests of the frame tracker and the handshake parser, each for FUZZ_SECONDS (default 120) instead of
# CsCheck's default number of cases; a failure prints the shrunk input and its seed (add the input to the corpus).
FUZZ_SECONDS ?= 120
fuzz: build
	CsCheck_Time=$(FUZZ_SECONDS) $(DOTNET) test tests/K8sWsProxy.Tunnel.Tests -c $(CONFIG) --no-build --filter "FullyQualifiedName~FrameProperties" --logger "console;verbosity=normal"
	CsCheck_Time=$(FUZZ_SECONDS) $(DOTNET) test tests/K8sWsProxy.Sidecar.Tests -c $(CONFIG) --no-build --filter "FullyQualifiedName~HandshakeParserProperties" --logger "console;verbosity=normal"

# Coverage-guided: the frame tracker, the message assembler and the handshake parser (tests/K8sWsProxy.Fuzz), each under
# afl-fuzz with SharpFuzz's instrumentation for FUZZ_SECONDS on CPU FUZZ_CPU; fails on a crash or a hang, naming the input
# and how to replay it (add it to the corpus). Installs afl++ and the sharpfuzz tool when missing.
FUZZ_CPU ?= 1
fuzz-afl: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CPU=$(FUZZ_CPU) CONFIG=$(CONFIG) bash .ci/fuzz-afl

format:
	$(DOTNET) format K8sWsProxy.sln

format-check:
	$(DOTNET) format K8sWsProxy.sln --verify-no-changes --no-restore

clean:
	$(DOTNET) clean K8sWsProxy.sln -c $(CONFIG)
