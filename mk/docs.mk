# User documentation (docs/): the resource and function reference is generated from schema.json.
#
#   make docs         rewrite docs/reference/*.md from schema.json
#   make docs-check   fail when docs/reference/ does not match schema.json (also a test)

.PHONY: docs docs-check

docs: venv
	"$(VENV_BIN)/python" docs/gen_reference.py

docs-check: venv
	"$(VENV_BIN)/python" docs/gen_reference.py --check
