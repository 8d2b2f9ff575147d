"""Entry point of `pulumi-resource-cloudraya`: serve the provider protocol on a free port.

The engine starts the plugin with optional flags (`--logtostderr`, `-v=N`, `--tracing X`) and
the engine's address as the last argument, then reads the port from the first line of stdout.
"""

from __future__ import annotations

import signal
import sys
from concurrent import futures

# Threads are started on demand, one per call in flight. The engine decides how many calls run
# at once (`pulumi up --parallel`, 4 per CPU by default); this bound only stops a runaway.
MAX_CONCURRENT_CALLS = 1024


def engine_address(argv: list[str]) -> str | None:
    """The engine address: the last argument that is not a flag (or a flag's value)."""
    positional: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--tracing", "--root", "--logflow"):
            skip = arg != "--logflow"
        elif not arg.startswith("-"):
            positional.append(arg)
    return positional[-1] if positional else None


def main(argv: list[str] | None = None) -> int:
    import grpc

    from .catalog import catalog
    from .engine_log import EngineLog
    from .protocol import provider_pb2_grpc
    from .server import ProviderServicer

    engine = EngineLog(engine_address(sys.argv[1:] if argv is None else argv))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=MAX_CONCURRENT_CALLS),
        options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    )
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(
        ProviderServicer(catalog, engine=engine), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)

    def stop(signum, frame):
        server.stop(grace=2)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.wait_for_termination()
    return 0


if __name__ == "__main__":
    sys.exit(main())
