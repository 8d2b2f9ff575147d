package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"pulumi-cloudraya/tools/pulumi/internal/langhost"
)

// GetRequiredPackages reports the provider SDKs in the program's node_modules: packages
// whose package.json carries a "pulumi" block (name, version) for a resource plugin.
func (h *nodeHost) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	dir := "."
	if info := req.GetInfo(); info != nil && info.GetProgramDirectory() != "" {
		dir = info.GetProgramDirectory()
	}
	manifests, _ := filepath.Glob(filepath.Join(dir, "node_modules", "*", "package.json"))
	scoped, _ := filepath.Glob(filepath.Join(dir, "node_modules", "@*", "*", "package.json"))
	manifests = append(manifests, scoped...)
	sort.Strings(manifests)
	var found []langhost.PluginMetadata
	for _, path := range manifests {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var manifest struct {
			Pulumi *langhost.PluginMetadata `json:"pulumi"`
		}
		if json.Unmarshal(data, &manifest) == nil && manifest.Pulumi != nil {
			found = append(found, *manifest.Pulumi)
		}
	}
	return langhost.Packages(found), nil
}
