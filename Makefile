# Weft: the two commands of the README, and the steps behind them.
#   make demo   install what is missing, build, compile examples/mlp.weft, train it
#   make test   install what is missing, build, run every test (ctest + lit)
BUILD ?= build
JOBS  ?= $(shell nproc)
LLVM_BIN := /usr/lib/llvm-22/bin

.PHONY: all deps configure build test demo clean
all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# ctest runs the GoogleTest unit tests, lit runs the compiler and end-to-end
# tests; each prints its own summary so an empty run cannot pass unnoticed.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(LLVM_BIN)/lit -sv $(BUILD)/test

demo: build
	$(BUILD)/bin/weftc examples/mlp.weft -o $(BUILD)/mlp
	cd $(BUILD) && ./mlp train --epochs 3 --log mlp-train.jsonl
	cd $(BUILD) && ./mlp eval --weights mlp.safetensors

clean:
	rm -rf $(BUILD)
