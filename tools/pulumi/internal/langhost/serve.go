// Package langhost holds what this project's Pulumi language hosts share: the
// CLI's start-up contract (flags, engine address, port on stdout, stop with the
// engine), SDK generation through Pulumi's code generators, and the mapping of a
// program's exit status and configuration to the RunRequest protocol.
package langhost

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// Args is what the CLI passes a language host on its command line.
type Args struct {
	EngineAddress string
	Tracing       string
}

// ParseArgs reads `HOST [-flag=value...] ENGINE_ADDRESS`. Flags other than
// -tracing (-root=..., runtime options) need no handling by these hosts.
func ParseArgs(args []string) Args {
	var parsed Args
	for _, arg := range args {
		switch {
		case strings.HasPrefix(arg, "-tracing="), strings.HasPrefix(arg, "--tracing="):
			parsed.Tracing = arg[strings.Index(arg, "=")+1:]
		case strings.HasPrefix(arg, "-"):
		default:
			parsed.EngineAddress = arg
		}
	}
	return parsed
}

// Serve starts the host's gRPC server, prints its port as the first line of
// stdout (which the CLI reads) and blocks until the engine goes away or SIGINT.
// what names the host in error messages, e.g. "Node.js language host".
func Serve(what string, args Args, server pulumirpc.LanguageRuntimeServer) {
	logging.InitLogging(false, 0, false)

	var cancel chan bool
	if args.EngineAddress != "" {
		cancel = watchEngine(args.EngineAddress)
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, server)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the %s's gRPC server: %w", what, err))
	}
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("%s stopped serving: %w", what, err))
	}
}

// watchEngine stops the server when the engine goes away or on SIGINT (the
// engine's way of saying it is done).
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
