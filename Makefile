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

build-fuzz: $(FUZZBUILD)/build.ninja
	ninja -C $(FUZZBUILD) -j $(NINJA_JOBS) tests/fuzz/fuzz_query tests/fuzz/fuzz_rdata

# make run: install what is missing, build, serve on the embedded defaults
# (SQLite under ./var/, API on 127.0.0.1:8080, DNS on 127.0.0.1:5300).
run: setup build
	./$(BUILD)/nameplate serve --data $(DATA)

# make test: install what is missing, build with ASan+UBSan, run every default test
# (and a bounded fuzz run: FUZZ_SECONDS per target, 30 by default).
test: setup build-test build-fuzz
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
.PHONY: bench bench-api
bench: bench-api

bench-api: build
	bash bench/api/setup
	$(PY) bench/api/bench.py $(BENCH_API_ARGS)

format:
	git diff -U0 --no-color HEAD -- '*.c' '*.h' | clang-format-diff -p1 -i 2>/dev/null || \
		echo "clang-format-diff not found; format changed lines by hand"

clean:
	rm -rf $(BUILD) $(TESTBUILD) $(FUZZBUILD)
