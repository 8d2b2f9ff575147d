"""A whole image of many small layers pushed and pulled with a real client (crane).

Each run builds a new image (fresh random layers), so no layer already exists on either side
and every blob really travels.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

from bench.config import BenchConfig
from bench.results import Results, Row
from bench.servers import Endpoint
from bench.stats import median, spread
from tests.support.paths import require_tool, search_path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


def build_layout(directory: Path, layers: int, layer_bytes: int, seed: str) -> Path:
    """An OCI image layout (tag ``latest``): ``layers`` gzip layers with one random file each."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    generator = random.Random(seed)

    def blob(data: bytes) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    descriptors, diff_ids = [], []
    for index in range(layers):
        tar_buffer = io.BytesIO()
        with tarfile.open(fileobj=tar_buffer, mode="w") as archive:
            payload = generator.randbytes(layer_bytes)
            info = tarfile.TarInfo(f"layer-{index:03d}/data.bin")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
        diff_ids.append("sha256:" + hashlib.sha256(tar_buffer.getvalue()).hexdigest())
        descriptors.append(
            {"mediaType": GZIP_LAYER, **blob(gzip.compress(tar_buffer.getvalue(), mtime=0))}
        )
    config = blob(
        json.dumps(
            {"architecture": "amd64", "os": "linux", "config": {},
             "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        ).encode()
    )  # fmt: skip
    manifest = blob(
        json.dumps(
            {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
             "config": {"mediaType": OCI_CONFIG, **config}, "layers": descriptors}
        ).encode()
    )  # fmt: skip
    index = {
        "schemaVersion": 2,
        "manifests": [
            {"mediaType": OCI_MANIFEST, **manifest,
             "annotations": {"org.opencontainers.image.ref.name": "latest"}}
        ],
    }  # fmt: skip
    (directory / "index.json").write_text(json.dumps(index))
    (directory / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return directory


class Crane:
    """crane with its own docker config (credentials for both registries) and HOME."""

    def __init__(self, work: Path, endpoints: list[Endpoint], timeout_s: float) -> None:
        self.home = work / "crane-home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.env = {
            "PATH": search_path(),
            "HOME": str(self.home),
            "DOCKER_CONFIG": str(self.home / ".docker"),
        }
        self.timeout_s = timeout_s
        for endpoint in endpoints:
            self.run(
                "auth", "login", endpoint.host, "-u", endpoint.username, "--password-stdin",
                stdin=endpoint.password,
            )  # fmt: skip

    def run(self, *args: str, stdin: str | None = None) -> float:
        started = time.perf_counter()
        result = subprocess.run(
            [require_tool("crane"), *args, "--insecure"],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=self.timeout_s,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(f"crane {args[0]} failed ({result.returncode}): {result.stderr}")
        return elapsed


def run_image_bench(
    cfg: BenchConfig,
    endpoints: list[Endpoint],
    work: Path,
    results: Results,
    *,
    part: str = "data plane",
    prefix: str = "",
    target_ratio: float = 1.0,
) -> None:
    """Rows are named ``{prefix}image ...`` in ``part``; ``target_ratio`` of the reference's
    speed, i.e. at most ``1 / target_ratio`` times its time (the blob runs' convention)."""
    time_limit = round(1 / target_ratio, 2)
    crane = Crane(work, endpoints, cfg.op_timeout_s)
    seconds: dict[str, dict[str, list[float]]] = {
        e.label: {"push": [], "pull": []} for e in endpoints
    }
    for run in range(cfg.image_runs):
        for endpoint in endpoints:
            layout = build_layout(
                work / f"image-{endpoint.label}-{run}", cfg.image_layers,
                cfg.image_layer_bytes, seed=f"{endpoint.label}-{run}",
            )  # fmt: skip
            ref = f"{endpoint.host}/{endpoint.repo(f'images/run-{run}')}:latest"
            seconds[endpoint.label]["push"].append(crane.run("push", str(layout), ref))
            pulled = work / f"pulled-{endpoint.label}-{run}"
            seconds[endpoint.label]["pull"].append(
                crane.run("pull", "--format", "oci", ref, str(pulled))
            )
            if len(list((pulled / "blobs" / "sha256").iterdir())) < cfg.image_layers + 2:
                raise RuntimeError(f"{endpoint.label}: crane pulled fewer blobs than pushed")
            shutil.rmtree(layout)
            shutil.rmtree(pulled)
    shape = f"{cfg.image_layers} layers of {cfg.image_layer_bytes // 1024} KiB"
    for op in ("push", "pull"):
        ours = median(seconds["ours"][op])
        peer = median(seconds["reference"][op])
        samples = {label: by_op[op] for label, by_op in seconds.items()}
        row = results.add(
            Row(
                part,
                f"{prefix}image {op} with crane ({cfg.image_layers} small layers)",
                "s",
                round(ours, 3),
                round(peer, 3),
                better="lower",
                target=f"<= {time_limit}x the reference's time",
                note=f"{shape}; median of {cfg.image_runs} ({spread(samples, 3)} s)",
                extra={"samples": {k: [round(x, 3) for x in v] for k, v in samples.items()}},
            )
        )
        row.target_met = row.ratio is not None and row.ratio <= time_limit
