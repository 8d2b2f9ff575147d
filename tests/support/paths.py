"""Where the project's own tools live. Tests find them here, never on the user's machine."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"


def search_path(base: str | None = None) -> str:
    """PATH with the project's tools and venv first."""
    import os

    return os.pathsep.join([str(TOOLS_BIN), str(VENV_BIN), base or os.environ.get("PATH", "")])


def require_tool(name: str) -> str:
    """Absolute path of a tool `make test` installs. Missing means the set-up is broken: fail."""
    found = shutil.which(name, path=search_path())
    if found is None:
        raise AssertionError(
            f"required tool {name!r} is not installed; `make test` builds/installs it "
            f"(looked in {TOOLS_BIN}, {VENV_BIN} and PATH)"
        )
    return found
