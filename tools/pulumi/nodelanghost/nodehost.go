package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"

	"pulumi-cloudraya/tools/pulumi/internal/langhost"
)

// The program runner inside the program's own @pulumi/pulumi package.
var runnerPath = filepath.Join("node_modules", "@pulumi", "pulumi", "cmd", "run")

type nodeHost struct {
	langhost.Base
}

func newNodeHost(engineAddress, tracing string) *nodeHost {
	return &nodeHost{langhost.Base{EngineAddress: engineAddress, Tracing: tracing}}
}

func (h *nodeHost) InstallDependencies(
	_ *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	msg := "This Node.js host does not install dependencies: run `npm install` (or `npm ci`) " +
		"in the program directory, then compile it if it is TypeScript.\n"
	return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(msg)})
}

func (h *nodeHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is not on PATH: %w", err)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("cannot run %s --version: %w", node, err)
	}
	ver := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	return &pulumirpc.AboutResponse{Executable: node, Version: ver}, nil
}

// Run executes the program with its @pulumi/pulumi runner and maps its exit status.
func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := req.GetPwd()
	program := req.GetProgram()
	if info != nil && info.GetProgramDirectory() != "" {
		programDir = info.GetProgramDirectory()
		program = filepath.Join(programDir, info.GetEntryPoint())
	}
	if program == "" {
		program = "."
	}

	runner := filepath.Join(programDir, runnerPath)
	if _, err := os.Stat(runner); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf(
			"cannot find %s: install the program's dependencies (npm install) in %s first",
			runnerPath, programDir)}, nil
	}

	// The runner parses its flags with minimist: --flag=value.
	args := []string{
		runner,
		"--monitor=" + req.GetMonitorAddress(),
		"--engine=" + h.EngineAddress,
		"--project=" + req.GetProject(),
		"--stack=" + req.GetStack(),
		"--pwd=" + req.GetPwd(),
		"--parallel=" + strconv.Itoa(int(req.GetParallel())),
	}
	if req.GetOrganization() != "" {
		args = append(args, "--organization="+req.GetOrganization())
	}
	if info != nil && info.GetRootDirectory() != "" {
		args = append(args, "--root-directory="+info.GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if h.Tracing != "" {
		args = append(args, "--tracing="+h.Tracing)
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	env, err := langhost.ConfigEnv(req)
	if err != nil {
		return nil, err
	}
	env = append(env, typeScriptEnv(info)...)

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = req.GetPwd()
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), env...)
	return langhost.RunResponse(cmd.Run(), "Node.js"), nil
}

// typeScriptEnv tells the runner whether to load the program through ts-node: the
// project's runtime option `typescript` (default true, as in Pulumi's own host) and
// its optional `tsconfig` path.
func typeScriptEnv(info *pulumirpc.ProgramInfo) []string {
	typeScript := true
	var options map[string]any
	if info != nil && info.GetOptions() != nil {
		options = info.GetOptions().AsMap()
	}
	if value, ok := options["typescript"].(bool); ok {
		typeScript = value
	}
	env := []string{"PULUMI_NODEJS_TYPESCRIPT=" + strconv.FormatBool(typeScript)}
	if tsconfig, ok := options["tsconfig"].(string); ok && tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	return env
}

// GeneratePackage writes a Node.js SDK for the given schema into req.Directory.
func (h *nodeHost) GeneratePackage(
	_ context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	return langhost.GeneratePackage(req, func(pkg *schema.Package, loader schema.ReferenceLoader) (map[string][]byte, error) {
		return nodejs.GeneratePackage("pulumi-language-nodejs", pkg, req.GetExtraFiles(),
			req.GetLocalDependencies(), req.GetLocal(), loader)
	})
}
