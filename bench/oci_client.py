"""A streaming OCI Distribution client (httpx), the same one for both registries.

Uploads read the blob file piece by piece and downloads are hashed and dropped as they arrive,
so no blob is ever held in memory, whatever its size.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx

from bench.servers import Endpoint

PIECE = 1024 * 1024
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def write_blob_file(path: Path, size: int, seed: int) -> str:
    """Pseudo-random bytes (incompressible) written in pieces; returns the digest."""
    generator = random.Random(seed)
    hasher = hashlib.sha256()
    with path.open("wb") as handle:
        remaining = size
        while remaining:
            piece = generator.randbytes(min(PIECE, remaining))
            hasher.update(piece)
            handle.write(piece)
            remaining -= len(piece)
    return "sha256:" + hasher.hexdigest()


def _file_pieces(path: Path, start: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining:
            piece = handle.read(min(PIECE, remaining))
            if not piece:
                raise RuntimeError(f"{path} ended {remaining} bytes early")
            remaining -= len(piece)
            yield piece


class OciClient:
    def __init__(self, endpoint: Endpoint, timeout_s: float) -> None:
        self.endpoint = endpoint
        self.http = httpx.Client(
            base_url=endpoint.url,
            auth=endpoint.auth,
            timeout=httpx.Timeout(timeout_s, connect=10.0),
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> OciClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- uploads ---------------------------------------------------------------------------
    def _expect(self, response: httpx.Response, status: int, what: str) -> httpx.Response:
        if response.status_code != status:
            raise RuntimeError(
                f"{self.endpoint.label}: {what} answered {response.status_code} "
                f"(expected {status}): {response.text[:300]}"
            )
        return response

    def _location(self, response: httpx.Response) -> str:
        return urljoin(str(response.url), response.headers["location"])

    def _start_upload(self, repo: str) -> str:
        response = self.http.post(f"/v2/{repo}/blobs/uploads/")
        return self._location(self._expect(response, 202, "POST upload"))

    @staticmethod
    def _with_digest(location: str, digest: str) -> str:
        return f"{location}{'&' if '?' in location else '?'}digest={digest}"

    def push_monolithic(self, repo: str, path: Path, size: int, digest: str) -> float:
        """POST then one PUT carrying the whole blob; seconds from POST to 201."""
        started = time.perf_counter()
        location = self._start_upload(repo)
        response = self.http.put(
            self._with_digest(location, digest),
            content=_file_pieces(path, 0, size),
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
        )
        self._expect(response, 201, "PUT blob")
        return time.perf_counter() - started

    def push_chunked(self, repo: str, path: Path, size: int, digest: str, chunk: int) -> float:
        """POST, one PATCH per chunk (Content-Range), then a closing PUT without a body."""
        started = time.perf_counter()
        location = self._start_upload(repo)
        offset = 0
        while offset < size:
            length = min(chunk, size - offset)
            response = self.http.patch(
                location,
                content=_file_pieces(path, offset, length),
                headers={
                    "Content-Length": str(length),
                    "Content-Range": f"{offset}-{offset + length - 1}",
                    "Content-Type": "application/octet-stream",
                },
            )
            location = self._location(self._expect(response, 202, "PATCH chunk"))
            offset += length
        response = self.http.put(
            self._with_digest(location, digest), headers={"Content-Length": "0"}
        )
        self._expect(response, 201, "closing PUT")
        return time.perf_counter() - started

    def put_small_blob(self, repo: str, data: bytes) -> dict[str, object]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        location = self._start_upload(repo)
        response = self.http.put(self._with_digest(location, digest), content=data)
        self._expect(response, 201, "PUT small blob")
        return {"digest": digest, "size": len(data)}

    # -- downloads -------------------------------------------------------------------------
    def pull(self, repo: str, digest: str, size: int) -> float:
        """GET the blob, hashing it as it streams; seconds to the last byte."""
        started = time.perf_counter()
        hasher = hashlib.sha256()
        received = 0
        with self.http.stream("GET", f"/v2/{repo}/blobs/{digest}") as response:
            self._expect(response, 200, "GET blob")
            for piece in response.iter_raw(PIECE):
                hasher.update(piece)
                received += len(piece)
        elapsed = time.perf_counter() - started
        if received != size or "sha256:" + hasher.hexdigest() != digest:
            raise RuntimeError(
                f"{self.endpoint.label}: pulled {received} bytes of {size}, digest "
                f"{'matches' if 'sha256:' + hasher.hexdigest() == digest else 'differs'}"
            )
        return elapsed

    # -- manifests -------------------------------------------------------------------------
    def push_small_image(self, repo: str, tag: str) -> str:
        """A one-layer image under ``tag``; returns the manifest digest."""
        layer = self.put_small_blob(repo, random.Random(tag).randbytes(2048))
        config = json.dumps(
            {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
             "diff_ids": [layer["digest"]]}, "config": {}}
        ).encode()  # fmt: skip
        config_desc = self.put_small_blob(repo, config)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, **config_desc},
                "layers": [{"mediaType": OCI_LAYER, **layer}],
            }
        ).encode()
        response = self.http.put(
            f"/v2/{repo}/manifests/{tag}",
            content=manifest,
            headers={"Content-Type": OCI_MANIFEST},
        )
        self._expect(response, 201, "PUT manifest")
        return "sha256:" + hashlib.sha256(manifest).hexdigest()
