# The two commands a newcomer needs: `make demo` and `make test`. Each installs what it needs;
# heavy artefacts are cached under $${XDG_CACHE_HOME:-$$HOME/.cache}/ecs-operator/.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
TSX := node --import tsx

.PHONY: help deps prepare lint typecheck test test-unit test-motion test-integration test-reliability demo build crds clean-cache bench image-check

help:
	@echo "make demo   start the local stack (kube-apiserver + etcd, moto) and show it"
	@echo "make test   lint, type check, unit and integration tests"
	@echo "make test-reliability   the long reliability scenarios (docs/reliability.md)"
	@echo "make image-check   build the container image and run it against the local stack (needs root)"

# Install only when package.json or the lock changed since the last install. `npm ci` installs
# exactly the committed lock and never rewrites it (npm 10 and 11; the lock records every
# platform's optional packages, which npm 11 requires: test/unit/lockfile.test.ts).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
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

# Every generated file: the CRDs (and the chart's copy), Argo CD's config, the Grafana dashboard.
crds: deps
	$(TSX) scripts/gen-crds.ts
	$(TSX) scripts/gen-argocd.ts
	$(TSX) scripts/gen-dashboard.ts

build: deps
	npx tsc -p tsconfig.build.json

demo: prepare
	$(TSX) scripts/demo.ts

# The operator's cost in AWS calls, latency and memory (bench/README.md); BENCH_N, BENCH_RUNS, ...
bench: prepare
	$(TSX) bench/run.ts

# The container image, built and run read-only as UID 65532 against the local stack; needs root
# and a Docker engine (Debian's is started if none answers). Not part of `make test`: CI has no
# Docker engine. See scripts/image-check.sh.
image-check: prepare
	scripts/image-check.sh

clean-cache:
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/ecs-operator"
