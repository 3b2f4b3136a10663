# The two commands of the README: `make demo` and `make test`.
# Azurite, the local Table Storage emulator, comes from npm at the version
# pinned in package-lock.json.

GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build demo test vet clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/authagonal-tables .

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

demo: build node_modules/.package-lock.json
	$(GO) run ./internal/demo -bin bin/authagonal-tables

test: node_modules/.package-lock.json
	$(GO) vet ./...
	$(GO) test -count=1 ./...

clean:
	rm -rf bin
