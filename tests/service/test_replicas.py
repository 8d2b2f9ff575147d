"""Several replicas on one PostgreSQL and one bucket: any replica continues any request.

The replica set (``replicas``) is two `serve` processes behind HAProxy, round-robin per
request. Tests that must reach one replica in particular talk to it directly
(``replicas.replicas[i]``), as a balancer could send any request anywhere.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from cloudraya_registry.db.locks import LockKey, object_id
from sqlalchemy import create_engine, text

from tests.service.oci_helpers import (
    PASSWORD,
    OciClient,
    make_image,
    oci_error_codes,
    sha256,
)
from tests.support.images import OCI_LAYER_GZIP, SKOPEO_POLICY, OciLayout
from tests.support.objectstore import s3_environ
from tests.support.paths import require_tool, search_path
from tests.support.replicas import ReplicaSet

REPO = "dev-registry/app"
MiB = 1024 * 1024


def _sql(replicas: ReplicaSet, statement: str, **params: object) -> list[tuple]:
    engine = create_engine(str(replicas.database_url))
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        engine.dispose()


def _run_gc(replicas: ReplicaSet, grace_seconds: int = 0) -> dict:
    env = {**os.environ, "PATH": search_path(), **replicas.environment()}
    env["CLOUDRAYA_GC_GRACE_SECONDS"] = str(grace_seconds)
    done = subprocess.run(
        [require_tool("cloudraya-registry"), "gc", *replicas.storage_arguments()],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _clients(replicas: ReplicaSet) -> list[OciClient]:
    return [OciClient(replica, "dev-registry") for replica in replicas.replicas]


# -- first start ------------------------------------------------------------------------------
def test_replicas_that_started_together_share_one_bootstrap(replicas: ReplicaSet) -> None:
    """The set started both replicas at once on an empty database: one schema, one default
    project, one signing key; a token issued by one replica is honoured by the other."""
    assert _sql(replicas, "SELECT count(*) FROM service_secrets") == [(1,)]
    assert _sql(replicas, "SELECT count(*) FROM projects WHERE name = 'default'") == [(1,)]
    replicas.create_registry("dev-registry", password=PASSWORD)
    first, second = replicas.replicas
    issued = httpx.get(
        f"{first.url}/auth/token",
        params={"scope": f"repository:{REPO}:pull,push"},
        auth=("dev-registry", PASSWORD),
    )
    assert issued.status_code == 200
    bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert httpx.get(f"{second.url}/v2/", headers=bearer).status_code == 200


def test_three_replicas_starting_on_an_empty_database_all_come_up(
    postgres_server, seaweed, tmp_path: Path
) -> None:
    trio = ReplicaSet(
        tmp_path / "trio",
        database_url=postgres_server.new_database(migrated=False),
        weed=seaweed,
        count=3,
    )
    try:
        trio.start()
        assert _sql(trio, "SELECT count(*) FROM projects") == [(1,)]
        assert _sql(trio, "SELECT count(*) FROM api_tokens") == [(1,)]
        with trio.api() as api:
            assert api.get("/registries").status_code == 200
    finally:
        trio.stop()


# -- uploads across replicas --------------------------------------------------------------------
@pytest.mark.parametrize("order", [(0, 1, 0, 1, 1), (1, 0, 0, 1, 0)])
def test_an_upload_continues_on_any_replica_in_any_order(
    replicas: ReplicaSet, order: tuple[int, ...]
) -> None:
    """POST, two PATCHes, a status GET and the closing PUT (with a last chunk), each on the
    replica ``order`` names; the blob pulls back through the balancer byte for byte."""
    replicas.create_registry("dev-registry", password=PASSWORD)
    clients = _clients(replicas)
    data = os.urandom(19 * MiB + 12345)
    cuts = [0, 9 * MiB + 7, 18 * MiB]
    start = clients[order[0]].start_upload(REPO)
    assert start.status_code == 202
    location = start.headers["Location"]
    for step, (begin, end) in enumerate(itertools.pairwise(cuts)):
        patched = clients[order[1 + step]].http.patch(
            location,
            content=data[begin:end],
            headers={"Content-Range": f"{begin}-{end - 1}"},
        )
        assert patched.status_code == 202, patched.text
        assert patched.headers["Range"] == f"0-{end - 1}"
    status = clients[order[3]].http.get(location)
    assert status.headers["Range"] == f"0-{cuts[-1] - 1}"
    started = time.perf_counter()
    done = clients[order[4]].http.put(
        location, params={"digest": sha256(data)}, content=data[cuts[-1] :]
    )
    assert done.status_code == 201, done.text
    print(f"figures: order {order}: closing PUT took {time.perf_counter() - started:.2f} s")
    with OciClient(replicas, "dev-registry") as through_balancer:
        pulled = through_balancer.get_blob(REPO, sha256(data))
    assert pulled.status_code == 200 and sha256(pulled.content) == sha256(data)
    assert not [key for key in replicas.stored_keys() if key.startswith("_uploads/")]
    assert replicas.open_multipart_uploads() == []


def test_a_wrong_digest_is_caught_when_another_replica_closes_the_upload(
    replicas: ReplicaSet,
) -> None:
    replicas.create_registry("dev-registry", password=PASSWORD)
    first, second = _clients(replicas)
    location = first.start_upload(REPO).headers["Location"]
    assert first.http.patch(location, content=os.urandom(MiB)).status_code == 202
    refused = second.http.put(location, params={"digest": sha256(b"something else")})
    assert refused.status_code == 400
    assert oci_error_codes(refused) == ["DIGEST_INVALID"]
    assert not [key for key in replicas.stored_keys() if not key.startswith("_uploads/")]


def test_concurrent_chunks_for_one_upload_on_two_replicas_are_taken_one_at_a_time(
    replicas: ReplicaSet,
) -> None:
    """Two PATCHes both claiming offset 0 arrive at both replicas at once: the database lock
    lets one append and the other is refused at the offset it then sees, never interleaved."""
    replicas.create_registry("dev-registry", password=PASSWORD)
    clients = _clients(replicas)
    location = clients[0].start_upload(REPO).headers["Location"]
    bodies = [os.urandom(12 * MiB), os.urandom(12 * MiB)]
    results: list[httpx.Response] = [None, None]  # type: ignore[list-item]

    def patch(index: int) -> None:
        results[index] = clients[index].http.patch(
            location,
            content=bodies[index],
            headers={"Content-Range": f"0-{len(bodies[index]) - 1}"},
        )

    threads = [threading.Thread(target=patch, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [202, 416], [r.text for r in results]
    winner = bodies[[r.status_code for r in results].index(202)]
    done = clients[1].http.put(location, params={"digest": sha256(winner)})
    assert done.status_code == 201, done.text


# -- shared state -------------------------------------------------------------------------------
def test_failed_logins_are_counted_across_replicas(replicas: ReplicaSet) -> None:
    replicas.create_registry("dev-registry", password=PASSWORD)
    for attempt in range(10):
        replica = replicas.replicas[attempt % 2]
        wrong = httpx.get(f"{replica.url}/v2/", auth=("dev-registry", "wrong-password"))
        assert wrong.status_code == 401
    for replica in replicas.replicas:
        throttled = httpx.get(f"{replica.url}/v2/", auth=("dev-registry", PASSWORD))
        assert throttled.status_code == 429
        assert "too many failed logins" in throttled.text


def test_a_dashboard_session_signed_in_on_one_replica_works_on_the_other(
    replicas: ReplicaSet,
) -> None:
    first, second = replicas.replicas
    with httpx.Client(base_url=first.url) as browser:
        form = browser.get("/ui/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        signed_in = browser.post("/ui/login", data={"token": replicas.token, "csrf_token": csrf})
        assert signed_in.status_code in (302, 303)
        cookies = browser.cookies
    with httpx.Client(base_url=second.url, cookies=cookies) as browser:
        dashboard = browser.get("/ui/registries")
        assert dashboard.status_code == 200
        assert "Sign out" in dashboard.text


# -- garbage collection -------------------------------------------------------------------------
def test_only_one_garbage_collection_runs_at_a_time(replicas: ReplicaSet) -> None:
    engine = create_engine(str(replicas.database_url))
    try:
        with engine.connect() as holder:
            # What a collecting replica holds while it runs.
            holder.execute(
                text("SELECT pg_advisory_lock(:key, :obj)"),
                {"key": int(LockKey.GC_RUN), "obj": object_id("")},
            )
            holder.commit()
            report = _run_gc(replicas)
            assert report["skipped"] is True
            holder.execute(text("SELECT pg_advisory_unlock_all()"))
            holder.commit()
    finally:
        engine.dispose()
    assert _run_gc(replicas)["skipped"] is False


def test_a_manifest_push_waits_while_a_collector_deletes(replicas: ReplicaSet) -> None:
    """The content lock, observed: while a collector holds it exclusively (here: the test), a
    manifest push on a replica waits in PostgreSQL for it, and completes once it is released."""
    replicas.create_registry("dev-registry", password=PASSWORD)
    client = OciClient(replicas.replicas[0], "dev-registry")
    image = make_image(10_000)
    for blob in (image.config, *image.layers):
        assert client.push_blob(REPO, blob).status_code == 201
    engine = create_engine(str(replicas.database_url))
    outcome: dict[str, httpx.Response] = {}
    try:
        with engine.connect() as collector:
            collector.execute(
                text("SELECT pg_advisory_lock(:key, :obj)"),
                {"key": int(LockKey.CONTENT), "obj": object_id("")},
            )
            collector.commit()
            pusher = threading.Thread(
                target=lambda: outcome.update(put=client.put_manifest(REPO, "v1", image.manifest))
            )
            pusher.start()
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            deadline = time.monotonic() + 60
            while collector.scalar(text(waiting)) == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert collector.scalar(text(waiting)) >= 1, "the push did not wait for the lock"
            assert "put" not in outcome
            collector.execute(text("SELECT pg_advisory_unlock_all()"))
            collector.commit()
            pusher.join(timeout=60)
    finally:
        engine.dispose()
    assert outcome["put"].status_code == 201
    assert client.get_manifest(REPO, "v1").content == image.manifest


def test_gc_racing_pushes_never_leaves_a_manifest_without_its_blobs(
    replicas: ReplicaSet,
) -> None:
    """Each round deletes an image, makes its content look old and unreferenced, then runs the
    collector while the same image is pushed again on another replica. Whatever the
    interleaving, an accepted manifest pulls back whole, and a refused one retries cleanly."""
    replicas.create_registry("dev-registry", password=PASSWORD)
    first, second = _clients(replicas)
    image = make_image(200_000)
    accepted = 0
    for round_number in range(6):
        assert first.push_image(REPO, image, "v1").status_code == 201
        assert first.http.delete(f"/v2/{REPO}/manifests/{image.digest}").status_code == 202
        _sql(
            replicas,
            "UPDATE blobs SET created_at = now() - interval '2 hours';"
            "UPDATE repository_blobs SET created_at = now() - interval '2 hours'",
        )
        outcome: dict[str, object] = {}

        def push_again(
            outcome: dict[str, object] = outcome, delay: float = 0.05 * (round_number % 3)
        ) -> None:
            time.sleep(delay)
            for blob in (image.config, *image.layers):
                head = second.http.head(f"/v2/{REPO}/blobs/{sha256(blob)}")
                if head.status_code != 200:
                    assert second.push_blob(REPO, blob).status_code == 201
            outcome["manifest"] = second.put_manifest(REPO, "v1", image.manifest)

        pusher = threading.Thread(target=push_again)
        pusher.start()
        _run_gc(replicas)
        pusher.join()
        response = outcome["manifest"]
        assert isinstance(response, httpx.Response)
        if response.status_code != 201:
            assert response.status_code == 400
            assert oci_error_codes(response) == ["MANIFEST_BLOB_UNKNOWN"]
            assert second.push_image(REPO, image, "v1").status_code == 201
        else:
            accepted += 1
        for blob in (image.config, *image.layers):
            pulled = first.get_blob(REPO, sha256(blob))
            assert pulled.status_code == 200, f"round {round_number}: blob lost"
            assert sha256(pulled.content) == sha256(blob)
    assert accepted >= 1
    print(f"figures: GC raced 6 pushes: {accepted} accepted, {6 - accepted} refused and retried")


# -- a replica dies -----------------------------------------------------------------------------
def _bytes_received(port: int) -> int:
    """Bytes a replica has received on its open client connections (iproute2's ss)."""
    listed = subprocess.run(
        ["ss", "-Htin", "state", "established", f"( sport = :{port} )"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sum(int(n) for n in re.findall(r"bytes_received:(\d+)", listed.stdout))


def test_kill_9_of_a_replica_mid_push_the_retry_finishes_through_the_balancer(
    replicas: ReplicaSet, tmp_path: Path
) -> None:
    """skopeo pushes a 160 MiB layer through the balancer; the replica receiving it is killed.
    The client's retry lands on the survivor; the image pulls back with verified digests, no
    partial blob is stored, and what the dead replica left is garbage the collector removes."""
    replicas.create_registry("dev-registry", password=PASSWORD)
    layout = tmp_path / "layout"
    OciLayout(layout).add_image([(os.urandom(160 * MiB), OCI_LAYER_GZIP)], "v1")
    skopeo = [require_tool("skopeo"), "--policy", str(SKOPEO_POLICY)]
    push_command = [
        *skopeo, "copy", "--retry-times", "3", "--dest-tls-verify=false",
        "--dest-creds", f"dev-registry:{PASSWORD}",
        f"oci:{layout}:v1", f"docker://{replicas.host}/{REPO}:v1",
    ]  # fmt: skip
    push = subprocess.Popen(
        push_command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    victim = None
    try:
        deadline = time.monotonic() + 60
        while victim is None and time.monotonic() < deadline and push.poll() is None:
            time.sleep(0.1)
            for replica in replicas.replicas:
                if _bytes_received(replica.port) > 40 * MiB:
                    victim = replica
                    break
        assert victim is not None, "no replica was receiving the large layer"
        killed_after = _bytes_received(victim.port)
        victim.kill()
        started = time.perf_counter()
        output, _ = push.communicate(timeout=600)
        if push.returncode != 0:
            # skopeo 1.9 (Debian bookworm) does not retry a broken pipe by itself: the retry
            # is the pipeline's, the same command again, through the same balancer.
            cut = ("broken pipe", "connection reset", "use of closed network connection")
            assert any(words in output for words in cut), output
            retried = subprocess.run(
                push_command, capture_output=True, text=True, timeout=600, check=False
            )
            assert retried.returncode == 0, retried.stdout + retried.stderr
        print(
            f"figures: killed the receiving replica after {killed_after / MiB:.0f} MiB of "
            f"160 MiB; push finished {time.perf_counter() - started:.1f} s after the kill "
            f"(skopeo exit {push.returncode} before the retry)"
        )
    finally:
        if push.poll() is None:
            push.kill()
        if victim is not None:
            victim.start()
    # The image pulls back, every digest verified by skopeo and by us.
    pulled = tmp_path / "pulled"
    subprocess.run(
        [*skopeo, "copy", "--src-tls-verify=false", "--src-creds", f"dev-registry:{PASSWORD}",
         f"docker://{replicas.host}/{REPO}:v1", f"dir:{pulled}"],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    manifest = json.loads((pulled / "manifest.json").read_text())
    for descriptor in [manifest["config"], *manifest["layers"]]:
        data = (pulled / descriptor["digest"].split(":", 1)[1]).read_bytes()
        assert sha256(data) == descriptor["digest"]
    # No partial blob: every object under a digest hashes to that digest.
    client = replicas.s3()
    prefix = replicas.storage_url.split("/", 3)[3] + "/"
    for key in replicas.stored_keys():
        if key.startswith("sha256/"):
            body = client.get_object(Bucket=replicas.weed.bucket, Key=prefix + key)["Body"]
            hasher = hashlib.sha256()
            for block in iter(lambda body=body: body.read(4 * MiB), b""):
                hasher.update(block)
            assert hasher.hexdigest() == key.rsplit("/", 1)[1], f"partial blob at {key}"
    # What the dead replica left is an upload session the collector removes once abandoned.
    _sql(replicas, "UPDATE uploads SET updated_at = now() - interval '8 days'")
    _run_gc(replicas)
    leftovers = [key for key in replicas.stored_keys() if not key.startswith("sha256/")]
    assert leftovers == []
    assert replicas.open_multipart_uploads() == []


# -- start-up against unusable storage ------------------------------------------------------------
@pytest.mark.parametrize(
    ("bucket", "credentials", "expected"),
    [
        ("no-such-bucket", None, "bucket 'no-such-bucket' does not exist"),
        (None, ("weed-test", "not-the-secret"), "refused the credentials"),
    ],
)
def test_unusable_storage_stops_start_up_with_one_line(
    seaweed, tmp_path: Path, bucket: str | None, credentials: tuple[str, str] | None, expected: str
) -> None:
    env = {**os.environ, "PATH": search_path(), **s3_environ(seaweed)}
    if credentials is not None:
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = credentials
    url = f"s3://{bucket or seaweed.bucket}/x"
    done = subprocess.run(
        [require_tool("cloudraya-registry"), "serve", "--port", "0", "--data-dir",
         str(tmp_path / "data"), "--storage-url", url],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    problem = [line for line in done.stderr.splitlines() if line.startswith("cloudraya-registry")]
    assert len(problem) == 1 and expected in problem[0], done.stderr
    assert "Traceback" not in done.stderr
    assert env["AWS_SECRET_ACCESS_KEY"] not in done.stderr + done.stdout
