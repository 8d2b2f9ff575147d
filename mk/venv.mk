# The project's virtualenv: `python3 -m venv .venv` plus `pip install -e '.[test]'`.
#
# Re-installed only when pyproject.toml changes: the stamp's name carries a hash
# of its content (a fresh clone has new mtimes but the same content).

PYTHON ?= python3
VENV_STAMP := $(VENV)/.installed-$(shell sha256sum $(REPO_ROOT)/pyproject.toml | cut -c1-16)

.PHONY: venv
venv: $(VENV_STAMP)

$(VENV_STAMP):
	@if [ ! -x "$(VENV_BIN)/python" ]; then \
	  echo "venv: creating .venv with $$($(PYTHON) --version)"; \
	  $(PYTHON) -m venv "$(VENV)"; \
	fi
	@echo "venv: installing the project and its [test] extras (pyproject.toml changed or new)"
	"$(VENV_BIN)/python" -m pip install --quiet --disable-pip-version-check -e "$(REPO_ROOT)[test]"
	@rm -f "$(VENV)"/.installed-*
	@touch "$@"
	@echo "venv: ready"
