"""OpenTelemetry traces across the whole path: HTTP request -> published event -> consumer ->
Temporal workflow -> activities -> follow-up events. The envelope's `traceparent` (W3C Trace
Context) carries the trace across the bus; Temporal's interceptor carries it into workflows.

Off by default: without `COGNITEST_TRACING__OTLP_ENDPOINT` no SDK is installed and every span is
the API's no-op span. With it, spans are batched and exported over OTLP/HTTP."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import context as otel_context, trace
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from cognitest.infra.settings import TracingSettings

log = structlog.get_logger(__name__)
_propagator = TraceContextTextMapPropagator()
_enabled = False
tracer = trace.get_tracer("cognitest")


def setup_tracing(settings: TracingSettings, service: str) -> bool:
    """Install the SDK with an OTLP exporter when an endpoint is configured. True when on."""
    global _enabled
    if not settings.otlp_endpoint or _enabled:
        return _enabled
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    endpoint = settings.otlp_endpoint.rstrip("/")
    if not endpoint.endswith("/v1/traces"):
        endpoint += "/v1/traces"
    provider = TracerProvider(resource=Resource.create({"service.name": f"cognitest-{service}",
                                                        "service.namespace": "cognitest"}),
                              sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, headers=settings.headers or None),
                                                   schedule_delay_millis=settings.export_delay_ms))
    trace.set_tracer_provider(provider)
    _enabled = True
    log.info("tracing.on", endpoint=endpoint, service=service, sample_ratio=settings.sample_ratio)
    return True


def enabled() -> bool:
    return _enabled


def shutdown_tracing() -> None:
    """Flush what is buffered (a process that stops must not drop its last spans)."""
    provider = trace.get_tracer_provider()
    shutdown = getattr(provider, "shutdown", None)
    if _enabled and shutdown is not None:
        shutdown()


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, or None outside a recorded trace."""
    if not _enabled:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def context_of(traceparent: str | None) -> otel_context.Context | None:
    if not traceparent:
        return None
    return _propagator.extract({"traceparent": traceparent})


@contextmanager
def consuming(consumer: str, event: Any) -> Iterator[None]:
    """The span of one consumer handling one event, a child of the span that published it."""
    if not _enabled:
        yield
        return
    parent = context_of(getattr(event, "traceparent", None))
    with tracer.start_as_current_span(
        f"{consumer} {event.type}", context=parent, kind=SpanKind.CONSUMER,
        attributes={"messaging.system": "nats", "messaging.operation.type": "process",
                    "messaging.consumer.group.name": consumer, "messaging.message.id": event.id,
                    "cognitest.event.type": event.type, "cognitest.project": str(event.subject)},
    ):
        yield


@contextmanager
def consuming_batch(consumer: str, events: list[Any]) -> Iterator[None]:
    """One span for a batch applied in one transaction, linked to the span of every event in it
    (the OpenTelemetry shape for batch consumers), plus a child span per traced event so each
    event's own trace shows it was applied."""
    if not _enabled:
        yield
        return
    parents = [(event, context_of(getattr(event, "traceparent", None))) for event in events]
    links = [Link(trace.get_current_span(ctx).get_span_context()) for _, ctx in parents if ctx is not None]
    own = [tracer.start_span(f"{consumer} {event.type}", context=ctx, kind=SpanKind.CONSUMER,
                             attributes={"messaging.message.id": event.id, "cognitest.event.type": event.type,
                                         "cognitest.project": str(event.subject)})
           for event, ctx in parents if ctx is not None]
    try:
        with tracer.start_as_current_span(f"{consumer} batch", kind=SpanKind.CONSUMER, links=links[:128],
                                          attributes={"messaging.batch.message_count": len(events),
                                                      "messaging.consumer.group.name": consumer}):
            yield
    finally:
        for span in own:
            span.end()


def add_trace_ids(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the current trace and span ids on every log line inside a span."""
    if _enabled:
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            event_dict.setdefault("trace_id", format(span.trace_id, "032x"))
            event_dict.setdefault("span_id", format(span.span_id, "016x"))
    return event_dict


def temporal_interceptors() -> list[Any]:
    """Temporal's OpenTelemetry interceptor (client and worker) when tracing is on."""
    if not _enabled:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]


def instrument_fastapi(app: Any) -> None:
    if _enabled:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"])
