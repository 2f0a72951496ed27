"""Temporal client with the pydantic data converter, shared by API, consumers and worker."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from cognitest.infra.settings import TemporalSettings


class TemporalUnavailable(RuntimeError):
    pass


async def connect_temporal(settings: TemporalSettings) -> Client:
    try:
        return await Client.connect(
            settings.effective_address,
            namespace=settings.namespace,
            data_converter=pydantic_data_converter,
        )
    except Exception as exc:  # the SDK raises RuntimeError subclasses for "cannot connect"
        raise TemporalUnavailable(f"cannot reach Temporal at {settings.effective_address}: {exc}") from exc


def workflow_ui_link(ui_url: str, namespace: str, workflow_id: str) -> str:
    return f"{ui_url.rstrip('/')}/namespaces/{namespace}/workflows/{workflow_id}"
