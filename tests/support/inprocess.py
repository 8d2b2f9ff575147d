"""The service's own ASGI app on a uvicorn server thread inside the test process.

Real HTTP on a loopback port (every client, raw socket or container tool, works unchanged), but
no process to start: the app is built from a configuration parsed exactly as ``serve`` parses
its options, over a copy of a database migrated once per test session. Tests that need a
process boundary (signals, a crash, memory of the server process) use ``RegistryService``.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from cloudraya_registry.app import create_app
from cloudraya_registry.bootstrap import DATABASE_FILE, build_state
from cloudraya_registry.cli import build_parser, server_config, service_config
from cloudraya_registry.db.migrate import upgrade_to_head
from cloudraya_registry.db.session import Database
from cloudraya_registry.logs import JsonFormatter
from cloudraya_registry.state import ServiceState

from tests.support.service import ServiceClient, ServiceStartError

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 20.0
# Loggers whose records go to the service's log file while it runs.
SERVICE_LOGGERS = ("cloudraya_registry", "uvicorn.error")

_template_lock = threading.Lock()
_sqlite_template: Path | None = None


def migrated_sqlite_template(directory: Path) -> Path:
    """A SQLite database at the newest schema, made once; services start from a copy."""
    global _sqlite_template
    with _template_lock:
        if _sqlite_template is None or not _sqlite_template.exists():
            path = directory / "template-registry.db"
            db = Database(f"sqlite:///{path}")
            try:
                upgrade_to_head(db)
            finally:
                db.dispose()
            _sqlite_template = path
        return _sqlite_template


class InProcessService(ServiceClient):
    """Same interface as :class:`tests.support.service.RegistryService`, minus kill and pid."""

    def __init__(self, data_dir: Path, *, template_dir: Path, **kwargs: Any) -> None:
        super().__init__(data_dir, **kwargs)
        self.template_dir = template_dir
        self.state: ServiceState | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._log_handler: logging.Handler | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> InProcessService:
        if self.running:
            return self
        self._start_logging()
        database = self.data_dir / DATABASE_FILE
        if not self.database_url and not database.exists():
            shutil.copyfile(migrated_sqlite_template(self.template_dir), database)
        environ = {**os.environ, **self.extra_env, "CLOUDRAYA_BOOTSTRAP_TOKEN": self.token}
        try:
            config = service_config(build_parser().parse_args(self.serve_arguments()), environ)
            self.state = build_state(config)
        except Exception as error:
            self._stop_logging()
            raise ServiceStartError(f"service did not start: {error}") from error
        self._server = uvicorn.Server(
            server_config(create_app(self.state), "127.0.0.1", self.port, config)
        )
        self._thread = threading.Thread(
            target=self._server.run, name=f"service-{self.port}", daemon=True
        )
        self._thread.start()
        self._wait_until_started()
        return self

    def _wait_until_started(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        assert self._server is not None and self._thread is not None
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServiceStartError(
                    f"service did not start listening:\n{self.log_text()[-4000:]}"
                )
            time.sleep(0.01)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> int | None:
        """Drain and stop as SIGTERM would; returns 0 like a clean exit."""
        if self._server is None:
            return None
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(SHUTDOWN_TIMEOUT_S)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(SHUTDOWN_TIMEOUT_S)
        if self.state is not None:
            self.state.db.dispose()
        self._server = self._thread = self.state = None
        self._stop_logging()
        return 0

    def restart(self) -> InProcessService:
        self.stop()
        return self.start()

    # -- logs ------------------------------------------------------------------------------
    def _start_logging(self) -> None:
        handler = logging.FileHandler(self.log_path, encoding="utf-8")
        handler.setFormatter(JsonFormatter())
        for name in SERVICE_LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(logging.INFO)
            logger.addHandler(handler)
        self._log_handler = handler
        with self.log_path.open("a") as log:
            log.write(f"--- start in-process {' '.join(self.serve_arguments())}\n")

    def _stop_logging(self) -> None:
        if self._log_handler is None:
            return
        for name in SERVICE_LOGGERS:
            logging.getLogger(name).removeHandler(self._log_handler)
        self._log_handler.close()
        self._log_handler = None
