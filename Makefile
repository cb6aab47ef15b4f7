# Notejam platform: one entry point for developers and CI.
# Every target sets up what it needs on a fresh machine (Node.js 24, npm packages, ...).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Node.js 24 from .nvmrc, installed into ~/.cache/notejam when the system one is older.
NODE_BIN := $(shell hack/node-env.sh)
export PATH := $(NODE_BIN):$(PATH)
export npm_config_nodedir := $(abspath $(NODE_BIN)/..)

# The MariaDB server the test suites use (started by `make mariadb`).
export TEST_MYSQL_URL ?= mysql://notejam:notejam@127.0.0.1:3306

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json package.json app/package.json operator/package.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: install
install: node_modules/.package-lock.json ## install npm packages (npm ci)

.PHONY: build
build: install ## compile every workspace
	npm run build

.PHONY: run
run: build ## start the app on SQLite at http://localhost:3000 (migrates first)
	node app/dist/cli.js migrate
	node app/dist/cli.js serve

.PHONY: lint
lint: install ## ESLint and Prettier
	npm run lint

.PHONY: format
format: install ## rewrite files with Prettier and ESLint fixes
	npm run format

.PHONY: mariadb
mariadb: ## install and start the MariaDB server the tests use (127.0.0.1:3306)
	hack/mariadb.sh

.PHONY: chromium
chromium: ## install Debian's chromium for the browser tests
	hack/chromium.sh

# --- Operator API (operator/src/api/v1alpha1/): the CRD and docs/api.md are generated ----
# The three CRD copies and docs/api.md come from the TypeScript schema; a unit test fails
# when a committed copy is stale.
.PHONY: generate
generate: install ## regenerate the NotejamInstance CRD copies and docs/api.md from the TypeScript API
	npm run generate -w operator

# --- Test control plane (operator integration tests): kube-apiserver + etcd -------------
# Built once from Go modules (hack/envtest/) into ~/.local/share/kubebuilder-envtest/, or
# taken from KUBEBUILDER_ASSETS; see docs/testing.md.
.PHONY: envtest-assets
envtest-assets: ## build once (or locate) the kube-apiserver and etcd the tests run
	@hack/envtest-assets.sh

# --- Deployment lifecycle (operator/src/registry/): a real OCI registry for the tests ---
# CNCF distribution's `registry` is built once from its Go module into
# ~/.cache/notejam/oci-registry/ (hack/oci-registry.sh); the image-resolution tests run it.
.PHONY: oci-registry
oci-registry: ## build once (or reuse) the OCI distribution registry the operator tests run
	@hack/oci-registry.sh >/dev/null

.PHONY: test
test: install mariadb chromium envtest-assets oci-registry ## the whole test suite (sets up everything it needs)
	npm run lint
	npm run build
	npm test
