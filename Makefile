# Front door for building, testing and running pulumi-cloudraya.
#
#   make demo   start the bundled service and `pulumi up` the example (mk/provider.mk)
#   make test   build every tool, install every dependency, run the whole test suite
#
# Each area keeps its targets in its own file under mk/; they are all included
# below. Files that need something built before the tests run append it to
# TEST_PREREQS (e.g. `TEST_PREREQS += sdk`).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

REPO_ROOT := $(CURDIR)
TOOLS_BIN := $(REPO_ROOT)/.tools/bin
VENV := $(REPO_ROOT)/.venv
VENV_BIN := $(VENV)/bin
ARTIFACTS := $(REPO_ROOT)/test-artifacts

# The project's one version: pyproject.toml's [project] version. The plugin tarball, the SDK
# packages, the image tag and schema.json (checked by `make dist`) all follow it.
VERSION := $(shell python3 -c 'import tomllib; print(tomllib.load(open("$(REPO_ROOT)/pyproject.toml", "rb"))["project"]["version"])')

TEST_PREREQS := deps tools venv

# Hermetic Pulumi environment for recipes: `$(PULUMI_ENV) pulumi up ...`. Nothing
# reads or writes ~/.pulumi; state lives under $(PULUMI_STATE) (git-ignored),
# which the `pulumi-state` target creates. Override PULUMI_STATE per target.
PULUMI_STATE ?= $(REPO_ROOT)/.pulumi-state
PULUMI_CONFIG_PASSPHRASE ?= cloudraya-local
PULUMI_ENV = PATH="$(TOOLS_BIN):$(VENV_BIN):$$PATH" \
	PULUMI_HOME="$(PULUMI_STATE)/home" \
	PULUMI_BACKEND_URL="file://$(PULUMI_STATE)/backend" \
	PULUMI_CONFIG_PASSPHRASE="$(PULUMI_CONFIG_PASSPHRASE)" \
	PULUMI_SKIP_UPDATE_CHECK=true \
	PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
	PULUMI_PYTHON_CMD="$(VENV_BIN)/python"

include $(sort $(wildcard mk/*.mk))

# Extra pytest arguments, e.g. `make test PYTEST_ARGS='-k smoke -x'`.
PYTEST_ARGS ?=

.PHONY: help test lint clean pulumi-state

pulumi-state:
	@mkdir -p "$(PULUMI_STATE)/home" "$(PULUMI_STATE)/backend"

help:
	@echo "make demo    start the bundled registry service and deploy the example stacks"
	@echo "make demo-ha the same over PostgreSQL, SeaweedFS (S3), 3 replicas and HAProxy"
	@echo "make test    build tools, install dependencies and run the test suite"
	@echo "make tools   build the pinned Pulumi CLI, language hosts and OCI tools into .tools/bin"
	@echo "make deps    install the Debian packages the tests need (when missing)"
	@echo "make venv    create .venv and install the project with its test extras"
	@echo "make dist    build the release artifacts of version $(VERSION) into dist/"
	@echo "make lint    ruff check and ruff format --check"
	@echo "make clean   remove build and test outputs (keeps the tool cache)"

# Tests build their own hermetic Pulumi workspaces; anything else lands in test-artifacts/.
test: PULUMI_STATE = $(ARTIFACTS)/pulumi
test: $(TEST_PREREQS) pulumi-state
	@echo "test: running pytest (junit report: test-artifacts/junit.xml)"
	$(PULUMI_ENV) TEST_ARTIFACTS="$(ARTIFACTS)" \
	  "$(VENV_BIN)/pytest" --junitxml="$(ARTIFACTS)/junit.xml" \
	  -o cache_dir="$(ARTIFACTS)/.pytest_cache" $(PYTEST_ARGS)

lint: venv
	"$(VENV_BIN)/ruff" check .
	"$(VENV_BIN)/ruff" format --check .

clean:
	rm -rf .tools .venv test-artifacts .pytest_cache .ruff_cache .pulumi-state build dist
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
