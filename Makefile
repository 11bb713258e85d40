# Tributary: `make test` and `make serve` work on a fresh clone (they install what is missing).
.PHONY: install test-tools build test check typecheck lint bench serve clean

NODE_MODULES_STAMP := node_modules/.tributary-installed

$(NODE_MODULES_STAMP): package.json package-lock.json scripts/install.sh
	bash scripts/install.sh

install: $(NODE_MODULES_STAMP)

# What the tests drive besides npm's dev dependencies: kcat, the Python clients, librdkafka 2.15
# (test/clients), lz4/zstd CLIs. Best effort; see the script.
TEST_TOOLS_STAMP := node_modules/.tributary-test-tools
$(TEST_TOOLS_STAMP): $(NODE_MODULES_STAMP) scripts/install-test-tools.sh test/clients/package.json test/clients/package-lock.json
	bash scripts/install-test-tools.sh

test-tools: $(TEST_TOOLS_STAMP)

# Incremental: tsc runs only when a source changed since the last build (make serve starts at once).
SOURCES := $(shell find src test native-free-bench -name '*.ts' -not -path '*/node_modules/*') tsconfig.json
BUILD_STAMP := dist/.tributary-built
$(BUILD_STAMP): $(NODE_MODULES_STAMP) $(SOURCES)
	npx --no-install tsc -p tsconfig.json
	@touch $@

# Tests load worker-thread entry points from dist/, so the suite always runs on a fresh build.
build: $(BUILD_STAMP)

test: build $(TEST_TOOLS_STAMP)
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
