# Tributary: `make test` and `make serve` work on a fresh clone (they install what is missing).
.PHONY: install build test check typecheck lint bench serve clean

NODE_MODULES_STAMP := node_modules/.tributary-installed

$(NODE_MODULES_STAMP): package.json package-lock.json scripts/install.sh
	bash scripts/install.sh

install: $(NODE_MODULES_STAMP)

# Tests load worker-thread entry points from dist/, so the suite always runs on a fresh build.
build: $(NODE_MODULES_STAMP)
	npx --no-install tsc -p tsconfig.json

test: build
	npx --no-install vitest run $(VITEST_ARGS)

typecheck: $(NODE_MODULES_STAMP)
	npx --no-install tsc -p tsconfig.json --noEmit

lint: $(NODE_MODULES_STAMP)
	npx --no-install eslint .

check: typecheck lint test

bench: build
	node dist/native-free-bench/run.js

# Starts a broker on $(TRIBUTARY_HOST):$(TRIBUTARY_PORT) with data in $(TRIBUTARY_DATA_DIR).
TRIBUTARY_HOST ?= 127.0.0.1
TRIBUTARY_PORT ?= 9092
TRIBUTARY_DATA_DIR ?= ./data
serve: build
	TRIBUTARY_HOST=$(TRIBUTARY_HOST) TRIBUTARY_PORT=$(TRIBUTARY_PORT) TRIBUTARY_DATA_DIR=$(TRIBUTARY_DATA_DIR) node dist/src/cli.js serve

clean:
	rm -rf dist
