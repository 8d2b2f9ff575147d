"""Entry point of `pulumi-resource-cloudraya`: serve the provider protocol on a free port.

The engine starts the plugin with optional flags (`--logtostderr`, `-v=N`, `--tracing X`) and
the engine's address as the last argument, then reads the port from the first line of stdout.
"""

from __future__ import annotations

import signal
import sys
from concurrent import futures


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
    from .protocol import provider_pb2_grpc
    from .server import ProviderServicer

    engine_address(sys.argv[1:] if argv is None else argv)  # accepted; logs go to stderr
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    )
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(ProviderServicer(catalog), server)
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
