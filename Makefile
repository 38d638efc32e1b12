# Makefile -- the front door: make run, make build, make test, make format.
# Meson does the building; this file only names the usual tasks.

BUILD      ?= build
TESTBUILD  ?= build-test
FUZZBUILD  ?= build-fuzz
DATA       ?= var
PY         ?= /usr/bin/python3
NINJA_JOBS ?= 2

.PHONY: all setup build build-test build-fuzz run test unit integration fuzz format clean

all: build

setup:
	bash scripts/setup

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

$(TESTBUILD)/build.ninja:
	meson setup $(TESTBUILD) --buildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=all

build: $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(NINJA_JOBS)

build-test: $(TESTBUILD)/build.ninja
	ninja -C $(TESTBUILD) -j $(NINJA_JOBS)

# libFuzzer targets (tests/fuzz) need clang.
$(FUZZBUILD)/build.ninja:
	CC=clang meson setup $(FUZZBUILD) --buildtype=debugoptimized -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false

# One fuzz target per corpus folder in tests/fuzz/corpus/.
FUZZ_TARGETS := $(patsubst %,tests/fuzz/fuzz_%,$(notdir $(wildcard tests/fuzz/corpus/*)))

build-fuzz: $(FUZZBUILD)/build.ninja
	ninja -C $(FUZZBUILD) -j $(NINJA_JOBS) $(FUZZ_TARGETS)

# make run: install what is missing, build, serve on the embedded defaults
# (SQLite under ./var/, API on 127.0.0.1:8080, DNS on 127.0.0.1:5300).
run: setup build
	./$(BUILD)/nameplate serve --data $(DATA)

# make test: install what is missing, build (the optimized build too: `make run` must keep
# building), build with ASan+UBSan, run every default test (and a bounded fuzz run:
# FUZZ_SECONDS per target, 20 by default).
test: setup build build-test build-fuzz
	bash tests/run

unit: build-test
	bash tests/run unit

integration: build-test
	bash tests/run integration

# make fuzz: a longer fuzz run (FUZZ_SECONDS=600 make fuzz).
fuzz: build-fuzz
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} bash tests/run fuzz

# make bench: benchmarks (not timed tests). bench-api: Nameplate's API against PowerDNS's
# (bench/api/README.md); BENCH_API_ARGS=--full for the 100k-zone/10M-record store.
# bench-dns: the DNS role against Knot DNS and NSD under dnsperf (bench/dns/README.md);
# BENCH_DNS_ARGS='--record' appends the run to bench/dns/RESULTS.md; then the ALIAS case
# (bench/dns/alias.py: ALIAS answers against plain A answers, same server, same run).
# bench-xfr: zone transfers out, AXFR of 1M records and IXFR of one change to knotd, against
# Knot DNS as the primary (bench/xfr/README.md); BENCH_XFR_ARGS='--record' likewise.
.PHONY: bench bench-api bench-dns bench-xfr
bench: bench-api bench-dns bench-xfr

bench-api: build
	bash bench/api/setup
	$(PY) bench/api/bench.py $(BENCH_API_ARGS)

bench-dns: build
	bash bench/dns/setup
	$(PY) bench/dns/bench.py $(BENCH_DNS_ARGS)
	$(PY) bench/dns/alias.py --binary $(BUILD)/nameplate

bench-xfr: build
	bash bench/xfr/setup
	$(PY) bench/xfr/bench.py --binary $(BUILD)/nameplate $(BENCH_XFR_ARGS)

format:
	git diff -U0 --no-color HEAD -- '*.c' '*.h' | clang-format-diff -p1 -i 2>/dev/null || \
		echo "clang-format-diff not found; format changed lines by hand"

clean:
	rm -rf $(BUILD) $(TESTBUILD) $(FUZZBUILD)
