"""The blob store: documents, reports and artifacts by content hash. A local directory in the
embedded stack, S3 (MinIO in compose.yaml) through aioboto3 when an endpoint is configured.
Events carry the reference, never the bytes."""

import asyncio
import hashlib
from pathlib import Path
from typing import Any, Protocol

from cognitest.infra.settings import Settings


class BlobNotFound(KeyError):
    pass


class BlobStore(Protocol):
    async def put(self, data: bytes, *, media_type: str = "application/octet-stream") -> tuple[str, bool]:
        """Store bytes; returns (reference, created) where created is False if it was there."""

    async def get(self, ref: str) -> bytes: ...

    async def delete(self, ref: str) -> None: ...


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    async def put(self, data: bytes, *, media_type: str = "application/octet-stream") -> tuple[str, bool]:
        digest = sha256(data)
        path = self._path(digest)
        if path.exists():
            return f"blob:sha256:{digest}", False

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)  # atomic: a crash never leaves half a blob under its name

        await asyncio.to_thread(write)
        return f"blob:sha256:{digest}", True

    async def get(self, ref: str) -> bytes:
        path = self._path(_digest(ref))
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise BlobNotFound(ref) from None

    async def delete(self, ref: str) -> None:
        self._path(_digest(ref)).unlink(missing_ok=True)


class S3BlobStore:
    def __init__(self, settings: Settings) -> None:
        import aioboto3

        self.blob = settings.blob
        self.session = aioboto3.Session()  # one session for the process, not one per call
        self._bucket_ready = False

    def _client(self) -> Any:
        return self.session.client(
            "s3", endpoint_url=self.blob.s3_endpoint_url, region_name=self.blob.region,
            aws_access_key_id=self.blob.access_key_id, aws_secret_access_key=self.blob.secret_access_key,
        )

    async def put(self, data: bytes, *, media_type: str = "application/octet-stream") -> tuple[str, bool]:
        digest = sha256(data)
        key = f"sha256/{digest}"
        async with self._client() as s3:
            if not self._bucket_ready:
                try:
                    await s3.head_bucket(Bucket=self.blob.bucket)
                except Exception:  # noqa: BLE001  first use against a fresh MinIO: create it
                    await s3.create_bucket(Bucket=self.blob.bucket)
                self._bucket_ready = True
            try:
                await s3.head_object(Bucket=self.blob.bucket, Key=key)
                return f"s3://{self.blob.bucket}/{key}", False
            except Exception:  # noqa: BLE001  not there yet
                pass
            await s3.put_object(Bucket=self.blob.bucket, Key=key, Body=data, ContentType=media_type)
        return f"s3://{self.blob.bucket}/{key}", True

    async def get(self, ref: str) -> bytes:
        bucket, _, key = ref.removeprefix("s3://").partition("/")
        async with self._client() as s3:
            try:
                response = await s3.get_object(Bucket=bucket, Key=key)
            except Exception as exc:  # noqa: BLE001
                raise BlobNotFound(ref) from exc
            return await response["Body"].read()

    async def delete(self, ref: str) -> None:
        bucket, _, key = ref.removeprefix("s3://").partition("/")
        async with self._client() as s3:
            await s3.delete_object(Bucket=bucket, Key=key)


def _digest(ref: str) -> str:
    digest = ref.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise BlobNotFound(ref)
    return digest


def blob_store(settings: Settings) -> BlobStore:
    if settings.blob.s3_endpoint_url:
        return S3BlobStore(settings)
    return LocalBlobStore(settings.blob.local_path(settings.data_dir))
