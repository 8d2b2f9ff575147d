"""The release artifacts `make dist` writes into dist/, named by the project's one version."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.support.paths import REPO_ROOT

DIST_DIR = REPO_ROOT / "dist"
VERSION: str = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]

PLUGIN_TARBALL = f"pulumi-resource-cloudraya-v{VERSION}-linux-amd64.tar.gz"
SERVICE_WHEEL = f"cloudraya-{VERSION}-py3-none-any.whl"
SDK_PYTHON_WHEEL = f"pulumi_cloudraya-{VERSION}-py3-none-any.whl"
SDK_PYTHON_SDIST = f"pulumi_cloudraya-{VERSION}.tar.gz"
SDK_NODEJS_TARBALL = f"cloudraya-pulumi-cloudraya-{VERSION}.tgz"
SDK_GO_MODULE = f"pulumi-cloudraya-sdk-go-v{VERSION}"
IMAGE_ARCHIVE = f"cloudraya-registry-{VERSION}.oci.tar"

# Where `make dist-consumers` installs the SDK packages the way users do (mk/dist.mk):
# a virtualenv with the wheel, and node_modules with the npm tarball.
PYTHON_ENV_BIN = REPO_ROOT / "build" / "dist" / "python-env" / "bin"
NODE_MODULES = REPO_ROOT / "build" / "dist" / "node-env" / "node_modules"


def artifact(name: str) -> Path:
    """A file or directory in dist/; missing means `make dist` has not run: fail."""
    path = DIST_DIR / name
    if not path.exists():
        raise AssertionError(f"{path} is missing: `make dist` builds it (`make test` runs it)")
    return path
