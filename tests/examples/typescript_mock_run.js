// Runs a compiled Pulumi TypeScript program under @pulumi/pulumi's own mocks (no engine, no
// language host) and prints, as JSON, every resource it registered with its inputs, every
// function it invoked, and its stack outputs.
//
//   node typescript_mock_run.js <program dir> <project> <stack>
//
// PULUMI_CONFIG (a JSON object of "project:key" -> string) carries the stack's configuration,
// as the Node.js language host would pass it.
"use strict";

const path = require("path");

async function main() {
    const [programDir, project, stack] = process.argv.slice(2);
    const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [programDir] }));
    const resources = [];
    const calls = [];
    pulumi.runtime.setMocks(
        {
            newResource(args) {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs });
                const name = args.inputs.registry ?? args.inputs.name ?? args.name;
                const state = { ...args.inputs, endpoint: `mock.invalid/${name}`, username: name };
                if (args.type === "cloudraya:index:RegistryPassword") {
                    state.password = `mock-password-of-${name}`;
                    state.dockerConfigJson = `{"auths":{"mock.invalid":{"username":"${name}"}}}`;
                }
                return { id: name, state };
            },
            call(args) {
                calls.push({ token: args.token, inputs: args.inputs });
                const { registry, repository, tag } = args.inputs;
                return { image: `mock.invalid/${registry}/${repository}:${tag}`, commands: [] };
            },
        },
        project,
        stack,
        false,
    );
    const program = require(path.resolve(programDir));
    const outputs = {};
    for (const [key, value] of Object.entries(program)) {
        outputs[key] = pulumi.Output.isInstance(value)
            ? await new Promise((resolve) => value.apply(resolve))
            : value;
    }
    process.stdout.write(JSON.stringify({ resources, calls, outputs }));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
