package langhost

import (
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// PluginMetadata is what an SDK package says about the resource plugin it was generated
// for: `pulumi-plugin.json` in a Python package, the "pulumi" key of a Node.js package.json.
type PluginMetadata struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

// Packages turns the SDKs a program has installed into the packages it requires, so the
// CLI knows each provider's version (`pulumi about`, plugin resolution) however the plugin
// itself is installed.
func Packages(found []PluginMetadata) *pulumirpc.GetRequiredPackagesResponse {
	seen := map[string]bool{}
	var packages []*pulumirpc.PackageDependency
	for _, meta := range found {
		if !meta.Resource || meta.Name == "" || seen[meta.Name] {
			continue
		}
		seen[meta.Name] = true
		packages = append(packages, &pulumirpc.PackageDependency{
			Name: meta.Name, Kind: "resource", Version: meta.Version, Server: meta.Server,
		})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}
}
