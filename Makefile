# Tributary: `make test` and `make serve` work on a fresh clone (they install what is missing).
.PHONY: install build test check typecheck lint bench clean

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

clean:
	rm -rf dist
