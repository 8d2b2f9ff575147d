# Benchmarks (issue 8): our registry service side by side with the CNCF registry, the
# provider's `pulumi up/preview/destroy` as N grows, and the scanner on a Debian image.
#
#   make bench                 full run (1 GiB blobs, N up to 50); bounded by BENCH_TIMEOUT
#   make bench BENCH_QUICK=1   smoke-sized run (small blobs, short load, N up to 3)
#
# Results: bench/results/latest.md (the table) and bench/results/latest.json (everything).
# Scratch data goes to a temporary directory; the Debian image is cached in bench/.cache.

BENCH_TIMEOUT ?= 3600
BENCH_QUICK ?=
# Extra arguments for bench/run.py, e.g. BENCH_ARGS='--parts data --out /tmp/results'
BENCH_ARGS ?=

# Its Python dependencies (bcrypt for the reference registry's htpasswd file, py-spy for
# profiles) are in pyproject's test extras: the quick mode runs as a test (tests/bench).
.PHONY: bench

bench: deps tools venv
	cd "$(REPO_ROOT)" && $(PULUMI_ENV) BENCH_QUICK="$(BENCH_QUICK)" \
	  timeout --signal=INT --kill-after=60 $(BENCH_TIMEOUT) \
	  "$(VENV_BIN)/python" -m bench.run $(BENCH_ARGS)
