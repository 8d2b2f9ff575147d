// Command pulumi-language-python is this project's Python language host for
// the Pulumi CLI.
//
// Why it exists: the Go module proxy available to this project refuses every
// version of github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3
// (and of the Node.js host), so the upstream host cannot be built here. This
// host covers what the project needs, on top of the pinned pkg/v3 and sdk/v3
// modules:
//
//   - Run: executes a Python program through the SDK's own
//     `pulumi-language-python-exec` script (from the pinned sdk/v3 module, copied
//     beside this binary by `make tools`), with the interpreter named by the
//     project's `virtualenv` runtime option, else $PULUMI_PYTHON_CMD, else python3.
//   - GeneratePackage: `pulumi package gen-sdk --language python` through
//     Pulumi's Python code generator (pkg/v3/codegen/python).
//   - GetRequiredPackages: the provider SDKs installed in the program's interpreter
//     (each `pulumi_*` package's pulumi-plugin.json), so `pulumi about` shows their
//     versions however the plugins are installed.
//   - Handshake, GetPluginInfo, GetRequiredPlugins (none: GetRequiredPackages
//     answers), GetProgramDependencies, About, InstallDependencies (the environment
//     is managed by the project's Makefile, so nothing to do).
//
// Everything else answers Unimplemented, which the CLI reports as such.
package main
