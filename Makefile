# Weft: the two commands of the README, and the steps behind them.
#   make demo   install what is missing, build, compile examples/mlp.weft, train it
#   make test   install what is missing, build, run every test (ctest, lit,
#               and a 60 s fuzz run of the frontend)
#   make fuzz   fuzz the frontend for FUZZ_SECONDS (default 600)
#   make bench  Weft against PyTorch and OpenBLAS on this machine (bench/; not a test)
BUILD ?= build
JOBS  ?= $(shell nproc)
LLVM_BIN := /usr/lib/llvm-22/bin

FUZZ_SECONDS ?= 600

.PHONY: all deps configure build test demo fuzz bench clean
all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# ctest runs the GoogleTest unit tests, the fuzzer hammers the frontend for a
# minute, lit runs the compiler and end-to-end tests; each prints its own
# summary (lit's last) so an empty run cannot pass unnoticed.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	bash scripts/fuzz.sh 60
	$(LLVM_BIN)/lit -sv $(BUILD)/test

# Fuzzes lexer, parser and Sema (libFuzzer + AddressSanitizer, clang-22) for
# FUZZ_SECONDS; the corpus persists in build-fuzz/corpus between runs.
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

# Timings, not tests: run on an idle machine. BENCH_FLAGS goes to bench/run.py
# (for example --repeats 3 or --only lenet).
bench: build
	/usr/bin/python3 bench/run.py --weftc $(BUILD)/bin/weftc $(BENCH_FLAGS)
	/usr/bin/python3 bench/sgemm.py --weft-opt $(BUILD)/bin/weft-opt

demo: build
	$(BUILD)/bin/weftc examples/mlp.weft -o $(BUILD)/mlp
	cd $(BUILD) && ./mlp train --epochs 3 --log mlp-train.jsonl
	cd $(BUILD) && ./mlp eval --weights mlp.safetensors

clean:
	rm -rf $(BUILD) build-fuzz build-fuzz.*.log
