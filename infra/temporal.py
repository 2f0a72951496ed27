"""Temporal client with the pydantic data converter and large payloads through the blob store,
shared by API, consumers and worker."""

import dataclasses

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.contrib.pydantic import pydantic_data_converter

from cognitest.infra.blob import blob_store
from cognitest.infra.settings import Settings
from cognitest.infra.temporal_storage import external_storage
from cognitest.infra.tracing import temporal_interceptors


class TemporalUnavailable(RuntimeError):
    pass


async def connect_temporal(full: Settings, runtime: Runtime | None = None) -> Client:
    """Every process that starts, runs or reads a workflow must connect this way: a payload one of
    them stored in the blob store is read back by another."""
    settings = full.temporal
    converter = dataclasses.replace(pydantic_data_converter, external_storage=external_storage(blob_store(full)))
    try:
        return await Client.connect(
            settings.effective_address,
            namespace=settings.namespace,
            data_converter=converter,
            runtime=runtime,
            interceptors=temporal_interceptors(),
        )
    except Exception as exc:  # the SDK raises RuntimeError subclasses for "cannot connect"
        raise TemporalUnavailable(f"cannot reach Temporal at {settings.effective_address}: {exc}") from exc


def workflow_ui_link(ui_url: str, namespace: str, workflow_id: str) -> str:
    return f"{ui_url.rstrip('/')}/namespaces/{namespace}/workflows/{workflow_id}"


def metrics_runtime(host: str, port: int) -> Runtime | None:
    """A Temporal runtime whose SDK metrics (workflow and activity task latencies, polls, failures)
    Prometheus scrapes at host:port; None (the default runtime) when off or the port is taken."""
    if not port:
        return None
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"{host}:{port}")))
    except Exception:  # noqa: BLE001  a taken port must not stop the worker
        return None
