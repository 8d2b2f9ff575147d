package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"pulumi-cloudraya/tools/pulumi/internal/langhost"
)

// listPlugins prints, as one JSON list, the pulumi-plugin.json of every importable
// `pulumi_*` package: those on sys.path and those of installed distributions (editable
// installs through an import hook included), as the upstream host reads them.
const listPlugins = `
import importlib.metadata, importlib.util, json, os, pkgutil
names = {m.name for m in pkgutil.iter_modules() if m.ispkg}
names |= set(importlib.metadata.packages_distributions())
found = []
for name in sorted(n for n in names if n.startswith("pulumi_")):
    spec = importlib.util.find_spec(name)
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(location, "pulumi-plugin.json")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                found.append(json.load(handle))
            break
print(json.dumps(found))
`

// GetRequiredPackages reports the provider SDKs installed in the program's interpreter.
func (h *pythonHost) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	info := req.GetInfo()
	cmd := exec.Command(pythonCommand(info), "-c", listPlugins)
	if info != nil && info.GetProgramDirectory() != "" {
		cmd.Dir = info.GetProgramDirectory()
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the installed Pulumi SDKs with %s: %w", cmd.Path, err)
	}
	var found []langhost.PluginMetadata
	if err := json.Unmarshal(out, &found); err != nil {
		return nil, fmt.Errorf("reading the installed Pulumi SDKs: %w", err)
	}
	return langhost.Packages(found), nil
}
