//go:build tools

// Package tools records the OCI distribution-spec conformance suite as a
// dependency so that `go test -c` can build its test binary from the module
// cache. The suite lives entirely in the package's _test.go files.
package tools

import (
	_ "github.com/opencontainers/distribution-spec/conformance"
)
