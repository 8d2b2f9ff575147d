# Debian packages the tests need, installed non-interactively when missing.
#
# skopeo/podman (+crun, conmon, containers-common for root builds with
# --storage-driver vfs; runc runs the service image, crun refuses these machines' cgroups),
# containerd (the CRI image service crictl pulls through, as a kubelet does), postgresql
# (server binaries for throwaway test servers), debootstrap (real Debian root filesystems and
# the service image's base), wrk (load tests), chromium (UI tests through Playwright), curl
# (the demo's health poll), haproxy (the load balancer in front of several replicas: tests,
# make demo-ha, benchmarks), iproute2 (ss: which replica is receiving a push), libnss-myhostname
# (resolves <name>.localhost to loopback: the per-registry hosts of host-style endpoints, offline).
#
# `make deps` asks dpkg which of DEB_PACKAGES are absent and only then runs
# `apt-get update` and `apt-get install`. CI runs as root; elsewhere sudo is
# used when available. Other mk files may append: `DEB_PACKAGES += foo`.

DEB_PACKAGES += \
	skopeo \
	podman \
	crun \
	runc \
	conmon \
	containerd \
	golang-github-containers-common \
	postgresql \
	debootstrap \
	chromium \
	wrk \
	haproxy \
	iproute2 \
	libnss-myhostname \
	python3-venv \
	git \
	curl \
	ca-certificates

# Node.js and npm build the Node SDK and the TypeScript example. Machines that already have
# them (from any source) keep theirs; elsewhere Debian's packages provide them.
ifeq ($(shell command -v npm),)
DEB_PACKAGES += nodejs npm
endif

.PHONY: deps
deps:
	@missing=""; \
	for pkg in $(sort $(DEB_PACKAGES)); do \
	  dpkg-query -W -f='$${Status}\n' "$$pkg" 2>/dev/null | grep -q '^install ok installed$$' \
	    || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then \
	  echo "deps: all Debian packages present ($(words $(sort $(DEB_PACKAGES))) checked)"; \
	  exit 0; \
	fi; \
	sudo=""; \
	if [ "$$(id -u)" != 0 ]; then \
	  command -v sudo >/dev/null || { echo "deps: missing:$$missing; run 'make deps' as root" >&2; exit 1; }; \
	  sudo="sudo"; \
	fi; \
	echo "deps: installing missing Debian packages:$$missing"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q \
	  && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing
