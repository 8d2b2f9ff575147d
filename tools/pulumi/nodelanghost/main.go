package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"

	"pulumi-cloudraya/tools/pulumi/internal/langhost"
)

// The CLI starts a language host as `pulumi-language-<language> [-flag=value...] ENGINE_ADDRESS`.
func main() {
	name := filepath.Base(os.Args[0])
	args := langhost.ParseArgs(os.Args[1:])
	switch strings.TrimPrefix(name, "pulumi-language-") {
	case "nodejs":
		langhost.Serve("Node.js language host", args, newNodeHost(args.EngineAddress, args.Tracing))
	case "go":
		langhost.Serve("Go SDK generator", args, &goGenerator{})
	default:
		cmdutil.Exit(fmt.Errorf("%s: install this binary as pulumi-language-nodejs or pulumi-language-go", name))
	}
}
