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
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json package.json app/package.json operator/package.json monitoring/package.json
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
# Built once from Go modules (hack/kubernetes/, hack/envtest/etcd/) into
# ~/.local/share/kubebuilder-envtest/, or taken from KUBEBUILDER_ASSETS; see docs/testing.md.
.PHONY: envtest-assets
envtest-assets: ## build once (or locate) the kube-apiserver and etcd the tests run
	@hack/envtest-assets.sh

# The local cluster's other binaries (kubelet, controller-manager, scheduler, kube-proxy,
# kubectl, CoreDNS, pause), built once into ~/.local/share/notejam-local-cluster/.
.PHONY: local-cluster-binaries
local-cluster-binaries: ## build once (or locate) the local cluster's node and controller binaries
	@hack/local-cluster/binaries.sh

# --- Deployment lifecycle (operator/src/registry/): a real OCI registry for the tests ---
# CNCF distribution's `registry` is built once from its Go module into
# ~/.cache/notejam/oci-registry/ (hack/oci-registry.sh); the image-resolution tests run it.
.PHONY: oci-registry
oci-registry: ## build once (or reuse) the OCI distribution registry the operator tests run
	@hack/oci-registry.sh >/dev/null

# --- Infrastructure (terraform/): offline validation --------------------------------------
# Providers are built once from their Go modules into ~/.cache/notejam/terraform-providers
# (hack/terraform-providers.sh); no registry is contacted.
.PHONY: terraform-providers
terraform-providers: ## build once the Terraform providers terraform/ uses
	@hack/terraform-providers.sh >/dev/null

.PHONY: terraform-lock
terraform-lock: ## rewrite the roots' provider lock files from the locally built providers
	hack/terraform-lock.sh

.PHONY: terraform-check
terraform-check: ## terraform fmt -check, validate every module and root, terraform test (mock providers)
	hack/terraform-check.sh

.PHONY: test
test: install mariadb chromium envtest-assets oci-registry delivery-tools monitoring-tools terraform-check ## the whole test suite (sets up everything it needs)
	npm run lint
	npm run build
	npm test
	$(MAKE) local-cluster-e2e
	$(MAKE) local-cluster-gitops-e2e

# --- Monitoring: dashboards and alert rules (config/monitoring, tested in monitoring/) -------
# promtool (Prometheus' rule checker and unit-test runner) and amtool (Alertmanager's
# configuration checker) are built once from the Go module proxy into ~/.cache/notejam/tools
# by hack/monitoring-tools.sh.
.PHONY: monitoring-tools
monitoring-tools: ## build once (or reuse) promtool and amtool for the alerting tests
	@hack/monitoring-tools.sh promtool >/dev/null
	@hack/monitoring-tools.sh amtool >/dev/null

.PHONY: monitoring-test
monitoring-test: install monitoring-tools envtest-assets ## promtool rule tests, dashboards, metrics consistency with the app and operator
	npm run build
	npm test -w monitoring

.PHONY: dashboards
dashboards: install ## regenerate the Grafana JSON in config/monitoring/dashboards from monitoring/src/dashboards
	npm run generate -w monitoring

# --- Delivery: images, Helm chart, kustomize, Argo CD, CI workflows, kind ---------------
# helm, actionlint and gopher-lua (Argo CD's Lua VM) are built once from the Go module
# proxy into ~/.cache/notejam/tools; Argo CD's and the prometheus-operator's CRDs come from
# their Go modules. The delivery tests (operator/test/delivery/) use them.
.PHONY: delivery-tools
delivery-tools: ## build once (or reuse) helm, actionlint, glua and the third-party CRDs
	@hack/delivery-tools.sh all >/dev/null

# The kind workflow needs Docker and is not part of `make test` (README, "Deploying on kind").
KIND_CLUSTER ?= notejam
CONTAINER_TOOL ?= docker
RELEASE := $(shell tr -d ' \n' < VERSION)
APP_IMAGES := notejam:dev notejam:v$(RELEASE)-test notejam:v$(RELEASE)
OPERATOR_IMAGE := notejam-operator:dev
# The "new release" the end-to-end suite rolls out: the app image under another tag.
E2E_NEXT_IMAGE ?= notejam:e2e-next
# The release plus a migration that fails (operator/test/e2e/images/failing-migration/).
E2E_BROKEN_IMAGE ?= notejam:e2e-failing-migration
# kind's default service CIDR: make kind-up routes it from this host through the
# control-plane node's kube-proxy, so the e2e suite reaches Services by ClusterIP (Linux).
KIND_SERVICE_CIDR := 10.96.0.0/16
KIND_CONTROL_PLANE_IP = $$($(CONTAINER_TOOL) inspect -f '{{.NetworkSettings.Networks.kind.IPAddress}}' $(KIND_CLUSTER)-control-plane)

.PHONY: kind-up
kind-up: ## create a 3-node kind cluster, one node per zone (hack/kind/cluster.yaml); route its Services here (sudo)
	"$$(hack/delivery-tools.sh kind)" create cluster --name $(KIND_CLUSTER) --config hack/kind/cluster.yaml --wait 3m
	kubectl --context kind-$(KIND_CLUSTER) taint node $(KIND_CLUSTER)-control-plane node-role.kubernetes.io/control-plane:NoSchedule-
	sudo ip route replace $(KIND_SERVICE_CIDR) via "$(KIND_CONTROL_PLANE_IP)"

.PHONY: images
images: ## build the app image (tagged dev, v<VERSION>-test, v<VERSION>, e2e-next), the e2e failing-migration image and the operator image
	$(CONTAINER_TOOL) build -f Dockerfile.app --build-arg NODE_VERSION=$$(cat .nvmrc) \
	  $(foreach image,$(APP_IMAGES) $(E2E_NEXT_IMAGE),-t $(image)) .
	$(CONTAINER_TOOL) build --build-arg BASE=$(E2E_NEXT_IMAGE) -t $(E2E_BROKEN_IMAGE) \
	  operator/test/e2e/images/failing-migration
	$(CONTAINER_TOOL) build -f Dockerfile.operator --build-arg NODE_VERSION=$$(cat .nvmrc) -t $(OPERATOR_IMAGE) .

.PHONY: kind-load
kind-load: ## load the images into the kind cluster's nodes
	"$$(hack/delivery-tools.sh kind)" load docker-image --name $(KIND_CLUSTER) $(APP_IMAGES) $(E2E_NEXT_IMAGE) $(E2E_BROKEN_IMAGE) $(OPERATOR_IMAGE)

# While the local cluster is up, deploy and e2e target it and its registry (cluster.env,
# written by hack/local-cluster/up.sh); otherwise the current kube context (kind).
LOCAL_CLUSTER_ENV := /var/lib/notejam-local-cluster/cluster.env
WITH_CLUSTER_ENV := if [ -f $(LOCAL_CLUSTER_ENV) ]; then source $(LOCAL_CLUSTER_ENV); fi;

# On the local cluster the images are rebuilt first (seconds when nothing changed): a
# changed app image is a new digest behind the same tag, which the operator rolls out.
.PHONY: deploy
deploy: ## operator + MariaDB + the three environments on the local cluster, else the current kube context
	$(WITH_CLUSTER_ENV) if [ -n "$${IMAGE_REGISTRY:-}" ]; then hack/local-cluster/images.sh "$$IMAGE_REGISTRY"; fi
	$(WITH_CLUSTER_ENV) OPERATOR_IMAGE=$${OPERATOR_IMAGE:-$(OPERATOR_IMAGE)} hack/kind/deploy.sh

.PHONY: e2e
e2e: install deploy ## end-to-end suite (deploys first) on the local cluster, else the current kube context
	$(WITH_CLUSTER_ENV) cd operator && E2E_NEXT_IMAGE=$${E2E_NEXT_IMAGE:-$(E2E_NEXT_IMAGE)} \
	  E2E_BROKEN_IMAGE=$${E2E_BROKEN_IMAGE:-$(E2E_BROKEN_IMAGE)} \
	  node --experimental-vm-modules ../node_modules/jest/bin/jest.js --config jest.e2e.config.js --runInBand

.PHONY: kind-down
kind-down: ## delete the kind cluster and the route to its Services
	if ip=$(KIND_CONTROL_PLANE_IP) && ip route show $(KIND_SERVICE_CIDR) | grep -q "via $$ip "; then \
	  sudo ip route del $(KIND_SERVICE_CIDR) via "$$ip"; fi
	"$$(hack/delivery-tools.sh kind)" delete cluster --name $(KIND_CLUSTER)

# --- A local cluster without Docker (issue 10): hack/local-cluster/, needs root -------------
# Kubernetes 1.35 components from the Go module proxy, Debian's containerd + runc, images
# built from the Dockerfiles by buildah into a registry on the node address; see README,
# "A local cluster without Docker". `make local-cluster-up && make e2e && make local-cluster-down`.
.PHONY: local-cluster-up
local-cluster-up: ## start the cluster here (containerd, no Docker; LOCAL_CLUSTER_NODES=1-3 nodes, one per zone); prints the kubeconfig
	@hack/local-cluster/up.sh

.PHONY: local-cluster-down
local-cluster-down: ## remove the local cluster completely and check nothing is left
	@hack/local-cluster/down.sh

# The last step of `make test`: the whole round trip, removing the cluster even when a
# step fails (the failure's own report comes first; docs/testing.md has the durations).
.PHONY: local-cluster-e2e
local-cluster-e2e: ## local-cluster-up, e2e and local-cluster-down in one go (down even on failure)
	@hack/local-cluster/up.sh >/dev/null || { hack/local-cluster/down.sh; exit 1; }
	@status=0; $(MAKE) e2e || status=$$?; \
	  hack/local-cluster/down.sh || { [ $$status -ne 0 ] || status=1; }; exit $$status

# The local cluster's MariaDB image (hack/local-cluster/mariadb/): its entrypoint and
# healthcheck run for real from a throwaway root in namespaces, without building the image.
.PHONY: local-cluster-mariadb-test
local-cluster-mariadb-test: ## test the MariaDB image's entrypoint and healthcheck here (root, 10-20 s)
	@hack/local-cluster/mariadb/test.sh

# The images the local cluster runs, built from the Dockerfiles by buildah (no Docker) and
# pushed to its registry. local-cluster-up builds them too; this rebuilds after a change.
.PHONY: local-cluster-images
local-cluster-images: ## build the images with buildah and push them to REGISTRY (default 10.250.0.1:5000)
	@hack/local-cluster/images.sh

# --- Resilience on three zones (issue 16): README "Resilience on three zones" -------------
# Prometheus and the Prometheus Operator from their Go modules on the running local cluster,
# with config/monitoring as it is (hack/local-cluster/monitoring.sh).
.PHONY: local-cluster-monitoring
local-cluster-monitoring: ## Prometheus and its operator on the running local cluster, with config/monitoring
	@hack/local-cluster/monitoring.sh >/dev/null

# A 4x peak, a zone lost, a node drained, the operator's leader killed and the alerts, under
# recorded load; curves into docs/benchmarks/resilience/. Needs three zones:
# `LOCAL_CLUSTER_NODES=3 make local-cluster-up && make resilience-e2e && make local-cluster-down`.
.PHONY: resilience-e2e
resilience-e2e: install ## the resilience suite on a three-zone local cluster (monitoring and deploy first)
	@$(WITH_CLUSTER_ENV) zones=$$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.labels.topology\.kubernetes\.io/zone}{"\n"}{end}' 2>/dev/null | sort -u | grep -c . || true); \
	  if [ "$${zones:-0}" -lt 3 ]; then \
	    echo "resilience-e2e: needs a cluster with nodes in three zones, this one has $${zones:-0}: LOCAL_CLUSTER_NODES=3 make local-cluster-up" >&2; exit 1; fi
	hack/local-cluster/monitoring.sh >/dev/null
	$(MAKE) deploy
	$(WITH_CLUSTER_ENV) cd operator && E2E_BROKEN_IMAGE=$${E2E_BROKEN_IMAGE:-$(E2E_BROKEN_IMAGE)} \
	  node --experimental-vm-modules ../node_modules/jest/bin/jest.js --config jest.resilience.config.js --runInBand

# --- GitOps on the local cluster (issue 15): Argo CD, a git server, the delivery pipeline ----
# Argo CD built once from its Go module (hack/argocd/), run as pods from its own manifests;
# a git server on the node address holding this repository's HEAD as dev, test and prod;
# the pipeline of CI (hack/gitops/pipeline.sh). See README, "GitOps on the local cluster".
# `make local-cluster-up && make gitops-e2e && make local-cluster-down`.
GITOPS_ENV := /var/lib/notejam-local-cluster/gitops.env

.PHONY: argocd-binary
argocd-binary: ## build once (or locate) Argo CD's binary and the kustomize its repo-server runs
	@hack/argocd/build.sh

.PHONY: gitops-up
gitops-up: ## Argo CD, a git server holding this repository (dev, test, prod) and MariaDB on the local cluster
	@hack/gitops/up.sh

.PHONY: gitops-e2e
gitops-e2e: install delivery-tools gitops-up ## GitOps end-to-end suite on the local cluster (sets up Argo CD and the git server first)
	$(WITH_CLUSTER_ENV) source $(GITOPS_ENV); cd operator && \
	  node --experimental-vm-modules ../node_modules/jest/bin/jest.js --config jest.gitops.config.js --runInBand

# As local-cluster-e2e, for the GitOps suite: its own cluster, removed even when a step fails.
.PHONY: local-cluster-gitops-e2e
local-cluster-gitops-e2e: ## local-cluster-up, gitops-e2e and local-cluster-down in one go (down even on failure)
	@hack/local-cluster/up.sh >/dev/null || { hack/local-cluster/down.sh; exit 1; }
	@status=0; $(MAKE) gitops-e2e || status=$$?; \
	  hack/local-cluster/down.sh || { [ $$status -ne 0 ] || status=1; }; exit $$status

# --- Operator (issue 4) -------------------------------------------------------------------
.PHONY: bench-operator
bench-operator: build envtest-assets mariadb ## operator benchmark on the test control plane (results: docs/benchmarks.md)
	node --experimental-transform-types --import ./bench/operator/ts-hooks.mjs bench/operator/operator-bench.mts

# --- App speed (issue 8) -----------------------------------------------------------------
# Run by hand on a machine as quiet as you can get, never in `make test`. Load comes from
# Debian's wrk (bench/app/wrk.sh installs it), on loopback only; see docs/benchmarks.md.
.PHONY: bench-app
bench-app: install mariadb ## app benchmark: req/s, p50/p99 and memory of three pages on SQLite and MariaDB
	@bench/app/wrk.sh
	npm run build -w app
	node bench/app/app-bench.mts

.PHONY: bench-export
bench-export: install mariadb ## export/import benchmark: 1,000,000 notes SQLite -> MariaDB -> SQLite, throughput and peak RSS
	npm run build -w app
	node bench/app/export-import-bench.mts
