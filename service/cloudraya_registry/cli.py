"""``cloudraya-registry``: serve the registry, collect garbage, migrate, manage API tokens."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from cloudraya_registry import config as settings
from cloudraya_registry.logs import configure_logging

log = logging.getLogger("cloudraya_registry.cli")

SHUTDOWN_GRACE_SECONDS = 10


def _add_storage_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        required=True,
        type=Path,
        help="Directory for the admin token and, by default, the SQLite database and blobs.",
    )
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL of the metadata database, e.g. "
        "postgresql+psycopg://user@host:5432/db (default: SQLite in the data dir).",
    )
    parser.add_argument(
        "--storage-url",
        help="Where blobs live: file:///DIR (blobs under DIR/blobs; default: the data dir) or "
        "s3://BUCKET[/PREFIX] with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL "
        "and AWS_REGION (default us-east-1) from the environment.",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cloudraya-registry", description="CloudRaya Container Registry service."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="Run the control plane and the OCI registry.")
    serve.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
    serve.add_argument("--port", type=int, default=5000, help="Port to listen on.")
    serve.add_argument(
        "--public-url",
        help="Base URL clients use (default http://HOST:PORT); registry endpoints are "
        "<its host>/<registry name>.",
    )
    _add_storage_args(serve)

    gc = commands.add_parser("gc", help="Remove blobs nothing references any more.")
    _add_storage_args(gc)

    migrate = commands.add_parser("migrate", help="Bring the database schema up to date.")
    _add_storage_args(migrate)

    token = commands.add_parser("token", help="Manage control-plane API tokens.")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser(
        "create",
        help="Create an API token for a project (the project is created when new) and print "
        "it once on stdout.",
    )
    create.add_argument("--project", required=True, help="Project name.")
    create.add_argument("--name", default="cli", help="Token name, shown as the audit actor.")
    _add_storage_args(create)

    from cloudraya_registry.scanning import cli as scanning_cli

    scanning_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        match args.command:
            case "serve":
                return _serve(args)
            case "gc":
                return _gc(args)
            case "migrate":
                return _migrate(args)
            case "token":
                return _token_create(args)
            case "vulndb":
                from cloudraya_registry.scanning import cli as scanning_cli

                return scanning_cli.run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear one-line reason instead of a stack trace
        log.error(f"{args.command} failed: {type(exc).__name__}: {exc}")
        print(f"cloudraya-registry {args.command}: {exc}", file=sys.stderr)
        return 1
    return 2


def service_config(args: argparse.Namespace, environ=None) -> settings.ServiceConfig:
    """The configuration ``serve`` (and the test harness) runs a service with."""
    public_url = getattr(args, "public_url", None) or (
        f"http://{args.host}:{args.port}" if hasattr(args, "host") else None
    )
    return settings.from_args(args, os.environ if environ is None else environ, public_url)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from cloudraya_registry.app import create_app
    from cloudraya_registry.bootstrap import build_state

    state = build_state(service_config(args))
    app = create_app(state)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        lifespan="auto",
    )
    server = _AnnouncingServer(config, f"http://{args.host}:{args.port}")
    try:
        server.run()
    finally:
        state.db.dispose()
    log.info("stopped")
    return 0 if server.started else 1


class _AnnouncingServer:
    """uvicorn's server plus the "listening on" line, printed only once sockets are bound."""

    def __init__(self, config, url: str) -> None:
        import uvicorn

        outer = self

        class Server(uvicorn.Server):
            async def startup(self, sockets=None) -> None:
                await super().startup(sockets)
                if self.started:
                    outer.announce()

        self.url = url
        self._server = Server(config)

    @property
    def started(self) -> bool:
        return self._server.started

    def announce(self) -> None:
        log.info(f"listening on {self.url}", extra={"url": self.url})
        print(f"cloudraya-registry listening on {self.url}", flush=True)

    def run(self) -> None:
        # uvicorn re-raises SIGTERM/SIGINT once it has drained, with the handler that was in
        # place before it started; a no-op handler turns a drained shutdown into exit code 0.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _drained)
        self._server.run()


def _drained(_signum: int, _frame: object) -> None:
    log.info("drained; exiting")


def _open_state(args: argparse.Namespace):
    from cloudraya_registry.bootstrap import build_state

    return build_state(service_config(args), bootstrap=False)


def _gc(args: argparse.Namespace) -> int:
    from cloudraya_registry.gc import collect_garbage

    state = _open_state(args)
    try:
        report = collect_garbage(state)
    finally:
        state.db.dispose()
    print(json.dumps(report, default=str, sort_keys=True))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from cloudraya_registry.bootstrap import open_database, prepare_data_dir

    db = open_database(prepare_data_dir(args.data_dir), args.database_url)
    db.dispose()
    print("database schema is up to date")
    return 0


def _token_create(args: argparse.Namespace) -> int:
    from cloudraya_registry.bootstrap import open_database, prepare_data_dir
    from cloudraya_registry.domain.api_tokens import add_token, ensure_project, generate_token

    db = open_database(prepare_data_dir(args.data_dir), args.database_url)
    token = generate_token()
    try:
        with db.write() as session:
            add_token(session, ensure_project(session, args.project), args.name, token)
    finally:
        db.dispose()
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
