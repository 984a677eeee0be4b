# The two commands a person needs (README): `make run` and `make test`.
# Everything is built with CMake + Ninja; this file only strings the steps together.
JOBS ?= $(shell nproc)
RELEASE_DIR := build/release
ASAN_DIR := build/asan
FUZZ_DIR := build/fuzz

.PHONY: run test setup build build-asan bench fuzz clean deb

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

# The demo needs only the fulcrum binary (its backends run inside it): the tests, benchmarks
# and fuzz targets are left for `make test`.
run: setup $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS) --target fulcrum
	$(RELEASE_DIR)/fulcrum demo

# Release first (fast feedback), then the same suite under ASan+UBSan.
test: build build-asan
	scripts/test $(RELEASE_DIR)
	scripts/test $(ASAN_DIR)

# libFuzzer (clang, ASan+UBSan) on one parser for FUZZ_SECONDS: FUZZ=http (request and response
# parsers, chunked decoder, desync classifier), FUZZ=dns (the DNS wire codec) or FUZZ=h2 (the
# HTTP/2 server session, frames after the preface). New inputs go to
# build/fuzz/corpus/; the seeds in tests/fuzz/corpus/ are replayed by every `make test`.
FUZZ ?= http
FUZZ_SECONDS ?= 600
fuzz_target_http := http_parser_fuzz
fuzz_target_dns := dns_query_fuzz
fuzz_target_h2 := h2_frames_fuzz
fuzz_target := $(fuzz_target_$(FUZZ))

$(FUZZ_DIR)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DFULCRUM_FUZZ=ON -DFULCRUM_BENCH=OFF

fuzz: setup $(FUZZ_DIR)/build.ninja
	@test -n "$(fuzz_target)" || { echo "FUZZ=$(FUZZ): choose http, dns or h2"; exit 2; }
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(fuzz_target)
	mkdir -p $(FUZZ_DIR)/corpus/$(FUZZ)
	$(FUZZ_DIR)/tests/fuzz/$(fuzz_target) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  -dict=tests/fuzz/$(FUZZ).dict $(FUZZ_DIR)/corpus/$(FUZZ) tests/fuzz/corpus/$(FUZZ)

# The Debian package: build/fulcrum_<version>_<arch>.deb (CPack's DEB generator; what it holds:
# packaging/README.md). Only the fulcrum binary is built for it.
deb: setup $(RELEASE_DIR)/build.ninja
	cmake --build $(RELEASE_DIR) -j $(JOBS) --target fulcrum
	cd $(RELEASE_DIR) && cpack -G DEB -B $(CURDIR)/build
	@ls -l build/fulcrum_*.deb

bench: build
	@echo "see bench/README.md: bench/tcp.sh, bench/algorithms.sh, ..."

clean:
	rm -rf build
