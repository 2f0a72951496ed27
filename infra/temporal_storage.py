"""Large workflow payloads through the blob store (Temporal's external storage): a model's answer,
a feature's cases or a whole generation's publish job over the threshold travels between
activities and the workflow as a reference, so any answer the schema allows completes instead of
failing on Temporal's 2 MB payload limit (and being paid for again on every retry).

The payloads are stored by content hash like every other blob: the same payload twice is stored
once. Temporal's UI shows a reference for them, not the content."""

import asyncio
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ExternalStorage,
    StorageDriver,
    StorageDriverClaim,
    StorageDriverRetrieveContext,
    StorageDriverStoreContext,
)

from cognitest.infra.blob import BlobStore

# well under Temporal's 2 MB per payload and 4 MB per gRPC message, so that a workflow task that
# schedules several activities at once stays small too
THRESHOLD_BYTES = 256 * 1024
MEDIA_TYPE = "application/x-temporal-payload"


class BlobStorageDriver(StorageDriver):
    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    def name(self) -> str:
        return "cognitest-blob"

    async def store(self, context: StorageDriverStoreContext, payloads: Sequence[Payload]) -> list[StorageDriverClaim]:
        refs = await asyncio.gather(*[self.blobs.put(p.SerializeToString(), media_type=MEDIA_TYPE) for p in payloads])
        return [StorageDriverClaim(claim_data={"ref": ref}) for ref, _ in refs]

    async def retrieve(self, context: StorageDriverRetrieveContext,
                       claims: Sequence[StorageDriverClaim]) -> list[Payload]:
        raw = await asyncio.gather(*[self.blobs.get(c.claim_data["ref"]) for c in claims])
        payloads = []
        for data in raw:
            payload = Payload()
            payload.ParseFromString(data)
            payloads.append(payload)
        return payloads


def external_storage(blobs: BlobStore) -> ExternalStorage:
    return ExternalStorage(drivers=[BlobStorageDriver(blobs)], payload_size_threshold=THRESHOLD_BYTES)
