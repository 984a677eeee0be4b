# The two commands a person needs (README): `make run` and `make test`.
# Everything is built with CMake + Ninja; this file only strings the steps together.
JOBS ?= $(shell nproc)
RELEASE_DIR := build/release
ASAN_DIR := build/asan

.PHONY: run test setup build build-asan unit integration bench fuzz clean

setup:
	@scripts/setup

$(RELEASE_DIR)/build.ninja:
	cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

$(ASAN_DIR)/build.ninja:
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFULCRUM_SANITIZE=ON -DFULCRUM_BENCH=OFF

build: setup $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS)

build-asan: setup $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)

run: build
	$(RELEASE_DIR)/fulcrum demo

# Release first (fast feedback), then the same suite under ASan+UBSan.
test: build build-asan
	scripts/test $(RELEASE_DIR)
	scripts/test $(ASAN_DIR)

bench: build
	@echo "see bench/README.md: bench/tcp.sh, bench/algorithms.sh, ..."

clean:
	rm -rf build
