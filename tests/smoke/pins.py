"""The tool versions `make tools` pins, read from the go.mod files under tools/."""

from __future__ import annotations

from tests.support.paths import REPO_ROOT

TOOLS_DIR = REPO_ROOT / "tools"


def pinned_version(module_dir: str, module_path: str) -> str:
    """Version of ``module_path`` required by tools/<module_dir>/go.mod."""
    go_mod = TOOLS_DIR / module_dir / "go.mod"
    for line in go_mod.read_text().splitlines():
        words = line.split()
        if words[:1] == ["require"]:
            words = words[1:]
        if len(words) >= 2 and words[0] == module_path:
            return words[1]
    raise AssertionError(f"{go_mod} does not require {module_path}")


PULUMI = pinned_version("pulumi", "github.com/pulumi/pulumi/pkg/v3")
PULUMI_SDK = pinned_version("pulumi", "github.com/pulumi/pulumi/sdk/v3")
PULUMI_YAML = pinned_version("pulumi-yaml", "github.com/pulumi/pulumi-yaml")
CRANE = pinned_version("oci", "github.com/google/go-containerregistry")
REGCTL = pinned_version("oci", "github.com/regclient/regclient")
REGISTRY = pinned_version("oci", "github.com/distribution/distribution/v3")
CONFORMANCE_NEXT = pinned_version(
    "conformance-next", "github.com/opencontainers/distribution-spec/conformance"
)
CRICTL = pinned_version("cri", "sigs.k8s.io/cri-tools")
ORAS = pinned_version("oras", "oras.land/oras")
SEAWEEDFS = pinned_version("seaweedfs", "github.com/seaweedfs/seaweedfs")
KUBERNETES = pinned_version("kubernetes", "github.com/pulumi/pulumi-kubernetes/provider/v4")
