"""Scale-out: the S3 driver beside the CNCF registry's S3 driver, and one vs two replicas.

- **S3**: our service on PostgreSQL with ``--storage-url s3://`` and the CNCF registry with its
  ``s3`` driver, both on the same SeaweedFS (``weed mini``), each under its own prefix of one
  bucket: the blob push/pull runs of :mod:`bench.blobs` at 64 MiB and 1 GiB, with server RSS,
  and the crane image push/pull of :mod:`bench.images`.
- **Replicas**: two replicas on one PostgreSQL database and one bucket; HAProxy round-robin
  over both, and a second HAProxy over the first replica alone; wrk on the same manifest
  through each.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from cloudraya_registry.storage import BlobStore, open_driver

from bench.blobs import run_blob_bench
from bench.config import GIB, MIB, BenchConfig
from bench.images import run_image_bench
from bench.manifests import REPO_PATH, TAG, _script, run_wrk
from bench.oci_client import OciClient
from bench.results import Results, Row
from bench.servers import (
    NAMESPACE,
    S3_STORAGE,
    Endpoint,
    OurServer,
    ReferenceRegistry,
    bench_password,
)
from bench.stats import median
from tests.support.objectstore import fresh_s3_url, s3_environ
from tests.support.postgres import PostgresServer
from tests.support.replicas import LoadBalancer, ReplicaSet
from tests.support.seaweedfs import SeaweedS3

S3_PART = "S3 storage"
REPLICA_PART = "replicas"
S3_TARGET_RATIO = 0.8
REPLICA_TARGET_RATIO = 1.6


def run_s3_bench(cfg: BenchConfig, work: Path, results: Results) -> None:
    sizes = (1 * MIB, 8 * MIB) if cfg.quick else (64 * MIB, 1 * GIB)
    s3_cfg = dataclasses.replace(
        cfg, blob_sizes=sizes, blob_runs=min(cfg.blob_runs, 3), image_runs=min(cfg.image_runs, 3)
    )
    postgres = PostgresServer().start()
    weed = SeaweedS3(work / "weed", bucket="bench").start()
    ours = OurServer(
        work / "s3-ours",
        database_url=postgres.new_database(migrated=False),
        extra_args=["--storage-url", f"s3://{weed.bucket}/ours"],
        env=s3_environ(weed),
    )
    reference = ReferenceRegistry(
        work / "s3-reference",
        S3_STORAGE.format(
            access_key=weed.access_key,
            secret_key=weed.secret_key,
            endpoint=weed.endpoint,
            bucket=weed.bucket,
            prefix="/reference",
        ),
    )
    try:
        endpoints = [ours.start(), reference.start()]
        for run in (run_blob_bench, run_image_bench):
            run(
                s3_cfg,
                endpoints,
                work,
                results,
                part=S3_PART,
                prefix="S3 ",
                target_ratio=S3_TARGET_RATIO,
            )
    finally:
        ours.stop()
        reference.stop()
        weed.stop()
        postgres.stop()


def run_digest_check_bench(cfg: BenchConfig, work: Path, results: Results) -> None:
    """What closing an upload on another replica costs: its digest is checked by reading the
    stored bytes back (no running hash there), against the replica that received them."""
    size = 8 * MIB if cfg.quick else 256 * MIB
    weed = SeaweedS3(work / "digest-weed", bucket="bench").start()
    try:
        url, environ = fresh_s3_url(weed), s3_environ(weed)
        block = os.urandom(4 * MIB)
        figures: dict[str, tuple[float, float]] = {}
        for index, where in enumerate(("same replica", "another replica")):
            upload = f"bench-digest-upload-{index:04d}"
            receiver = BlobStore(open_driver(url, environ))
            receiver.create_upload(upload)
            writer = receiver.open_upload(upload)
            for _ in range(size // len(block)):
                writer.write(block)
            writer.close()
            closer = receiver if where == "same replica" else BlobStore(open_driver(url, environ))
            wall, cpu = time.perf_counter(), time.process_time()
            closer.seal_upload(upload, "sha256")
            figures[where] = (time.perf_counter() - wall, time.process_time() - cpu)
            closer.delete_upload(upload)
        same, other = figures["same replica"], figures["another replica"]
        results.add(
            Row(
                S3_PART,
                f"S3 upload close, {size // MIB} MiB, on another replica vs the same",
                "s",
                round(other[0], 3),
                round(same[0], 3),
                peer_label="same replica",
                better="lower",
                note=f"CPU {other[1]:.2f} s vs {same[1]:.2f} s; the other replica reads the "
                f"bytes back at {size / other[0] / 1e6:.0f} MB/s to check the digest",
                extra={"cpu_s": {"another replica": other[1], "same replica": same[1]}},
            )
        ).ratio_basis = "another replica / same replica"
    finally:
        weed.stop()


def _endpoint(label: str, url: str, pid: int, password: str, log: Path) -> Endpoint:
    return Endpoint(label, url, url.split("://", 1)[1], NAMESPACE, password, pid, log)


def run_replica_bench(cfg: BenchConfig, work: Path, results: Results) -> None:
    postgres = PostgresServer().start()
    weed = SeaweedS3(work / "replica-weed", bucket="bench").start()
    replicas = ReplicaSet(
        work / "replicas", database_url=postgres.new_database(migrated=False), weed=weed
    )
    alone = LoadBalancer(work / "one-replica", [replicas.replicas[0].host])
    password = bench_password()
    try:
        replicas.start()
        alone.start()
        replicas.create_registry(NAMESPACE, password=password, storage_gb=1000)
        first = replicas.replicas[0]
        two = _endpoint("ours", replicas.url, first.pid or 0, password, first.log_path)
        one = _endpoint("reference", alone.url, first.pid or 0, password, first.log_path)
        with OciClient(two, cfg.op_timeout_s) as client:
            client.push_small_image(two.repo(REPO_PATH), TAG)
        scripts = {e.label: _script(work, e, "GET") for e in (two, one)}
        for endpoint in (two, one):
            run_wrk(endpoint, scripts[endpoint.label], 16, 1)  # warm-up, not reported
        for concurrency in (16, 64):
            samples: dict[str, list[float]] = {"ours": [], "reference": []}
            errors = {"ours": 0, "reference": 0}
            for _ in range(1 if cfg.quick else 3):  # alternating, so load spikes hit both
                for endpoint in (two, one):
                    stats = run_wrk(
                        endpoint, scripts[endpoint.label], concurrency, cfg.manifest_seconds
                    )
                    failed = stats["status_errors"] + stats["socket_errors"]
                    errors[endpoint.label] += failed
                    # Only answered requests count (an unhealthy backend answers 503 fast).
                    ok = stats["requests"] - failed
                    samples[endpoint.label].append(ok / (stats["duration_us"] / 1e6))
            best = {label: median(values) for label, values in samples.items()}
            row = results.add(
                Row(
                    REPLICA_PART,
                    f"manifest GET c={concurrency}, two replicas vs one",
                    "req/s",
                    round(best["ours"], 1),
                    round(best["reference"], 1),
                    peer_label="one replica",
                    target=f">= {REPLICA_TARGET_RATIO}x one replica",
                    note="wrk through HAProxy; median of alternating runs; errors: "
                    + ", ".join(f"{k} {v}" for k, v in errors.items()),
                    extra={
                        "samples": {k: [round(v, 1) for v in vs] for k, vs in samples.items()},
                        "errors": errors,
                    },
                )
            )
            row.ratio_basis = "two replicas / one replica"
            row.target_met = row.ratio is not None and row.ratio >= REPLICA_TARGET_RATIO
    finally:
        alone.stop()
        replicas.stop()
        weed.stop()
        postgres.stop()
