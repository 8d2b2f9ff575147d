"""`serve --workers N`: several processes on one port, as safe as one.

The workers share a SQLite database: their write transactions take turns (no lost update, no
"database is locked"), the collector and upload sessions lock across processes, every
worker's pull tally reaches the database on SIGTERM, and a crash of the supervisor takes the
workers with it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from cloudraya_registry.db.locks import LockKey, try_lock
from cloudraya_registry.db.session import Database
from sqlalchemy import text

from tests.service.oci_helpers import PASSWORD, make_image, registry_with_client
from tests.support.service import RegistryService, child_pids

REPO = "dev-registry/app"
PULLS = 40

_INCREMENTS = """
import sys
sys.path.insert(0, sys.argv[2])
from sqlalchemy import text
from cloudraya_registry.db.session import Database
db = Database(sys.argv[1])
for _ in range(int(sys.argv[3])):
    with db.write() as session:
        value = session.execute(text("SELECT n FROM counter")).scalar_one()
        session.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})
"""

_TRY_LOCK = """
import sys
sys.path.insert(0, sys.argv[2])
from cloudraya_registry.db.locks import LockKey, try_lock
from cloudraya_registry.db.session import Database
with try_lock(Database(sys.argv[1]), LockKey.GC_RUN) as taken:
    print("taken" if taken else "refused")
"""


def _service_dir() -> str:
    import cloudraya_registry

    return str(Path(cloudraya_registry.__file__).resolve().parent.parent)


def _workers(service: RegistryService) -> list[int]:
    """Worker processes of the service (its spawned children)."""
    assert service.pid is not None
    return [
        pid
        for pid in child_pids(service.pid)
        if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    ]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has exited


def test_write_transactions_of_several_processes_take_turns_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    db = Database(url)
    with db.write() as session:
        session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _INCREMENTS, url, _service_dir(), "100"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for run in runs:
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr
    with db.read() as session:
        assert session.execute(text("SELECT n FROM counter")).scalar_one() == 300
    db.dispose()


def test_a_lock_held_in_one_process_is_refused_to_another_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    db = Database(url)

    def other_process() -> str:
        return subprocess.run(
            [sys.executable, "-c", _TRY_LOCK, url, _service_dir()],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()

    with try_lock(db, LockKey.GC_RUN) as taken:
        assert taken
        assert other_process() == "refused"
    assert other_process() == "taken"
    db.dispose()


def test_every_workers_pulls_are_counted_after_a_sigterm(
    process_service_factory,
) -> None:
    service = process_service_factory(extra_args=["--workers", "2"])
    assert len(_workers(service)) >= 2
    client = registry_with_client(service, "dev-registry")
    assert client.push_image(REPO, make_image(100), "v1").status_code == 201
    for _ in range(PULLS):  # a connection each: the kernel hands them to either worker
        pulled = httpx.get(
            f"{service.url}/v2/{REPO}/manifests/v1",
            auth=("dev-registry", PASSWORD),
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
            timeout=30,
        )
        assert pulled.status_code == 200
    assert service.log_text().count("cloudraya-registry listening on") == 1
    assert service.stop() == 0
    service.start()
    with service.api() as api:
        artifacts = api.get("/registries/dev-registry/repositories/app/artifacts").json()
    assert [a["pull_count"] for a in artifacts["artifacts"]] == [PULLS]


def test_the_workers_die_with_a_killed_supervisor(process_service_factory) -> None:
    service = process_service_factory(extra_args=["--workers", "2"])
    workers = _workers(service)
    assert len(workers) >= 2
    assert service.pid is not None
    os.kill(service.pid, signal.SIGKILL)  # the supervisor alone: no signal reaches the workers
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", service.port)) != 0  # nothing listens any more
    service.kill()
