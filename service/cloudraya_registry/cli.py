"""``cloudraya-registry``: serve the registry, collect garbage, migrate, manage API tokens."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from cloudraya_registry import config as settings
from cloudraya_registry.domain import api_tokens
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
        help="Base URL clients use (default http://HOST:PORT, https:// with --tls-cert); "
        "registry endpoints are <its host>/<registry name>.",
    )
    _add_storage_args(serve)
    settings.add_options(serve)
    settings.add_serve_options(serve)

    gc = commands.add_parser("gc", help="Remove blobs nothing references any more.")
    _add_storage_args(gc)
    settings.add_options(gc)

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
    create.add_argument(
        "--expires-in",
        default=f"{api_tokens.DEFAULT_LIFETIME.days}d",
        metavar="DURATION",
        help="Lifetime, e.g. 90d, 12h, 30m, or `never` (default %(default)s; at most "
        f"{api_tokens.MAX_LIFETIME.days}d).",
    )
    _add_storage_args(create)
    listing = token_commands.add_parser(
        "list", help="List a project's tokens as JSON lines (id, name, created, expiry)."
    )
    listing.add_argument("--project", required=True, help="Project name.")
    _add_storage_args(listing)
    revoke = token_commands.add_parser(
        "revoke", help="Revoke a project's token by id: it stops working at once."
    )
    revoke.add_argument("--project", required=True, help="Project name.")
    revoke.add_argument("id", type=int, help="Token id, as `token list` shows it.")
    _add_storage_args(revoke)

    from cloudraya_registry.scanning import cli as scanning_cli

    scanning_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        match args.command:
            case "serve":
                return _serve(args, argv)
            case "gc":
                return _gc(args)
            case "migrate":
                return _migrate(args)
            case "token":
                return _TOKEN_COMMANDS[args.token_command](args)
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
    environ = os.environ if environ is None else environ
    return settings.from_args(args, environ, getattr(args, "public_url", None))


def _serve(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from cloudraya_registry.bootstrap import build_state
    from cloudraya_registry.metrics import ensure_multiprocess_dir, prepare_multiprocess_dir

    config = service_config(args)
    scheme = "https" if config.tls else "http"
    url = f"{scheme}://{args.host}:{args.port}"
    if config.workers > 1:
        # Every worker's counts must reach a scrape whichever worker answers it.
        ensure_multiprocess_dir(config.data_dir)
    prepare_multiprocess_dir()
    state = build_state(config)
    if config.workers > 1:
        return _serve_workers(args, argv, state, url)
    from cloudraya_registry.app import create_app

    # CPU-bound moments (parsing a 4 MiB manifest, hashing) hand the interpreter over to the
    # event loop every millisecond instead of every 5, so other requests keep flowing.
    sys.setswitchinterval(0.001)
    config = server_config(create_app(state), args.host, args.port, state.config)
    server = _AnnouncingServer(config, url)
    try:
        server.run()
    finally:
        state.db.dispose()
    log.info("stopped")
    return 0 if server.started else 1


def _serve_workers(args: argparse.Namespace, argv: Sequence[str], state, url: str) -> int:
    """``--workers N`` (N > 1): this process supervises; see :mod:`workers`."""
    from cloudraya_registry import workers
    from cloudraya_registry.scanning.worker import requeue_interrupted_scans

    try:
        requeue_interrupted_scans(state.db)
    finally:
        state.db.dispose()
    args.workers = state.config.workers
    log.info(f"starting {args.workers} worker processes")
    started = workers.serve(args, argv, state.config, server_config, lambda: announce(url))
    log.info("stopped")
    return 0 if started else 1


def server_config(app, host: str, port: int, service: settings.ServiceConfig):
    """How uvicorn serves the app (also for the test harness's in-process servers)."""
    import uvicorn

    listening: dict = {}
    if service.tls_cert is not None and service.tls_key is not None:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        from cloudraya_registry.tls import https_only, server_context

        context = server_context(service.tls_cert, service.tls_key)
        listening = {"http": https_only(H11Protocol, context), "loop": "asyncio"}
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        **listening,
        log_config=None,
        access_log=False,
        server_header=False,
        # Forwarded headers are the app's business (only from --trusted-proxy addresses).
        proxy_headers=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        lifespan="on",
    )


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
        announce(self.url)

    def run(self) -> None:
        # uvicorn re-raises SIGTERM/SIGINT once it has drained, with the handler that was in
        # place before it started; a no-op handler turns a drained shutdown into exit code 0.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _drained)
        self._server.run()


def announce(url: str) -> None:
    """The line operators and tests wait for: the port accepts and requests are served."""
    log.info(f"listening on {url}", extra={"url": url})
    print(f"cloudraya-registry listening on {url}", flush=True)


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


def _open_database(args: argparse.Namespace):
    from cloudraya_registry.bootstrap import open_database, prepare_data_dir

    return open_database(prepare_data_dir(args.data_dir), args.database_url)


def _migrate(args: argparse.Namespace) -> int:
    _open_database(args).dispose()
    print("database schema is up to date")
    return 0


def _token_create(args: argparse.Namespace) -> int:
    if args.expires_in.strip().lower() == "never":
        lifetime = None
    else:
        seconds = settings.parse_duration(args.expires_in)
        if seconds is None:
            raise ValueError(
                f"--expires-in {args.expires_in!r} is not a duration such as 90d, 12h or never"
            )
        lifetime = dt.timedelta(seconds=seconds)
    db = _open_database(args)
    token = api_tokens.generate_token()
    try:
        with db.write() as session:
            project = api_tokens.ensure_project(session, args.project)
            api_tokens.add_token(session, project, args.name, token, lifetime)
    finally:
        db.dispose()
    print(token)
    return 0


def _token_list(args: argparse.Namespace) -> int:
    state = _open_state(args)
    try:
        tokens = api_tokens.list_project(state, api_tokens.project_id_of(state, args.project))
    finally:
        state.db.dispose()
    for info in tokens:
        print(
            json.dumps(
                {
                    "id": info.id,
                    "name": info.name,
                    "created_at": info.created_at.isoformat(),
                    "expires_at": info.expires_at.isoformat() if info.expires_at else None,
                    "expired": info.expired,
                }
            )
        )
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    state = _open_state(args)
    try:
        api_tokens.revoke(state, api_tokens.project_id_of(state, args.project), args.id)
    finally:
        state.db.dispose()
    print(f"token {args.id} revoked")
    return 0


_TOKEN_COMMANDS = {"create": _token_create, "list": _token_list, "revoke": _token_revoke}


if __name__ == "__main__":
    sys.exit(main())
