// Command pulumi-language-nodejs is this project's Node.js language host for the
// Pulumi CLI; installed as pulumi-language-go it is the Go SDK generator.
//
// Why it exists: the Go module proxy available to this project refuses every
// version of the upstream Node.js and Go language hosts' modules, so they cannot be
// built here. This host covers what the project needs, on top of the pinned pkg/v3
// and sdk/v3 modules. The executable's name picks the language:
//
//   - pulumi-language-nodejs
//   - Run: executes the program with the runner its own @pulumi/pulumi ships,
//     `node <program>/node_modules/@pulumi/pulumi/cmd/run`, with the stack's
//     configuration in PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS. TypeScript runs
//     through ts-node unless the project sets the runtime option `typescript: false`
//     (then package.json's `main` names the compiled JavaScript).
//   - GeneratePackage: `pulumi package gen-sdk --language nodejs` through
//     Pulumi's Node.js code generator (pkg/v3/codegen/nodejs).
//   - pulumi-language-go: GeneratePackage only (pkg/v3/codegen/go), for
//     `pulumi package gen-sdk --language go`; it cannot run Go programs and says so.
//
// Both also answer Handshake, GetPluginInfo, GetRequiredPackages (the provider SDKs in
// the program's node_modules, by the "pulumi" block of their package.json),
// GetRequiredPlugins (none), GetProgramDependencies, InstallDependencies
// (dependencies are installed with npm by the user, see
// examples/environments-typescript) and About. Everything else answers
// Unimplemented, which the CLI reports as such.
package main
