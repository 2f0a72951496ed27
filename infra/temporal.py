"""Temporal client with the pydantic data converter, shared by API, consumers and worker."""

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.contrib.pydantic import pydantic_data_converter

from cognitest.infra.settings import TemporalSettings
from cognitest.infra.tracing import temporal_interceptors


class TemporalUnavailable(RuntimeError):
    pass


async def connect_temporal(settings: TemporalSettings, runtime: Runtime | None = None) -> Client:
    try:
        return await Client.connect(
            settings.effective_address,
            namespace=settings.namespace,
            data_converter=pydantic_data_converter,
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
