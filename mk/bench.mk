# Benchmarks (issue 8): our registry service side by side with the CNCF registry, the
# provider's `pulumi up/preview/destroy` as N grows, and the scanner on a Debian image.
#
#   make bench                 full run (1 GiB blobs, N up to 50); bounded by BENCH_TIMEOUT
#   make bench BENCH_QUICK=1   smoke-sized run (small blobs, short load, N up to 3)
#
# Results: bench/results/latest.md (the table) and bench/results/latest.json (everything).
# Scratch data goes to a temporary directory; the Debian image is cached in bench/.cache.

# Only the benchmarks need these (bcrypt entries for the reference registry's htpasswd file,
# py-spy to profile the service); pinned here until they join pyproject's extras.
BENCH_PY_DEPS := bcrypt==5.0.0 py-spy==0.4.3
BENCH_TIMEOUT ?= 3600
BENCH_QUICK ?=
# Extra arguments for bench/run.py, e.g. BENCH_ARGS='--parts data --out /tmp/results'
BENCH_ARGS ?=

# The quick benchmark runs as a test (tests/bench), so its Python dependencies come first.
TEST_PREREQS += bench-deps

.PHONY: bench bench-deps

bench-deps: venv
	@"$(VENV_BIN)/python" -m pip install --quiet --disable-pip-version-check $(BENCH_PY_DEPS)

bench: deps tools venv bench-deps
	cd "$(REPO_ROOT)" && PATH="$(TOOLS_BIN):$(VENV_BIN):$$PATH" BENCH_QUICK="$(BENCH_QUICK)" \
	  timeout --signal=INT --kill-after=60 $(BENCH_TIMEOUT) \
	  "$(VENV_BIN)/python" -m bench.run $(BENCH_ARGS)
