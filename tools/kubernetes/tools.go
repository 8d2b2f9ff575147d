//go:build tools

// Package tools records what the Kubernetes provider's main package needs, so that
// `go mod tidy` keeps it in go.mod: the provider itself and, for its generate.go,
// Pulumi's schema package. mk/tools.mk copies that main package from the module
// cache into a build directory here (its embedded schema is made at build time).
package tools

import (
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
	_ "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)
