package main

import (
	"context"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"pulumi-cloudraya/tools/pulumi/internal/langhost"
)

// goGenerator is pulumi-language-go: Go SDK generation only.
type goGenerator struct {
	langhost.Base
}

// Run refuses plainly: this project has no Go language host, only the Go SDK generator.
func (g *goGenerator) Run(context.Context, *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	return &pulumirpc.RunResponse{Error: "this pulumi-language-go only generates Go SDKs " +
		"(pulumi package gen-sdk --language go); it cannot run Go programs"}, nil
}

// GeneratePackage writes a Go SDK for the given schema into req.Directory.
func (g *goGenerator) GeneratePackage(
	_ context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	return langhost.GeneratePackage(req, func(pkg *schema.Package, _ schema.ReferenceLoader) (map[string][]byte, error) {
		return gogen.GeneratePackage("pulumi-language-go", pkg, req.GetLocalDependencies())
	})
}
