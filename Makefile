# The two commands of the README: `make demo` and `make test`.
# Azurite, the local Table Storage emulator, comes from npm at the version
# pinned in package-lock.json.

GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build demo test fuzz image-test bench bench-memory vet man clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/authagonal-tables .

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

demo: build node_modules/.package-lock.json
	$(GO) run ./internal/demo -bin bin/authagonal-tables

test: node_modules/.package-lock.json
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# man regenerates the manual page from the command definitions; a test
# fails while the committed page differs from them.
man:
	$(GO) run . man > docs/authagonal-tables.1.tmp
	mv docs/authagonal-tables.1.tmp docs/authagonal-tables.1

# fuzz runs each fuzz target for FUZZTIME after its seed corpus, which
# `make test` runs too: the entity line decoder, the manifest parser and
# every codec's reader. CI runs it after the tests.
FUZZTIME ?= 20s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./entity
	$(GO) test -run '^$$' -fuzz '^FuzzReadObject$$' -fuzztime $(FUZZTIME) ./entity
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./manifest
	$(GO) test -run '^$$' -fuzz '^FuzzParseLegacy$$' -fuzztime $(FUZZTIME) ./entity
	$(GO) test -run '^$$' -fuzz '^FuzzParseLegacy$$' -fuzztime $(FUZZTIME) ./manifest
	$(GO) test -run '^$$' -fuzz '^FuzzTombstones$$' -fuzztime $(FUZZTIME) ./manifest
	$(GO) test -run '^$$' -fuzz '^FuzzJSONLReader$$' -fuzztime $(FUZZTIME) ./codec
	$(GO) test -run '^$$' -fuzz '^FuzzGzipReader$$' -fuzztime $(FUZZTIME) ./codec
	$(GO) test -run '^$$' -fuzz '^FuzzAgeReader$$' -fuzztime $(FUZZTIME) ./codec

# image-test builds the Docker image with buildah, from base images made of
# the host's Go toolchain and CA certificates, and runs its backup, verify
# and restore against Azurite: about 100 seconds on two cores, with the
# install of buildah. It needs root, and installs buildah with apt-get when
# it is missing.
image-test: node_modules/.package-lock.json
	scripts/image-test.sh

# The benchmarks are not part of the tests. bench runs the hot-path
# micro-benchmarks, then the side-by-side throughput benchmark (about 15
# minutes on two cores); bench-memory backs up, verifies and restores
# 1,000,000 entities to measure peak memory (about 30 minutes).
bench: build node_modules/.package-lock.json
	$(GO) test -run '^$$' -bench . -benchtime 2s ./entity ./codec ./manifest
	$(GO) run ./bench/throughput -bin bin/authagonal-tables

bench-memory: build node_modules/.package-lock.json
	$(GO) run ./bench/throughput -bin bin/authagonal-tables -n 1000000 -tool-only

clean:
	rm -rf bin
