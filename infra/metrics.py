"""Prometheus metrics of every Cognitest process (one registry per process; the API serves them
at /metrics, the consumers and the worker on their own port, Temporal's SDK on another)."""

import structlog
from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = structlog.get_logger(__name__)
LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

HTTP_REQUESTS = Histogram("cognitest_http_request_duration_seconds", "API request latency by route and status",
                          ["method", "route", "status"], buckets=LATENCY)
EVENTS_PUBLISHED = Counter("cognitest_events_published_total", "Events acknowledged by JetStream, by type", ["type"])
EVENTS_CONSUMED = Counter("cognitest_events_consumed_total", "Messages handed to a consumer, by event type",
                          ["consumer", "type"])
HANDLER_SECONDS = Histogram("cognitest_consumer_batch_duration_seconds", "Time a consumer spends on one batch",
                            ["consumer"], buckets=LATENCY)
RETRIES = Counter("cognitest_event_retries_total", "Messages handed back for a later retry", ["consumer"])
DEAD_LETTERS = Counter("cognitest_dead_letters_total", "Messages dead-lettered", ["consumer"])
CONSUMER_PENDING = Gauge("cognitest_consumer_pending_messages", "Messages not yet delivered to a durable consumer",
                         ["durable"])
CONSUMER_UNACKED = Gauge("cognitest_consumer_unacknowledged_messages", "Messages delivered but not yet acknowledged",
                         ["durable"])
GENERATIONS = Counter("cognitest_generations_total", "Generations published, by engine", ["engine"])
GENERATION_TOKENS = Counter("cognitest_generation_tokens_total", "Model tokens used by generation", ["model"])
GENERATION_PROMPT_TOKENS = Counter("cognitest_generation_prompt_tokens_total", "Prompt tokens sent to models, by "
                                   "whether the provider's prompt cache served them (hit rate = cached / all)",
                                   ["model", "cached"])
GENERATION_SECONDS = Histogram("cognitest_generation_step_seconds", "Time of one generation step (plan, feature)",
                               ["engine", "step"], buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
GENERATION_COST = Counter("cognitest_generation_cost_usd_total", "Model cost of generation in USD", ["model"])
CASE_CONFIDENCE = Histogram("cognitest_generated_case_confidence", "Confidence of generated cases",
                            buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0))
RUNS = Counter("cognitest_runs_total", "Test runs finished, by status", ["status"])
FEEDBACK = Counter("cognitest_feedback_total", "Feedback recorded on generated artifacts, by agent and verdict "
                   "(acceptance rate = (accepted + modified) / (accepted + modified + rejected))", ["agent", "verdict"])
EMBEDDINGS = Counter("cognitest_embeddings_total", "Texts the knowledge consumer needed vectors for, by whether "
                     "the vector cache had them (hit rate = hit / all)", ["result"])
EMBED_BATCH = Histogram("cognitest_embedding_batch_size", "Texts embedded per model call",
                        buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500))
KNOWLEDGE_OPS = Counter("cognitest_knowledge_points_total", "Knowledge base points embedded, updated or deleted", ["kind"])
KNOWLEDGE_POINTS = Gauge("cognitest_knowledge_collection_points", "Points in each knowledge collection (one per embedding model)",
                         ["collection"])
KNOWLEDGE_QUERIES = Counter("cognitest_knowledge_queries_total", "Knowledge lookups, by purpose", ["purpose"])
RUNS_QUEUED = Gauge("cognitest_runs_queued", "Runs accepted by this execution process and waiting for a slot "
                    "(their project's quota or the process's own limit)")
RUNS_ACTIVE = Gauge("cognitest_runs_active", "Runs this execution process is executing")
CASES = Counter("cognitest_cases_executed_total", "Cases executed, by outcome", ["outcome"])
EXECUTIONS = Counter("cognitest_automation_executions_total", "Automation executions ended, by status", ["status"])
ALERTS = Counter("cognitest_alerts_total", "Alert deliveries, by channel and outcome", ["channel", "ok"])
CACHE_REQUESTS = Counter("cognitest_cache_requests_total", "Read cache lookups, by resource and result", ["resource", "result"])
TRIAGED = Counter("cognitest_failures_triaged_total", "Failures triaged, by how they matched an issue", ["match"])


def serve(host: str, port: int, what: str) -> bool:
    """Expose this process's metrics on host:port (0 = off). A port already taken (a second copy of
    the process on one machine) leaves metrics off for this copy instead of failing it."""
    if not port:
        return False
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        log.warning("metrics.not_served", what=what, port=port, error=str(exc))
        return False
    log.info("metrics.serving", what=what, url=f"http://{host}:{port}/metrics")
    return True
