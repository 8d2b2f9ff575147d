# Release artifacts (issue 15), all of version $(VERSION) from pyproject.toml, into dist/:
#
#   make dist          everything below
#   make dist-wheel    cloudraya-<v>-py3-none-any.whl: the service and the provider, with
#                      their commands cloudraya-registry and pulumi-resource-cloudraya
#   make dist-plugin   pulumi-resource-cloudraya-v<v>-linux-amd64.tar.gz: the provider bundled
#                      with its own Python (PyInstaller, one directory): it needs no Python,
#                      pip or network where it runs. `pulumi plugin install ... --file` takes it.
#   make dist-sdks     pulumi_cloudraya-<v> wheel and sdist, cloudraya-pulumi-cloudraya-<v>.tgz
#                      (npm pack) and pulumi-cloudraya-sdk-go-v<v>/ (a Go module directory for
#                      a `replace`)
#   make dist-image    cloudraya-registry-<v>.oci.tar, the service as an OCI image (needs root)
#
# Work trees live in build/dist. The image's Debian base is built once and cached with the
# tools (tools/ensure-tool); the rest is rebuilt when its sources change.

DIST := $(REPO_ROOT)/dist
# The tests install and run what users get: the plugin, the SDK packages, the image.
TEST_PREREQS += dist dist-consumers
DIST_BUILD := $(REPO_ROOT)/build/dist
DIST_VENV := $(DIST_BUILD)/venv

DIST_WHEEL := $(DIST)/cloudraya-$(VERSION)-py3-none-any.whl
DIST_PLUGIN := $(DIST)/pulumi-resource-cloudraya-v$(VERSION)-linux-amd64.tar.gz
DIST_SDK_PYTHON := $(DIST)/pulumi_cloudraya-$(VERSION)-py3-none-any.whl
DIST_SDK_NODEJS := $(DIST)/cloudraya-pulumi-cloudraya-$(VERSION).tgz
DIST_SDK_GO := $(DIST)/pulumi-cloudraya-sdk-go-v$(VERSION)
DIST_IMAGE := $(DIST)/cloudraya-registry-$(VERSION).oci.tar
IMAGE_NAME := localhost/cloudraya-registry:$(VERSION)

# Files whose change rebuilds an artifact (make compares times; `find` sees new files too).
# Left out: what builds and installs write beside the sources (pip's *.egg-info, tsc's bin/).
sources-under = $(shell find $(1) -type f -not -path '*/__pycache__/*' -not -path '*/node_modules/*' \
	-not -path '*/bin/*' -not -name '*.pyc' -not -path '*.egg-info*' 2>/dev/null)
PROJECT_SOURCES := $(REPO_ROOT)/pyproject.toml $(REPO_ROOT)/README.md \
	$(call sources-under,$(REPO_ROOT)/provider $(REPO_ROOT)/service)

.PHONY: dist dist-wheel dist-plugin dist-sdks dist-sdk-nodejs dist-image dist-version-check image-base

dist: dist-wheel dist-plugin dist-sdks dist-image
	@echo "dist: version $(VERSION) in dist/"; ls -1 "$(DIST)" | sed 's/^/  /'

# schema.json's version names the SDK packages and the plugin the SDKs ask the engine for.
dist-version-check:
	@schema="$$(python3 -c 'import json; print(json.load(open("$(REPO_ROOT)/schema.json"))["version"])')"; \
	if [ "$$schema" != "$(VERSION)" ]; then \
	  echo "dist: schema.json has version $$schema, pyproject.toml $(VERSION): the version comes" \
	    "from pyproject.toml; bring schema.json to it, then run 'make sdk'" >&2; \
	  exit 1; \
	fi

dist-wheel: $(DIST_WHEEL)
$(DIST_WHEEL): $(PROJECT_SOURCES) | venv
	@mkdir -p "$(DIST)"
	"$(VENV_BIN)/pip" wheel --quiet --disable-pip-version-check --no-deps -w "$(DIST)" "$(REPO_ROOT)"
	@test -f "$@" || { echo "dist: pip wheel did not write $@" >&2; exit 1; }

# The build virtualenv: the wheel's dependencies plus the packaging tools (pyproject's `dist`
# extra). Re-created when pyproject.toml changes; the wheel itself is re-installed per build.
DIST_VENV_STAMP := $(DIST_VENV)/.installed-$(shell sha256sum $(REPO_ROOT)/pyproject.toml | cut -c1-16)
$(DIST_VENV_STAMP): | $(DIST_WHEEL)
	@rm -rf "$(DIST_VENV)" && python3 -m venv "$(DIST_VENV)"
	"$(DIST_VENV)/bin/pip" install --quiet --disable-pip-version-check "$(DIST_WHEEL)[dist]"
	@touch "$@"

dist-plugin: $(DIST_PLUGIN)
$(DIST_PLUGIN): $(DIST_WHEEL) $(DIST_VENV_STAMP) $(REPO_ROOT)/packaging/plugin/entry.py
	"$(DIST_VENV)/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall "$(DIST_WHEEL)"
	@rm -rf "$(DIST_BUILD)/plugin"
	@# The protocol stubs are loaded by path (cloudraya_provider/protocol.py): collect them;
	@# its version is the distribution's metadata; zstandard is only httpx's optional decoder.
	"$(DIST_VENV)/bin/pyinstaller" --noconfirm --log-level WARN --onedir \
	  --name pulumi-resource-cloudraya --distpath "$(DIST_BUILD)/plugin/out" \
	  --workpath "$(DIST_BUILD)/plugin/work" --specpath "$(DIST_BUILD)/plugin" \
	  --collect-data cloudraya_provider --collect-submodules pulumi.runtime.proto \
	  --copy-metadata cloudraya --exclude-module zstandard "$(REPO_ROOT)/packaging/plugin/entry.py"
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	  -C "$(DIST_BUILD)/plugin/out/pulumi-resource-cloudraya" -cf - . | gzip -n > "$@.tmp"
	@mv -f "$@.tmp" "$@"
	@echo "dist: $@ ($$(du -h "$@" | cut -f1))"

dist-sdks: $(DIST_SDK_PYTHON) dist-sdk-nodejs $(DIST_SDK_GO)

# Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
$(DIST_SDK_PYTHON): $(call sources-under,$(REPO_ROOT)/sdk/python) $(DIST_VENV_STAMP) | dist-version-check
	@rm -rf "$(DIST_BUILD)/sdk-python" && mkdir -p "$(DIST_BUILD)" \
	  && cp -r "$(REPO_ROOT)/sdk/python" "$(DIST_BUILD)/sdk-python"
	"$(DIST_VENV)/bin/python" -m build --outdir "$(DIST)" "$(DIST_BUILD)/sdk-python" > "$(DIST_BUILD)/sdk-python.log" 2>&1 \
	  || { tail -30 "$(DIST_BUILD)/sdk-python.log" >&2; exit 1; }
	@test -f "$@" || { echo "dist: python -m build did not write $@" >&2; exit 1; }

# `npm pack` of bin/, the compiled package with its package.json (make sdk-nodejs-build).
dist-sdk-nodejs: $(DIST_SDK_NODEJS)
$(DIST_SDK_NODEJS): $(call sources-under,$(REPO_ROOT)/sdk/nodejs) | sdk-nodejs-build dist-version-check
	@mkdir -p "$(DIST)"
	cd "$(DIST)" && npm pack --quiet "$(REPO_ROOT)/sdk/nodejs/bin" >/dev/null
	@test -f "$@" || { echo "dist: npm pack did not write $@" >&2; exit 1; }

# The Go SDK's module path has no dot in its first element, so no module proxy can serve it:
# users point a `replace` at this directory (docs/installing.md).
$(DIST_SDK_GO): $(call sources-under,$(REPO_ROOT)/sdk/go) | dist-version-check
	@rm -rf "$@" && mkdir -p "$(DIST)" && cp -r "$(REPO_ROOT)/sdk/go" "$@"
	@echo "dist: $@"

# --- the service image ---------------------------------------------------------------------

IMAGE_BUILD := $(DIST_BUILD)/image
IMAGE_SRC := $(REPO_ROOT)/packaging/image
DEBIAN_RELEASE := $(shell . /etc/os-release && echo "$$VERSION_CODENAME")

dist-image: $(DIST_IMAGE)

# The Debian base layer: debootstrap takes minutes, so it is cached outside the tree like a tool.
image-base:
	@$(TOOLS_DIR)/ensure-tool --name cloudraya-image-base.tar --version $(DEBIAN_RELEASE) \
	  --bin-dir "$(IMAGE_BUILD)" --src packaging/image/base-rootfs.sh --src packaging/image/debian-mirror.sh -- \
	  'packaging/image/base-rootfs.sh "$$OUT"'

$(DIST_IMAGE): $(DIST_WHEEL) $(DIST_VENV_STAMP) $(wildcard $(IMAGE_SRC)/*) | image-base
	@rm -rf "$(IMAGE_BUILD)/wheelhouse" "$(IMAGE_BUILD)/context" && mkdir -p "$(IMAGE_BUILD)/context"
	"$(DIST_VENV)/bin/pip" wheel --quiet --disable-pip-version-check -w "$(IMAGE_BUILD)/wheelhouse" "$(DIST_WHEEL)"
	ln "$(IMAGE_BUILD)/cloudraya-image-base.tar" "$(IMAGE_BUILD)/context/base.tar"
	"$(IMAGE_SRC)/app-layer.sh" "$(IMAGE_BUILD)/context/base.tar" "$(IMAGE_BUILD)/wheelhouse" "$(IMAGE_BUILD)/context/app.tar"
	@# A private podman store (vfs works as root anywhere); podman wants a short runroot.
	@runroot="$$(mktemp -d /tmp/podrun-XXXXXX)"; store="$(IMAGE_BUILD)/storage"; \
	podman=(podman --root "$$store" --runroot "$$runroot" --storage-driver vfs --events-backend file); \
	trap '"$${podman[@]}" rmi --all --force >/dev/null 2>&1 || true; rm -rf "$$runroot" "$$store"' EXIT; \
	"$${podman[@]}" build --quiet --build-arg VERSION=$(VERSION) -t $(IMAGE_NAME) \
	  -f "$(IMAGE_SRC)/Containerfile" "$(IMAGE_BUILD)/context" >/dev/null; \
	rm -f "$@.tmp"; "$${podman[@]}" save --quiet --format oci-archive -o "$@.tmp" $(IMAGE_NAME)
	@mv -f "$@.tmp" "$@"
	@rm -rf "$(IMAGE_BUILD)/context" "$(IMAGE_BUILD)/wheelhouse"
	@echo "dist: $@ ($$(du -h "$@" | cut -f1))"

# --- the SDKs as users install them: what the examples' tests run on ----------------------------

# A fresh virtualenv with the Python SDK's wheel from dist/ and the Python examples'
# requirements.txt: the interpreter of every Python program the tests deploy.
PYTHON_ENV := $(DIST_BUILD)/python-env
PYTHON_EXAMPLE_REQUIREMENTS := $(wildcard $(REPO_ROOT)/examples/*/requirements.txt)
# A fresh node_modules with the Node.js SDK's tarball from dist/ and the TypeScript example's
# other dependencies (its package.json with the SDK entry pointing at the tarball).
NODE_ENV := $(DIST_BUILD)/node-env
NODE_EXAMPLE := $(REPO_ROOT)/examples/environments-typescript

.PHONY: dist-consumers
dist-consumers: $(PYTHON_ENV)/.installed $(NODE_ENV)/.installed

$(PYTHON_ENV)/.installed: $(DIST_SDK_PYTHON) $(PYTHON_EXAMPLE_REQUIREMENTS)
	@rm -rf "$(PYTHON_ENV)" && python3 -m venv "$(PYTHON_ENV)"
	"$(PYTHON_ENV)/bin/pip" install --quiet --disable-pip-version-check "$(DIST_SDK_PYTHON)" \
	  $(addprefix -r ,$(PYTHON_EXAMPLE_REQUIREMENTS))
	@touch "$@"

$(NODE_ENV)/.installed: $(DIST_SDK_NODEJS) $(NODE_EXAMPLE)/package.json
	@rm -rf "$(NODE_ENV)" && mkdir -p "$(NODE_ENV)"
	python3 -c 'import json, sys; p = json.load(open(sys.argv[1])); \
	  p["dependencies"]["@cloudraya/pulumi-cloudraya"] = "file:" + sys.argv[2]; \
	  json.dump(p, open(sys.argv[3], "w"), indent=2)' \
	  "$(NODE_EXAMPLE)/package.json" "$(DIST_SDK_NODEJS)" "$(NODE_ENV)/package.json"
	cd "$(NODE_ENV)" && npm install --no-audit --no-fund --loglevel=error >/dev/null
	@touch "$@"
