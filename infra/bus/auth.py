"""Who may use the bus: one NATS user per kind of platform process, with publish and subscribe
permissions limited to what that process does, and no anonymous access.

The embedded stack generates each user's password once into DATA_DIR/secrets (0600) and writes
them into nats-server's configuration; every process reads its own. Against an external NATS,
credentials come from settings (`COGNITEST_NATS__USER` and `__PASSWORD`, a `.creds` file in
`__CREDENTIALS_FILE` for NATS's decentralised JWT/nkey auth, or `nats://user:pass@host` in the URL).
Each role also has its own reply-inbox prefix, so one process can never read another's replies
(pull-consumer deliveries included)."""

import secrets
from dataclasses import dataclass
from typing import Any

from cognitest.infra.identity.keys import stored_secret
from cognitest.infra.secret_files import read_secret
from cognitest.infra.settings import Settings
from cognitest.schemas.subjects import APPLIED_PREFIX, DLQ_PREFIX, EVENTS_PREFIX

# JetStream API calls every platform process makes at start (ensure_streams): stream info,
# create and update; never delete or purge.
_STREAMS = ["$JS.API.INFO", "$JS.API.STREAM.INFO.*", "$JS.API.STREAM.CREATE.*", "$JS.API.STREAM.UPDATE.*",
            "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST"]
# Reading the log: durable and ordered consumers, acks, flow control, single-message reads (the
# dead letters), deleting a dead letter, and the read cache's key-value bucket.
_READING = ["$JS.API.CONSUMER.>", "$JS.ACK.>", "$JS.FC.>", "$JS.API.STREAM.MSG.GET.*", "$JS.API.DIRECT.GET.>",
            "$JS.API.STREAM.MSG.DELETE.*", "$KV.>"]


@dataclass(frozen=True)
class Role:
    name: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    why: str

    @property
    def inbox(self) -> str:
        return f"_INBOX_{self.name}"


ROLES: dict[str, Role] = {r.name: r for r in (
    Role("api", (f"{EVENTS_PREFIX}.>", *_STREAMS, *_READING), ("_INBOX_api.>", f"{APPLIED_PREFIX}.>"),
         "publishes the commands it authenticated; reads the log for the live event stream, dead letters and the "
         "read cache; hears the projection's applied notices"),
    Role("consumers", (f"{EVENTS_PREFIX}.>", f"{DLQ_PREFIX}.>", f"{APPLIED_PREFIX}.>", *_STREAMS, *_READING),
         ("_INBOX_consumers.>", "$JS.EVENT.ADVISORY.>", f"{EVENTS_PREFIX}.*.run.cancel_requested"),
         "reads the log through its durable consumers, publishes follow-up events, dead letters and applied notices, "
         "hears max-deliveries advisories and run cancellations (live)"),
    Role("worker", (f"{EVENTS_PREFIX}.>", *_STREAMS), ("_INBOX_worker.>",),
         "publishes the events of workflow steps; cannot read the log"),
    Role("admin", (">",), (">",),
         "operators' tools on the machine: replay, the test suite, benchmarks"),
)}


def password_for(settings: Settings, role: str) -> str:
    return stored_secret(settings, f"nats-{role}", lambda: secrets.token_urlsafe(24))


def _quoted(subjects: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{s}"' for s in subjects) + "]"


def authorization_block(passwords: dict[str, str]) -> str:
    """nats-server's `authorization` section for the roles (a password may be `$ENV_VAR`)."""
    lines = ["authorization {", "  users: ["]
    for role in ROLES.values():
        password = passwords[role.name]
        shown = password if password.startswith("$") else f'"{password}"'
        lines += [
            f"    # {role.why}",
            f'    {{user: "{role.name}", password: {shown}, permissions: {{',
            f"      publish: {{allow: {_quoted(role.publish)}}}",
            f"      subscribe: {{allow: {_quoted(role.subscribe)}}}",
            "    }}",
        ]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


COMPOSE_PASSWORDS = {name: f"$NATS_{name.upper()}_PASSWORD" for name in ROLES}
COMPOSE_CONFIG = "nats-auth.conf"  # beside this module; compose.yaml mounts it into nats-server


def compose_config() -> str:
    """The users for compose's nats-server: passwords from its environment (set from secrets)."""
    return ("# Generated from cognitest/infra/bus/auth.py (a test keeps the two equal): the platform's\n"
            "# NATS users and what each may do. Passwords come from nats-server's environment.\n"
            + authorization_block(COMPOSE_PASSWORDS))


def embedded_config(settings: Settings, store: str) -> str:
    passwords = {name: password_for(settings, name) for name in ROLES}
    jetstream = [f'  store_dir: "{store}"']
    if settings.nats.sync_interval:  # how often JetStream fsyncs: only settable in a config file
        jetstream.append(f'  sync_interval: "{settings.nats.sync_interval}"')
    return "jetstream {\n" + "\n".join(jetstream) + "\n}\n" + authorization_block(passwords)


def connect_options(settings: Settings, role: str) -> dict[str, Any]:
    """What nats.connect needs to sign in as `role`."""
    nats = settings.nats
    options: dict[str, Any] = {"inbox_prefix": ROLES[role].inbox if role in ROLES else "_INBOX"}
    if nats.credentials_file:
        options["user_credentials"] = str(nats.credentials_file)
    elif nats.user:
        options["user"] = nats.user
        # no password given: the embedded stack's generated one for that user, if this machine has it
        options["password"] = nats.password if nats.password is not None else (read_secret(settings.data_dir, f"nats-{nats.user}") or "")
    elif not nats.url:  # the embedded nats-server: this machine's generated password for the role
        options["user"] = role
        options["password"] = password_for(settings, role)
    return options


def url_with_credentials(settings: Settings, role: str) -> list[str]:
    """Server URLs carrying the role's user and password, for clients that take only URLs."""
    from urllib.parse import quote, urlsplit, urlunsplit

    options = connect_options(settings, role)
    servers = [s.strip() for s in settings.nats.effective_url.split(",")]
    if "user" not in options:
        return servers
    out = []
    for server in servers:
        parts = urlsplit(server)
        netloc = f"{quote(options['user'], safe='')}:{quote(options['password'], safe='')}@{parts.hostname}"
        if parts.port:
            netloc += f":{parts.port}"
        out.append(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))
    return out
