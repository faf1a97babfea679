# The two commands a newcomer needs: `make demo` and `make test`. Each installs what it needs;
# heavy artefacts are cached under $${XDG_CACHE_HOME:-$$HOME/.cache}/ecs-operator/.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
TSX := node --import tsx

.PHONY: help deps prepare lint typecheck test test-unit test-motion test-integration test-reliability demo build crds clean-cache bench

help:
	@echo "make demo   start the local stack (kube-apiserver + etcd, moto) and show it"
	@echo "make test   lint, type check, unit and integration tests"
	@echo "make test-reliability   the long reliability scenarios (docs/reliability.md)"

# Install only when the lock file changed since the last install. `npm install` honours the
# committed lock; `npm ci` is not used because npm 11 wrongly reports a lock without entries for
# other platforms' optional packages (rollup's native builds) as out of sync and refuses.
node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.installed

prepare: deps
	$(TSX) test/env/prepare.ts

lint: deps
	npx eslint .

typecheck: deps
	npx tsc -p tsconfig.json --noEmit

test-unit: deps
	npx vitest run --project unit

# The ECS layer of the local AWS (test/env/ecs_motion, docs/local-aws.md), tested on its own with
# pytest from the cached moto venv.
test-motion: deps
	$(TSX) test/env/pytest.ts

test-integration: prepare
	npx vitest run --project integration

test: lint typecheck test-unit test-motion test-integration

# The long reliability scenarios (crash safety, AWS and API server faults, bad input, out-of-band
# changes, tenant isolation): minutes each; the short versions run in `make test`.
test-reliability: prepare
	npx vitest run --project reliability

crds: deps
	$(TSX) scripts/gen-crds.ts
	$(TSX) scripts/gen-argocd.ts

build: deps
	npx tsc -p tsconfig.build.json

demo: prepare
	$(TSX) scripts/demo.ts

# The operator's cost in AWS calls, latency and memory (bench/README.md); BENCH_N, BENCH_RUNS, ...
bench: prepare
	$(TSX) bench/run.ts

clean-cache:
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/ecs-operator"
