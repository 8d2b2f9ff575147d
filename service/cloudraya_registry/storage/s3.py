"""The S3-compatible driver (boto3): streaming, memory flat in file size, resumable anywhere.

A writer is an S3 multipart upload, started when its first part is due: parts are sent as
soon as ``PART_BYTES`` have arrived; what is left over at ``close()`` (less than a part, since
every part but the last must be at least 5 MiB) is the *tail*, kept inside the session when
it is at most ``INLINE_TAIL_BYTES``, else as an object of its own. The session - multipart
upload id, parts sent, tail - is a JSON object beside the file (``<path>.session``), so
another process resumes exactly where ``close()`` left off. Within one request the parts sent
are recorded every ``CHECKPOINT_PARTS`` parts (a crash mid-body keeps all but the last few
parts that arrived, and the client resumes from the recorded size); ``abort()`` puts back the
session the writer started from. ``commit()`` sends the tail as the last part and completes
the upload; a file smaller than a part (most layers, configs, manifests) never starts a
multipart upload and is written with one ``PutObject``. Requests are what a small upload
costs (each is milliseconds of CPU in boto3), so the writer makes none it can avoid.

Configured like every AWS tool: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_ENDPOINT_URL`` (any S3-compatible server) and ``AWS_REGION`` (default ``us-east-1``).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from cloudraya_registry.storage.driver import (
    FileInfo,
    PathNotFound,
    StorageUnavailable,
    check_path,
)

PART_BYTES = 8 * 1024 * 1024
# Below this a move is one CopyObject; above, a managed copy in parallel parts.
_MANAGED_COPY_BYTES = 64 * 1024 * 1024
# A checkpoint is one more request to the object store: one per 64 MiB, not one per part.
CHECKPOINT_PARTS = 8
SESSION_SUFFIX = ".session"
INLINE_TAIL_BYTES = 1024 * 1024
DEFAULT_REGION = "us-east-1"
_DELETE_BATCH = 1000
_MAX_CONNECTIONS = 32


def _not_found(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in {"404", "NoSuchKey", "NotFound", "NoSuchUpload"} or status == 404


@dataclass
class _Session:
    upload_id: str | None  # the multipart upload, once a part was due
    parts: list[list[Any]] = field(default_factory=list)  # [number, etag, size]
    tail: str | None = None  # key suffix of the tail object
    size: int = 0
    inline_tail: str | None = None  # or the tail itself, base64

    def tail_bytes(self, driver: S3Driver, key: str) -> bytes:
        if self.inline_tail is not None:
            return base64.b64decode(self.inline_tail)
        if self.tail is not None:
            return driver._get(key + self.tail)["Body"].read()
        return b""


class S3Reader(io.RawIOBase):
    """A seekable reader over one object: each (re)positioning opens a ranged GET."""

    def __init__(self, driver: S3Driver, key: str, size: int, offset: int) -> None:
        self._driver, self._key, self._size, self._pos = driver, key, size, offset
        self._body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        position = max(base + offset, 0)
        if position != self._pos:
            self._drop()
            self._pos = position
        return self._pos

    def read(self, size: int = -1) -> bytes:
        if self._pos >= self._size:
            return b""
        if self._body is None:
            self._body = self._driver._get(self._key, self._pos)["Body"]
        data = self._body.read() if size is None or size < 0 else self._body.read(size)
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop()
        super().close()


class S3Writer:
    def __init__(self, driver: S3Driver, path: str, append: bool) -> None:
        self._driver, self._path = driver, path
        self._key = driver._key(path)
        self._buffer = bytearray()
        if append:
            self._session = driver._load_session(path)
            self._buffer += self._session.tail_bytes(driver, self._key)
        else:
            self._session = _Session(None)
            driver._save_session(path, self._session)
        self._recorded = _Session(**asdict(self._session))
        self.size = self._session.size
        self._new_tail: str | None = None
        self._checkpointed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= PART_BYTES:
            with memoryview(self._buffer) as view:
                part = bytes(view[:PART_BYTES])  # one copy (a slice of the bytearray is two)
            self._send_part(part)
            del part
            del self._buffer[:PART_BYTES]

    def _send_part(self, body: bytes) -> None:
        if self._session.upload_id is None:
            self._start_multipart()
        number = len(self._session.parts) + 1
        sent = self._driver.client.upload_part(
            Bucket=self._driver.bucket,
            Key=self._key,
            UploadId=self._session.upload_id,
            PartNumber=number,
            Body=body,
        )
        self._session.parts.append([number, sent["ETag"], len(body)])
        if (len(self._session.parts) - len(self._recorded.parts)) % CHECKPOINT_PARTS == 0:
            self._checkpoint()

    def _start_multipart(self) -> None:
        created = self._driver.client.create_multipart_upload(
            Bucket=self._driver.bucket, Key=self._key
        )
        self._session.upload_id = created["UploadId"]
        # Recorded at once (with what this writer started from), so that whatever happens
        # next the multipart upload is known and can be aborted.
        self._recorded.upload_id = self._session.upload_id
        self._driver._save_session(self._path, self._recorded)

    def _checkpoint(self) -> None:
        # The parts so far, without the tail (its bytes went into a part).
        parts = self._session.parts
        checkpoint = _Session(self._session.upload_id, parts, size=sum(p[2] for p in parts))
        self._driver._save_session(self._path, checkpoint)
        self._checkpointed = True

    def close(self) -> None:
        if self.size == self._recorded.size:
            return  # nothing appended: the stored session is this one
        old_tail = self._recorded.tail
        self._session.tail = self._session.inline_tail = None
        if len(self._buffer) <= INLINE_TAIL_BYTES:
            self._session.inline_tail = base64.b64encode(self._buffer).decode() or None
        else:
            self._new_tail = f".tail-{self.size}"
            self._driver.client.put_object(
                Bucket=self._driver.bucket, Key=self._key + self._new_tail, Body=bytes(self._buffer)
            )
            self._session.tail = self._new_tail
        self._session.size = self.size
        self._driver._save_session(self._path, self._session)
        if old_tail is not None and old_tail != self._session.tail:
            self._driver._delete_keys([self._key + old_tail])

    def abort(self) -> None:
        # Parts sent past the recorded session are left unnamed: the next writer reuses their
        # numbers and completion lists only recorded parts.
        if self._new_tail is not None and self._new_tail != self._recorded.tail:
            self._driver._delete_keys([self._key + self._new_tail])
        if self._checkpointed:
            self._driver._save_session(self._path, self._recorded)
        self._session = self._recorded
        self.size = self._recorded.size
        self._buffer.clear()

    def cancel(self) -> None:
        self._driver._abort_session(self._path, self._session)

    def held_content(self) -> bytes | None:
        return None if self._session.parts else bytes(self._buffer)

    def commit(self) -> None:
        driver, client = self._driver, self._driver.client
        if not self._session.parts:
            # Smaller than one part: a plain object (and any multipart upload is dropped).
            client.put_object(Bucket=driver.bucket, Key=self._key, Body=bytes(self._buffer))
            driver._abort_multipart(self._key, self._session)
        else:
            if self._buffer:
                self._send_part(bytes(self._buffer))
            client.complete_multipart_upload(
                Bucket=driver.bucket,
                Key=self._key,
                UploadId=self._session.upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": n, "ETag": etag} for n, etag, _ in self._session.parts]
                },
            )
        self._buffer.clear()
        leftovers = [self._key + SESSION_SUFFIX]
        for tail in {self._recorded.tail, self._session.tail, self._new_tail} - {None}:
            leftovers.append(self._key + str(tail))
        driver._delete_keys(leftovers)


class S3Driver:
    """The :class:`~cloudraya_registry.storage.driver.StorageDriver` on one bucket (and prefix)."""

    def __init__(self, bucket: str, prefix: str, environ: Mapping[str, str]) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = environ.get("AWS_ENDPOINT_URL") or None
        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        config = Config(
            region_name=region,
            max_pool_connections=_MAX_CONNECTIONS,
            retries={"mode": "standard", "max_attempts": 5},
            # Our own digests verify content; extra checksums would only cost CPU.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            s3=self._s3_options(),
        )
        session = boto3.session.Session(
            aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID") or None,
            aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY") or None,
            aws_session_token=environ.get("AWS_SESSION_TOKEN") or None,
        )
        self.client = session.client("s3", endpoint_url=self.endpoint, config=config)

    def _s3_options(self) -> dict[str, Any]:
        """Requests are signed, bodies are not: SigV4 would hash every part once more on top
        of the blob digest (a third of a push's CPU). Integrity of the bytes on the wire is the
        transport's job, as for downloads, which are never signed: use an https endpoint
        across an untrusted network."""
        options: dict[str, Any] = {"payload_signing_enabled": False}
        if self.endpoint:
            options["addressing_style"] = "path"
        return options

    # -- keys ------------------------------------------------------------------------------
    def _key(self, path: str) -> str:
        check_path(path)
        return f"{self.prefix}/{path}" if self.prefix else path

    def _path(self, key: str) -> str:
        return key[len(self.prefix) + 1 :] if self.prefix else key

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/") + self._where()

    def ping(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 or _not_found(error):
                raise StorageUnavailable(
                    f"bucket {self.bucket!r} does not exist{self._where()}; create it first"
                ) from None
            if status in (401, 403):
                raise StorageUnavailable(
                    f"bucket {self.bucket!r}{self._where()} refused the credentials "
                    "(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
                ) from None
            raise StorageUnavailable(
                f"bucket {self.bucket!r}{self._where()} answered HTTP {status}"
            ) from None
        except BotoCoreError as error:
            raise StorageUnavailable(f"cannot reach S3{self._where()}: {error}") from None

    def _where(self) -> str:
        return f" at {self.endpoint}" if self.endpoint else ""

    # -- objects ---------------------------------------------------------------------------
    def _get(self, key: str, offset: int = 0) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        extra = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key, **extra)
        except ClientError as error:
            if _not_found(error):
                raise PathNotFound(self._path(key)) from None
            raise

    def stat(self, path: str) -> FileInfo | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(path))
        except ClientError as error:
            if _not_found(error):
                return None
            raise
        return FileInfo(path, int(head["ContentLength"]), head["LastModified"].timestamp())

    def reader(self, path: str, offset: int = 0) -> BinaryIO:
        info = self.stat(path)
        if info is None:
            raise PathNotFound(path)
        return io.BufferedReader(S3Reader(self, self._key(path), info.size, offset), 1024 * 1024)

    def get_content(self, path: str, max_size: int) -> bytes:
        body = self._get(self._key(path))["Body"]
        try:
            data = body.read(max_size + 1)
        finally:
            body.close()
        if len(data) > max_size:
            raise ValueError(f"{path} is larger than {max_size} bytes")
        return data

    def put_content(self, path: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(path), Body=data)

    def writer(self, path: str, append: bool = False) -> S3Writer:
        return S3Writer(self, path, append)

    def resumable_size(self, path: str) -> int | None:
        try:
            return self._load_session(path).size
        except PathNotFound:
            info = self.stat(path)
            return None if info is None else info.size

    def _objects(self, key_prefix: str, delimiter: str | None = None) -> Iterator[dict]:
        paginator = self.client.get_paginator("list_objects_v2")
        extra = {"Delimiter": delimiter} if delimiter else {}
        yield from paginator.paginate(Bucket=self.bucket, Prefix=key_prefix, **extra)

    def list(self, prefix: str) -> Iterator[FileInfo]:
        for page in self._objects(self._key(prefix) + "/"):
            for item in page.get("Contents", []):
                yield FileInfo(
                    self._path(item["Key"]), int(item["Size"]), item["LastModified"].timestamp()
                )

    def children(self, prefix: str) -> Iterator[str]:
        start = self._key(prefix) + "/"
        names: set[str] = set()
        for page in self._objects(start, delimiter="/"):
            names.update(
                p["Prefix"][len(start) :].rstrip("/") for p in page.get("CommonPrefixes", [])
            )
            names.update(item["Key"][len(start) :] for item in page.get("Contents", []))
        yield from sorted(name for name in names if name)

    def move(self, source: str, destination: str) -> None:
        from boto3.s3.transfer import TransferConfig
        from botocore.exceptions import ClientError

        info = self.stat(source)
        if info is None:
            raise PathNotFound(source)
        copied = {"Bucket": self.bucket, "Key": self._key(source)}
        try:
            if info.size < _MANAGED_COPY_BYTES:
                self.client.copy_object(
                    CopySource=copied, Bucket=self.bucket, Key=self._key(destination)
                )
            else:  # server-side, in parallel parts
                self.client.copy(
                    copied,
                    self.bucket,
                    self._key(destination),
                    Config=TransferConfig(
                        multipart_threshold=_MANAGED_COPY_BYTES, max_concurrency=8
                    ),
                )
        except ClientError as error:
            if _not_found(error):
                raise PathNotFound(source) from None
            raise
        self._delete_keys([self._key(source)])

    def delete(self, path: str) -> bool:
        key = self._key(path)
        doomed: list[str] = []
        for page in self._objects(key):  # the file itself and everything under it: one listing
            doomed.extend(
                item["Key"]
                for item in page.get("Contents", [])
                if item["Key"] == key or item["Key"].startswith(key + "/")
            )
        for session_key in [k for k in doomed if k.endswith(SESSION_SUFFIX)]:
            session_path = self._path(session_key)[: -len(SESSION_SUFFIX)]
            with contextlib.suppress(PathNotFound):
                self._abort_multipart(self._key(session_path), self._load_session(session_path))
        self._delete_keys(doomed)
        return bool(doomed)

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )

    def local_path(self, path: str) -> Path | None:
        return None

    def redirect_url(self, path: str) -> str | None:
        return None

    # -- writer sessions ---------------------------------------------------------------------
    def _load_session(self, path: str) -> _Session:
        body = self._get(self._key(path) + SESSION_SUFFIX)["Body"]
        try:
            return _Session(**json.loads(body.read()))
        finally:
            body.close()

    def _save_session(self, path: str, session: _Session) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(path) + SESSION_SUFFIX,
            Body=json.dumps(asdict(session)).encode(),
        )

    def _abort_multipart(self, key: str, session: _Session) -> None:
        from botocore.exceptions import ClientError

        if session.upload_id is None:
            return
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=session.upload_id
            )
        except ClientError as error:
            if not _not_found(error):
                raise

    def _abort_session(self, path: str, session: _Session) -> None:
        key = self._key(path)
        self._abort_multipart(key, session)
        tails = [key + t for t in {session.tail} if t]
        self._delete_keys([key + SESSION_SUFFIX, *tails])
