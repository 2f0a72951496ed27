"""One settings object for every process: `COGNITEST_` prefix, nested with `__`.

A service left without a URL is the embedded one that `cognitest up` starts on its own port;
give a URL (for example `COGNITEST_NATS__URL`) to use an existing service instead.
"""

from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit
from typing import Literal

import platformdirs
from pydantic import BaseModel, Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cognitest.infra.secret_files import read_secret


class NatsSettings(BaseModel):
    url: str | None = Field(default=None, description="nats://host:port (a cluster: comma-separated); unset = embedded")
    port: int = Field(ge=1, le=65535, default=14222, description="embedded nats-server client port")
    monitor_port: int = Field(ge=1, le=65535, default=18222, description="embedded nats-server monitoring port")
    sync_interval: str | None = Field(default=None, description="embedded JetStream fsync interval: 'always' (every "
                                      "write, slower) or a duration such as '1s'; unset = nats-server's default (2m)")
    user: str | None = Field(default=None, description="this process's NATS user (external NATS; the embedded "
                             "stack generates one per kind of process)")
    password: str | None = Field(default=None, repr=False, description="the password of `user`")
    credentials_file: Path | None = Field(default=None, description="a NATS .creds file (decentralised JWT/nkey auth)")

    @property
    def effective_url(self) -> str:
        return self.url or f"nats://127.0.0.1:{self.port}"


class DatabaseSettings(BaseModel):
    url: str | None = Field(default=None, description="postgresql+asyncpg://...; unset = embedded")
    port: int = Field(ge=1, le=65535, default=15432, description="embedded PostgreSQL port")
    name: str = "cognitest"
    pool_size: int = 10
    _data_dir: Path | None = PrivateAttr(default=None)

    @property
    def effective_url(self) -> str:
        """The URL to connect with. The embedded PostgreSQL has a password generated into
        DATA_DIR/secrets/postgres-password (scram-sha-256), read here, never passed around."""
        if self.url:
            return self.url
        password = read_secret(self._data_dir, "postgres-password") if self._data_dir else None
        user = f"postgres:{quote(password, safe='')}" if password else "postgres"
        return f"postgresql+asyncpg://{user}@127.0.0.1:{self.port}/{self.name}"

    @property
    def shown_url(self) -> str:
        """The URL without its password, for banners and logs."""
        parts = urlsplit(self.effective_url)
        host = parts.hostname or ""
        netloc = (f"{parts.username}@" if parts.username else "") + host + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class TemporalSettings(BaseModel):
    address: str | None = Field(default=None, description="host:port of Temporal; unset = embedded")
    port: int = Field(ge=1, le=65535, default=17233, description="embedded Temporal frontend port")
    ui_port: int = Field(ge=1, le=65535, default=18233, description="embedded Temporal web UI port")
    ui_url: str | None = Field(default=None, description="link to the Temporal UI shown to users")
    namespace: str = "default"
    task_queue: str = "cognitest"

    @property
    def effective_address(self) -> str:
        return self.address or f"127.0.0.1:{self.port}"

    @property
    def effective_ui_url(self) -> str:
        return self.ui_url or f"http://127.0.0.1:{self.ui_port}"


class HttpSettings(BaseModel):
    """The HTTP API server (`COGNITEST_HTTP__*`; the CLI finds the API through `COGNITEST_API`)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1_048_576, description="largest JSON body accepted")
    wait_timeout: float = Field(default=10.0, description="seconds ?wait=true waits for the projection")
    trusted_proxies: str = Field(default="", description="comma-separated addresses (or networks) of reverse "
                                 "proxies whose X-Forwarded-For / X-Forwarded-Proto are believed; empty = none")

    @property
    def effective_url(self) -> str:
        return f"http://{self.host}:{self.port}"


class BusSettings(BaseModel):
    duplicate_window: float = Field(default=120.0, description="seconds JetStream remembers event ids")
    max_deliver: int = Field(default=10, description="deliveries before a message is dead-lettered")
    ack_wait: float = Field(default=30.0, description="seconds before an unacked message is redelivered")
    batch_size: int = Field(default=1000, description="messages a consumer fetches and applies at once")
    batch_linger: float = Field(default=0.02, description="seconds a consumer gathers more messages into a batch")
    retry_delay: float = Field(default=1.0, description="first retry delay after a failure (doubles)")
    retry_delay_max: float = 30.0
    publish_retries: int = 5
    replicas: int = Field(default=1, ge=1, le=5, description="copies of each stream in a NATS cluster (3 in production)")

    def backoff(self, delivered: int) -> float:
        """Delay before retrying a message that failed on its `delivered`-th delivery.

        Sent with each NAK rather than set as the consumer's `backoff` list: nats-server 2.15
        applies a consumer backoff list even to NAKs that carry their own delay (measured:
        0.3 s asked, 4 s then 16 s observed), which would stretch short retries into minutes."""
        return min(self.retry_delay * (2 ** max(delivered - 1, 0)), self.retry_delay_max)


class QdrantSettings(BaseModel):
    url: str | None = Field(default=None, description="http://host:6333; unset = embedded local mode on disk")
    api_key: str | None = None

    def local_path(self, data_dir: Path) -> Path:
        return data_dir / "qdrant"


class KnowledgeSettings(BaseModel):
    """The knowledge base: which embedder, and how retrieval feeds generation."""

    embedder: Literal["wordllama", "hashing", "litellm"] = Field(
        default="wordllama", description="wordllama (offline, packaged), hashing (lexical floor) or litellm (a provider)")
    dimensions: int = Field(default=0, ge=0, description="0 = the embedder's own (wordllama 256, hashing 384)")
    model: str | None = Field(default=None, description="litellm embedding model, e.g. openai/text-embedding-3-small")
    api_base: str | None = None
    api_key: str | None = None
    timeout: float = 30.0
    batch_size: int = Field(default=256, ge=1, description="events embedded together")
    linger: float = Field(default=0.25, ge=0, description="seconds the knowledge consumer waits to fill a batch")
    examples: int = Field(default=8, ge=0, le=50, description="similar judged cases retrieved per requirement")
    min_score: float = Field(default=0.5, ge=-1, le=1, description="below this similarity an example is ignored")
    requirement_score: float = Field(default=0.6, ge=-1, le=1, description=(
        "below this similarity of canonical requirement texts, an earlier requirement is not the same one reworded "
        "(calibrated on tests/fixtures/knowledge/paraphrases.json: see bench/retrieval.py)"))
    duplicate_score: float = Field(default=0.95, ge=0, le=1, description="a generated case this similar to an "
                                   "existing one is linked to it instead of added")
    nice: int = Field(default=19, ge=0, le=19, description="CPU priority given up by a process that runs only the "
                      "knowledge group: embedding is background work and yields to the projection and the API")


class BlobSettings(BaseModel):
    s3_endpoint_url: str | None = Field(default=None, description="S3/MinIO endpoint; unset = local directory")
    bucket: str = "cognitest"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str = "us-east-1"

    def local_path(self, data_dir: Path) -> Path:
        return data_dir / "blobs"


class RequirementsSettings(BaseModel):
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, description="largest requirement document accepted")
    max_unzipped_bytes: int = Field(default=200 * 1024 * 1024, description="largest uncompressed DOCX content")
    max_zip_ratio: float = Field(default=100.0, description="largest compression ratio of a DOCX member")


class ModelPrice(BaseModel):
    input: float = Field(ge=0, description="USD per million prompt tokens")
    output: float = Field(ge=0, description="USD per million completion tokens")
    cached_input: float | None = Field(default=None, ge=0, description="USD per million cached prompt tokens; unset = input")


class LlmSettings(BaseModel):
    model: str | None = Field(default=None, description="litellm model name; unset = the offline engine")
    fallbacks: list[str] = Field(default_factory=list, description="models tried when the main one fails")
    api_base: str | None = Field(default=None, description="OpenAI-compatible endpoint, if not the provider's")
    api_key: str | None = None
    timeout: float = 60.0
    attempts: int = Field(default=4, ge=1, le=20, description="tries of a model call before the feature falls back "
                          "to the offline engine (a refused key or an unknown model is never retried)")
    retry_first_delay: float = Field(default=2.0, gt=0, le=3600, description="seconds before the second try (doubles)")
    retry_max_delay: float = Field(default=30.0, gt=0, le=3600, description="the longest wait between tries")
    temperature: float = 0.2
    max_repairs: int = Field(default=2, description="times an invalid answer is sent back for repair")
    remediation: bool = Field(default=True, description="when a model is configured, triage asks it for remediation hints")
    prices: dict[str, ModelPrice] = Field(default_factory=dict, description=(
        "USD per million tokens by configured model name (wins over litellm's price list); a model in neither is "
        "counted with cost 0 and `unpriced_calls`"))


class ExecutionSettings(BaseModel):
    chromium_path: str | None = Field(default=None, description="a Chromium to drive; unset = a system one if found, else Playwright's")
    allowed_hosts: list[str] = Field(default_factory=list, description="if set, the only hosts tests may reach")
    allow_private_targets: bool = Field(default=False, description="let tests reach loopback and private addresses "
                                        "unless a project's settings.targets.allow_private says otherwise")
    step_timeout_ms: int = Field(default=10_000, description="Playwright's timeout per step")
    request_timeout: float = 30.0
    max_parallel: int = Field(default=4, description="cases run at once by one execution process (across its runs)")
    max_runs: int = Field(default=2, ge=1, description="runs one execution process carries at once")
    max_runs_per_project: int = Field(default=0, ge=0, description="runs of one project at once across all execution "
                                      "processes (0 = no limit); a project's settings.max_concurrent_runs overrides it")
    quota_poll: float = Field(default=1.0, gt=0, description="seconds between checks of a queued run's project quota")
    appium_url: str | None = Field(default=None, description="default Appium server for mobile runs")
    fixtures_dir: Path | None = Field(default=None, description="the only directory upload steps read files from "
                                      "by path (relative to it); a project's own files (`file:<id>`) work without it")
    max_file_bytes: int = Field(default=25_000_000, ge=1, description="the largest test data file a project may "
                                "upload for its upload steps (POST .../files)")
    postman_sandbox_dir: Path | None = Field(default=None, description="an npm prefix holding postman-sandbox (Postman's "
                                             "script runtime); installed there with npm at first need; unset = "
                                             "<data dir>/tools/postman")
    node_path: str | None = Field(default=None, description="the Node.js that runs Postman scripts; unset = `node` on PATH")
    script_timeout_ms: int = Field(default=10_000, ge=100, description="time one Postman script may take")


class IntegrationsSettings(BaseModel):
    """Where alerts, tickets and emails go. Nodes and notification rules may name their own target."""

    public_url: str | None = Field(default=None, description="base URL of the API/UI used in links; unset = the API's URL")
    slack_webhook_url: str | None = Field(default=None, description="default Slack incoming webhook")
    slack_bot_token: str | None = Field(default=None, description=(
        "a Slack bot token (chat:write, channels:history): posts through the Web API, so a post interrupted by a "
        "crash is found in the channel instead of sent twice"))
    slack_channel: str | None = Field(default=None, description="default channel id (C0123...) for the bot token")
    slack_api_url: str = "https://slack.com/api"
    webhook_secret: str | None = Field(default=None, description="HMAC key signing generic outgoing webhooks")
    jira_url: str | None = Field(default=None, description="https://your-site.atlassian.net")
    jira_email: str | None = None
    jira_token: str | None = None
    jira_project_key: str | None = None
    jira_issue_type: str = "Bug"
    tracker_webhook_secret: str | None = Field(default=None, description=(
        "verifies JIRA's and GitHub's webhooks (POST /api/v1/hooks/{project}/trackers/jira|github); a project's own wins"))
    jira_done_statuses: list[str] = Field(default_factory=lambda: ["Done", "Resolved", "Closed"],
                                          description="a resolved issue moves its ticket to the first of these its workflow offers")
    jira_reopen_statuses: list[str] = Field(default_factory=lambda: ["Reopen", "Reopened", "To Do", "Open"],
                                            description="a reopened issue moves its ticket back to the first of these")
    github_api_url: str = "https://api.github.com"
    github_token: str | None = None
    github_repo: str | None = Field(default=None, description="owner/name")
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "cognitest@localhost"
    timeout: float = Field(default=15.0, description="seconds for one outbound call")
    sync_issues_to: list[Literal["jira", "github"]] = Field(default_factory=list,
                                                             description="trackers detected issues are filed in, unless a project's `issue_sync` setting says otherwise")


class OidcSettings(BaseModel):
    """An external identity provider whose bearer JWTs the API accepts (Clerk, Auth0, Keycloak, Entra ...)."""

    issuer: str | None = Field(default=None, description="the `iss` tokens must carry; unset = OIDC off")
    jwks_url: str | None = Field(default=None, description="the provider's JWKS; unset = ISSUER/.well-known/jwks.json")
    audience: list[str] = Field(default_factory=list, description="accepted `aud` values (one must match)")
    authorized_parties: list[str] = Field(default_factory=list, description="accepted `azp` values (Clerk); "
                                          "checked when set")
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"], description="only these are accepted")
    leeway: float = Field(default=60.0, ge=0, le=600, description="seconds of clock skew allowed on exp/nbf/iat")
    user_claim: str = Field(default="email", description="the claim that names the user (falls back to `sub`)")
    admin_users: list[str] = Field(default_factory=list, description="users (by user_claim) who are instance admins")
    jwks_cache: float = Field(default=600.0, description="seconds the key set is kept before it is fetched again")
    # browser sign-in through the provider (authorization code flow with PKCE); off without a client id
    client_id: str | None = Field(default=None, description="this app's client id at the provider (UI sign-in)")
    client_secret: SecretStr | None = Field(default=None, description="for confidential clients")
    scopes: str = "openid email profile"
    redirect_url: str | None = Field(default=None, description="unset = <this server>/ui/oidc/callback")


class AuthSettings(BaseModel):
    """Who may call the API (`COGNITEST_AUTH__*`)."""

    admin_token: SecretStr | None = Field(default=None, description="the instance admin's bearer token; unset = "
                                          "generated once into DATA_DIR/secrets/admin-token")
    session_hours: float = Field(default=12.0, gt=0, description="lifetime of a browser session")
    cookie_secure: bool | None = Field(default=None, description="Secure flag on the session cookie; unset = "
                                       "on unless the API is served on 127.0.0.1/localhost over http")
    login_attempts_per_minute: int = Field(default=10, ge=1, description="sign-in attempts per account")
    login_attempts_per_address: int = Field(default=60, ge=1, description="sign-in attempts per client address "
                                            "and minute (an office behind one NAT shares it)")
    tokens_per_minute: int = Field(default=20, ge=1, description="API tokens one caller may create per minute")
    oidc: OidcSettings = Field(default_factory=OidcSettings)


class SecuritySettings(BaseModel):
    secret_keys: list[SecretStr] = Field(default_factory=list, description="Fernet keys encrypting integration "
                                         "secrets at rest, newest first (older ones still decrypt); unset = one is "
                                         "generated once into DATA_DIR/secrets/secret-key")


class CacheSettings(BaseModel):
    enabled: bool = Field(default=True, description="cache list answers in NATS key-value")
    ttl: float = Field(default=300.0, description="seconds a cached answer lives at most")


class MetricsSettings(BaseModel):
    """Prometheus endpoints. The API serves /metrics itself; the other processes listen here."""

    host: str = Field(default="127.0.0.1", description="0.0.0.0 in containers so Prometheus can scrape")
    consumers_port: int = Field(ge=0, le=65535, default=19100, description="consumers process; 0 = off")
    worker_port: int = Field(ge=0, le=65535, default=19101, description="worker process (Cognitest's metrics); 0 = off")
    temporal_sdk_port: int = Field(ge=0, le=65535, default=19102, description="worker process (Temporal SDK metrics); 0 = off")
    knowledge_port: int = Field(ge=0, le=65535, default=19103, description="the knowledge consumers process of the embedded stack; 0 = off")


class TracingSettings(BaseModel):
    """OpenTelemetry traces, exported over OTLP/HTTP; off unless an endpoint is set."""

    otlp_endpoint: str | None = Field(default=None, description="e.g. http://otel-collector:4318 (off when empty)")
    headers: dict[str, str] = Field(default_factory=dict, description="sent with every export (an API key)")
    sample_ratio: float = Field(default=1.0, ge=0, le=1, description="share of new traces recorded")
    export_delay_ms: int = Field(default=2000, ge=10, description="how long spans are batched before export")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COGNITEST_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("cognitest")))
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    source: str = "urn:cognitest"
    nats: NatsSettings = Field(default_factory=NatsSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    bus: BusSettings = Field(default_factory=BusSettings)
    qdrant: QdrantSettings = Field(default_factory=QdrantSettings)
    blob: BlobSettings = Field(default_factory=BlobSettings)
    requirements: RequirementsSettings = Field(default_factory=RequirementsSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings)
    integrations: IntegrationsSettings = Field(default_factory=IntegrationsSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)

    @model_validator(mode="after")
    def _locate_secrets(self) -> "Settings":
        self.database._data_dir = self.data_dir
        if self.execution.postman_sandbox_dir is None:
            self.execution.postman_sandbox_dir = self.data_dir / "tools" / "postman"
        return self

    def service_env(self) -> dict[str, str]:
        """Environment that points a child process at the same services as this one (the
        embedded database by port: its password stays in the data directory)."""
        database = ({"COGNITEST_DATABASE__URL": self.database.url} if self.database.url else
                    {"COGNITEST_DATABASE__PORT": str(self.database.port), "COGNITEST_DATABASE__NAME": self.database.name})
        return {
            **database,
            "COGNITEST_DATA_DIR": str(self.data_dir),
            "COGNITEST_NATS__URL": self.nats.effective_url,
            "COGNITEST_TEMPORAL__ADDRESS": self.temporal.effective_address,
            "COGNITEST_TEMPORAL__UI_URL": self.temporal.effective_ui_url,
            "COGNITEST_TEMPORAL__NAMESPACE": self.temporal.namespace,
            "COGNITEST_TEMPORAL__TASK_QUEUE": self.temporal.task_queue,
            "COGNITEST_HTTP__HOST": self.http.host,
            "COGNITEST_HTTP__PORT": str(self.http.port),
            "COGNITEST_LOG_LEVEL": self.log_level,
        }


@lru_cache
def get_settings() -> Settings:
    return Settings()
