# Thin wrapper over CMake and ctest; see README.md.
BUILD ?= build
JOBS  ?= $(shell nproc)
DATA  ?= $(CURDIR)/data

.PHONY: all deps test-deps deb-deps configure build daemon run test test-long bench asan deb install format clean

all: build

deps:
	@.ci/install-deps build

test-deps:
	@.ci/install-deps test

deb-deps:
	@.ci/install-deps deb

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Only the daemon and what it links, none of the tests and benchmarks.
daemon: configure
	@cmake --build $(BUILD) -j $(JOBS) --target kryptod

# Runs the daemon in the foreground with conf/kryptod.conf and ./data.
run: daemon
	@mkdir -p $(DATA)
	$(BUILD)/daemon/kryptod --config conf/kryptod.conf \
	  --storage.path=$(DATA)/kryptod.db --auth.secret_file=$(DATA)/auth.secret \
	  --http.web_root=$(CURDIR)/web

test: test-deps build
	@ctest --test-dir $(BUILD) -LE 'long|bench' --output-on-failure -j $(JOBS)

test-long: test-deps build
	@ctest --test-dir $(BUILD) -L long --output-on-failure

bench: test-deps build
	@cmake --build $(BUILD) -j $(JOBS) --target benches
	@ctest --test-dir $(BUILD) -L bench --output-on-failure -V

# The package test installs the Release package; a sanitizer build has
# nothing to add there.
asan: test-deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKRYPTOD_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@ctest --test-dir build-asan -LE 'long|bench|package' --output-on-failure -j $(JOBS)

# $(BUILD)/kryptod_<version>_<arch>.deb from the Release tree (debian/make-deb).
deb: deb-deps daemon
	@debian/make-deb $(BUILD)

install: build
	cmake --install $(BUILD)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan
