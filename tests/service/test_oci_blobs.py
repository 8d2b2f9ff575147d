"""Blob uploads (monolithic, POST+PUT, chunked), reads with Range, mounts and deletes."""

from __future__ import annotations

import os

from tests.service.oci_helpers import (
    chunks,
    oci_error_codes,
    oci_error_message,
    registry_with_client,
    sha256,
)
from tests.support.service import RegistryService

REPO = "dev-registry/blobs"


def test_monolithic_and_post_put_uploads_store_exact_bytes(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    first = os.urandom(300_000)
    created = client.push_blob(REPO, first)
    assert created.status_code == 201
    assert created.headers["Docker-Content-Digest"] == sha256(first)
    assert created.headers["Location"] == f"/v2/{REPO}/blobs/{sha256(first)}"

    second = os.urandom(5_000)
    session = client.start_upload(REPO)
    assert session.status_code == 202
    assert session.headers["Docker-Upload-UUID"]
    finished = client.http.put(
        session.headers["Location"], params={"digest": sha256(second)}, content=second
    )
    assert finished.status_code == 201

    for blob in (first, second):
        head = client.http.head(f"/v2/{REPO}/blobs/{sha256(blob)}")
        assert head.status_code == 200
        assert int(head.headers["Content-Length"]) == len(blob)
        assert head.headers["Docker-Content-Digest"] == sha256(blob)
        assert client.get_blob(REPO, sha256(blob)).content == blob


def test_chunked_upload_reports_progress_and_refuses_gaps(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    data = os.urandom(3 * 1024 * 1024 + 17)
    location = client.start_upload(REPO).headers["Location"]
    offset = 0
    for chunk in chunks(data, 1024 * 1024):
        patched = client.http.patch(
            location,
            content=chunk,
            headers={
                "Content-Range": f"{offset}-{offset + len(chunk) - 1}",
                "Content-Type": "application/octet-stream",
            },
        )
        assert patched.status_code == 202, patched.text
        offset += len(chunk)
        assert patched.headers["Range"] == f"0-{offset - 1}"
        location = patched.headers["Location"]

        status = client.http.get(location)
        assert status.status_code == 204
        assert status.headers["Range"] == f"0-{offset - 1}"
        assert status.headers["Docker-Upload-UUID"]

    # A chunk that does not continue at the current offset is refused and changes nothing.
    gap = client.http.patch(
        location, content=b"x" * 10, headers={"Content-Range": f"{offset + 5}-{offset + 14}"}
    )
    assert gap.status_code == 416
    assert gap.headers["Range"] == f"0-{offset - 1}"
    assert str(offset) in oci_error_message(gap)

    done = client.http.put(location, params={"digest": sha256(data)})
    assert done.status_code == 201
    assert client.get_blob(REPO, sha256(data)).content == data
    # A finished upload is gone.
    assert client.http.get(location).status_code == 404
    assert oci_error_codes(client.http.get(location)) == ["BLOB_UPLOAD_UNKNOWN"]


def test_range_requests_return_exact_slices(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    data = os.urandom(2 * 1024 * 1024 + 3)
    digest = sha256(data)
    assert client.push_blob(REPO, data).status_code == 201

    cases = {
        "bytes=0-99": data[:100],
        "bytes=1048570-1048580": data[1048570:1048581],
        f"bytes={len(data) - 10}-": data[-10:],
        "bytes=-7": data[-7:],
        f"bytes=100-{len(data) + 500}": data[100:],
    }
    for header, expected in cases.items():
        response = client.get_blob(REPO, digest, headers={"Range": header})
        assert response.status_code == 206, header
        assert response.content == expected, header
        start = (
            len(data) - len(expected)
            if header.startswith("bytes=-")
            else int(header.split("=")[1].split("-")[0])
        )
        assert response.headers["Content-Range"] == (
            f"bytes {start}-{start + len(expected) - 1}/{len(data)}"
        )

    for bad in (f"bytes={len(data)}-", "bytes=50-10", "items=0-1", "bytes=0-1,5-6"):
        response = client.get_blob(REPO, digest, headers={"Range": bad})
        assert response.status_code == 416, bad
        assert response.headers["Content-Range"] == f"bytes */{len(data)}"
        assert oci_error_codes(response)


def test_cross_repository_mount_inside_a_registry(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    data = os.urandom(50_000)
    assert client.push_blob("dev-registry/source", data).status_code == 201

    mounted = client.http.post(
        "/v2/dev-registry/target/blobs/uploads/",
        params={"mount": sha256(data), "from": "dev-registry/source"},
    )
    assert mounted.status_code == 201
    assert mounted.headers["Docker-Content-Digest"] == sha256(data)
    assert client.get_blob("dev-registry/target", sha256(data)).content == data

    missing = client.http.post(
        "/v2/dev-registry/target/blobs/uploads/",
        params={"mount": sha256(b"never pushed"), "from": "dev-registry/source"},
    )
    assert missing.status_code == 202
    assert missing.headers["Location"].startswith("/v2/dev-registry/target/blobs/uploads/")


def test_deleted_blob_is_gone_from_that_repository_only(service: RegistryService) -> None:
    client = registry_with_client(service, "dev-registry")
    data = os.urandom(10_000)
    assert client.push_blob("dev-registry/one", data).status_code == 201
    assert client.push_blob("dev-registry/two", data).status_code == 201

    assert client.http.delete(f"/v2/dev-registry/one/blobs/{sha256(data)}").status_code == 202
    gone = client.get_blob("dev-registry/one", sha256(data))
    assert gone.status_code == 404
    assert oci_error_codes(gone) == ["BLOB_UNKNOWN"]
    assert client.get_blob("dev-registry/two", sha256(data)).content == data
    again = client.http.delete(f"/v2/dev-registry/one/blobs/{sha256(data)}")
    assert again.status_code == 404


def test_concurrent_pushes_of_the_same_blob_both_succeed(service: RegistryService) -> None:
    import concurrent.futures

    client = registry_with_client(service, "dev-registry")
    data = os.urandom(4 * 1024 * 1024)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda i: client.push_blob(f"dev-registry/r{i % 2}", data), range(4))
        )
    assert [r.status_code for r in results] == [201] * 4
    for repo in ("dev-registry/r0", "dev-registry/r1"):
        assert client.get_blob(repo, sha256(data)).content == data


def test_a_blob_no_longer_in_the_page_cache_is_read_from_disk_whole(
    service: RegistryService,
) -> None:
    """Downloads read cached bytes on the event loop and the rest on a worker thread: a blob
    whose pages were dropped from memory still comes back byte for byte, whole and in ranges."""
    client = registry_with_client(service, "dev-registry")
    data = os.urandom(3 * 1024 * 1024 + 11)
    digest = sha256(data)
    assert client.push_blob(REPO, data).status_code == 201
    hex_digest = digest.split(":", 1)[1]
    stored = service.data_dir / "blobs" / "sha256" / hex_digest[:2] / hex_digest
    for expected, headers in ((data, {}), (data[1_500_000:], {"Range": "bytes=1500000-"})):
        fd = os.open(stored, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        response = client.get_blob(REPO, digest, headers=headers)
        assert response.status_code in (200, 206)
        assert response.content == expected
