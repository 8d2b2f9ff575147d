package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

const execScriptName = "pulumi-language-python-exec"

// The CLI starts a language host as `pulumi-language-python [-flag=value...] ENGINE_ADDRESS`
// and reads the port of the host's gRPC server from its first line of stdout.
func main() {
	logging.InitLogging(false, 0, false)

	var engineAddress, tracing string
	for _, arg := range os.Args[1:] {
		switch {
		case strings.HasPrefix(arg, "-tracing="), strings.HasPrefix(arg, "--tracing="):
			tracing = arg[strings.Index(arg, "=")+1:]
		case strings.HasPrefix(arg, "-"):
			// Flags older or newer CLIs may pass (-root=..., runtime options) need no handling here.
		default:
			engineAddress = arg
		}
	}

	execScript, err := findExecScript()
	if err != nil {
		cmdutil.Exit(err)
	}

	var cancel chan bool
	if engineAddress != "" {
		cancel = watchEngine(engineAddress)
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, newHost(engineAddress, tracing, execScript))
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the Python language host's gRPC server: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("Python language host stopped serving: %w", err))
	}
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

// watchEngine stops the server when the engine goes away or on SIGINT.
func watchEngine(engineAddress string) chan bool {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		stop()
		close(cancel)
	}()
	if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the engine health check: %w", err))
	}
	return cancel
}
