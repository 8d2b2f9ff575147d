"""``serve --workers N``: several worker processes serving one port, so every core is used.

A supervisor (uvicorn's ``Multiprocess``) binds the socket, then spawns N workers that accept
on it; each builds its own :class:`~cloudraya_registry.state.ServiceState` from the same command
line. The supervisor first does what must happen once per start (migrations, first-start
bootstrap, re-queueing interrupted scans), announces "listening on" once every worker serves,
forwards SIGTERM/SIGINT to the workers (each drains and writes its counters) and exits 0.
Workers die with the supervisor (``PR_SET_PDEATHSIG``): a ``kill -9`` ends the whole service
as it would a single process.

Workers share what replicas share (the database, the blob store); on SQLite the write lock
and the lock files make them take turns like replicas on PostgreSQL (:mod:`db.locks`). What
each keeps in memory is correct on its own:

- manifests cached by digest (:class:`~cloudraya_registry.storage.blobstore.BlobStore`): content
  under a digest never changes, and every pull resolves the reference in the database first;
- the pull tally (:mod:`domain.pulls`): increments that add up, flushed by each worker every
  second and when it stops;
- verified passwords (:mod:`security.password_checks`): keyed by the registry's id, epoch,
  credential version and stored hash as read from the database on every request, so a reset
  or a delete misses in every worker at once;
- running upload digests: used only when they cover exactly the bytes stored, so an upload
  whose requests land on several workers is verified by reading it back.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence

from uvicorn.supervisors.multiprocess import Multiprocess

log = logging.getLogger("cloudraya_registry.workers")

ARGV_ENV = "CLOUDRAYA_WORKER_ARGV"  # the `serve` command line, for the workers
SUPERVISOR_ENV = "CLOUDRAYA_SUPERVISOR_PID"
APP_FACTORY = f"{__name__}:worker_app"
STARTUP_TIMEOUT_SECONDS = 120.0
# A worker that does not answer the supervisor's ping this long is killed and replaced: long
# enough for a busy worker on a loaded machine, short enough for a hung one.
HEALTHCHECK_TIMEOUT_SECONDS = 30
_PR_SET_PDEATHSIG = 1


class Supervisor(Multiprocess):
    """uvicorn's supervisor, announcing once all workers serve (or stopping if one cannot)."""

    def __init__(self, config, sockets, announce: Callable[[], None]) -> None:
        super().__init__(config, sockets)
        self._announce = announce
        self.started = False

    def init_processes(self) -> None:
        super().init_processes()
        if all(
            process.wait_until_ready(STARTUP_TIMEOUT_SECONDS, self.should_exit)
            for process in self.processes
        ):
            self.started = True
            self._announce()
        else:
            log.error("a worker process did not start; stopping")
            self.should_exit.set()


def serve(args, argv: Sequence[str], service, server_config, announce: Callable[[], None]) -> bool:
    """Run the supervisor until SIGTERM/SIGINT; whether the workers ever all served.

    ``server_config(app, host, port, service)`` gives the uvicorn settings the single-process
    server uses too; ``argv`` is the ``serve`` command line, parsed again by each worker.
    """
    os.environ[ARGV_ENV] = json.dumps(list(argv))
    os.environ[SUPERVISOR_ENV] = str(os.getpid())
    config = server_config(APP_FACTORY, args.host, args.port, service)
    config.factory = True
    config.workers = args.workers
    config.timeout_worker_healthcheck = HEALTHCHECK_TIMEOUT_SECONDS
    supervisor = Supervisor(config, [config.bind_socket()], announce)
    supervisor.run()
    return supervisor.started


def worker_app():
    """The app of one worker process (uvicorn calls this factory in each of them)."""
    _die_with_supervisor()
    from cloudraya_registry.app import create_app
    from cloudraya_registry.bootstrap import build_state
    from cloudraya_registry.cli import build_parser, service_config
    from cloudraya_registry.logs import configure_logging

    configure_logging()
    args = build_parser().parse_args(json.loads(os.environ[ARGV_ENV]))
    state = build_state(service_config(args), bootstrap=False, migrate=False)
    state.worker_process = True
    sys.setswitchinterval(0.001)  # as in a single process: see cli._serve
    return create_app(state)


def _die_with_supervisor() -> None:
    """Ask the kernel for SIGKILL when the supervisor goes; exit if it went already."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if str(os.getppid()) != os.environ.get(SUPERVISOR_ENV):
        os._exit(1)
