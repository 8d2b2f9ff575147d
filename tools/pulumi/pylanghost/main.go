package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"

	"pulumi-cloudraya/tools/pulumi/internal/langhost"
)

const execScriptName = "pulumi-language-python-exec"

// The CLI starts a language host as `pulumi-language-python [-flag=value...] ENGINE_ADDRESS`
// and reads the port of the host's gRPC server from its first line of stdout.
func main() {
	args := langhost.ParseArgs(os.Args[1:])
	execScript, err := findExecScript()
	if err != nil {
		cmdutil.Exit(err)
	}
	langhost.Serve("Python language host", args, newHost(args.EngineAddress, args.Tracing, execScript))
}

// findExecScript locates the SDK's program runner, which must sit beside this binary.
func findExecScript() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot locate the Python language host binary: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	script := filepath.Join(filepath.Dir(self), execScriptName)
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("missing executor: %s must be installed next to %s (run `make tools`)",
			execScriptName, self)
	}
	return script, nil
}
