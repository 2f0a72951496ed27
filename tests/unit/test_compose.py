"""compose.yaml is for users (no container engine runs here): parse it and check that it runs
the production shape and that every environment variable it sets is a real setting."""

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from cognitest.infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
services: dict[str, Any] = compose["services"]
PLATFORM = {"api", "projection", "orchestration", "execution", "reactions", "knowledge", "worker", "migrate"}
cluster = yaml.safe_load((ROOT / "compose.cluster.yaml").read_text())


def setting_exists(name: str) -> bool:
    assert name.startswith("COGNITEST_"), name
    path = name.removeprefix("COGNITEST_").lower().split("__")
    model: type[BaseModel] = Settings
    for i, part in enumerate(path):
        field = model.model_fields.get(part)
        if field is None:
            return False
        annotation = field.annotation
        if i < len(path) - 1:
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                return False
            model = annotation
    return True


def test_the_production_shape_is_there() -> None:
    assert {"nats", "postgres", "temporal", "temporal-ui", "qdrant", "minio"} <= services.keys()
    assert PLATFORM <= services.keys()
    assert "-js" in services["nats"]["command"]
    for name, service in services.items():
        if name != "migrate":
            assert "healthcheck" in service, f"{name} has no health check"
    for name in ("api", "projection", "orchestration", "execution", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["command"][0] == "cognitest"
    assert "8000:8000" in services["api"]["ports"]


def test_platform_environment_names_are_settings() -> None:
    for name in PLATFORM:
        env = services[name]["environment"]
        assert env, name
        unknown = [key for key in env if not setting_exists(key)]
        assert not unknown, f"{name} sets variables no setting reads: {unknown}"
        assert env["COGNITEST_NATS__URL"].startswith("nats://nats:")
        assert env["COGNITEST_DATABASE__URL"].startswith("postgresql+asyncpg://")


def test_the_checker_rejects_a_misspelt_name() -> None:
    assert setting_exists("COGNITEST_NATS__URL")
    assert not setting_exists("COGNITEST_NATS__URI")
    assert not setting_exists("COGNITEST_NAT__URL")


def test_compose_settings_load() -> None:
    env = {k.removeprefix("COGNITEST_"): v for k, v in services["api"]["environment"].items()}
    assert env["TEMPORAL__ADDRESS"] == "temporal:7233"
    import os

    saved = dict(os.environ)
    try:
        os.environ.update(services["api"]["environment"])
        settings = Settings()
        assert settings.nats.effective_url == "nats://nats:4222"
        assert settings.http.host == "0.0.0.0"
        assert settings.blob.s3_endpoint_url == "http://minio:9000"
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_readme_names_only_real_settings() -> None:
    import re

    readme = (ROOT / "README.md").read_text()
    cli_only = {"COGNITEST_API", "COGNITEST_PROJECT", "COGNITEST_TOKEN"}
    streams = {"COGNITEST_EVENTS", "COGNITEST_DLQ"}
    names = set(re.findall(r"COGNITEST_[A-Z0-9_]+[A-Z0-9]", readme)) - cli_only - streams
    assert names, "README lists no settings"
    unknown = sorted(n for n in names if not setting_exists(n))
    assert not unknown, f"README names settings that do not exist: {unknown}"


def test_the_scaled_shape_runs_copies_and_a_replicated_nats_cluster() -> None:
    for name in ("projection", "execution", "worker"):
        assert services[name]["deploy"]["replicas"] >= 2, name
    commands = [cluster["services"][name]["command"] for name in ("nats", "nats-2", "nats-3")]
    assert {c[c.index("--server_name") + 1] for c in commands} == {"nats-1", "nats-2", "nats-3"}
    for command in commands:
        assert "-js" in command and command[command.index("--cluster_name") + 1] == "cognitest"
        routes = command[command.index("--routes") + 1].split(",")
        assert len(routes) == 2 and all(r.endswith(":6222") for r in routes)
    for name in PLATFORM:
        env = cluster["services"][name]["environment"]
        assert [key for key in env if not setting_exists(key)] == []
        assert env["COGNITEST_BUS__REPLICAS"] == "3" and env["COGNITEST_NATS__URL"].count("nats://") == 3


def test_every_consumer_group_runs_somewhere() -> None:
    from cognitest.consumers.app import GROUPS

    commands = [service.get("command") or [] for service in services.values()]
    run = {c[i + 1] for c in commands if "consumers" in c for i, word in enumerate(c) if word == "--only"}
    assert run == set(GROUPS), f"groups no compose service runs: {sorted(set(GROUPS) - run)}"


def test_only_the_api_is_published_and_nothing_has_a_default_credential() -> None:
    for name, service in services.items():
        for port in service.get("ports", []):
            if name != "api":
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond the host's loopback"
    text = (ROOT / "compose.yaml").read_text()
    for variable in ("POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "MINIO_ROOT_USER", "NATS_API_PASSWORD",
                     "NATS_CONSUMERS_PASSWORD", "NATS_WORKER_PASSWORD", "NATS_ADMIN_PASSWORD", "ADMIN_TOKEN", "SECRET_KEY"):
        assert f"${{{variable}:?" in text, f"{variable} must be required, not defaulted"
    assert "cognitest-secret" not in text and "POSTGRES_PASSWORD: cognitest" not in text
    assert services["postgres"]["environment"]["POSTGRES_INITDB_ARGS"] == "--auth-host=scram-sha-256"


def test_every_process_signs_in_to_nats_as_its_own_user() -> None:
    from cognitest.infra.bus.auth import ROLES

    expected = {"api": "api", "worker": "worker", "projection": "consumers", "orchestration": "consumers",
                "execution": "consumers", "reactions": "consumers", "knowledge": "consumers"}
    for name, role in expected.items():
        env = services[name]["environment"]
        assert env["COGNITEST_NATS__USER"] == role, name
        assert env["COGNITEST_NATS__PASSWORD"].startswith(f"${{NATS_{role.upper()}_PASSWORD:?"), name
    assert set(expected.values()) | {"admin"} == set(ROLES)
    nats = services["nats"]
    assert "/etc/nats/nats-auth.conf" in nats["command"] and "ports" not in nats
    assert any(v.startswith("./infra/bus/nats-auth.conf:") for v in nats["volumes"])
    for node in ("nats", "nats-2", "nats-3"):
        assert "/etc/nats/nats-auth.conf" in cluster["services"][node]["command"], node
        assert "ports" not in cluster["services"][node]


def test_the_committed_nats_users_match_the_code() -> None:
    from cognitest.infra.bus.auth import compose_config

    assert (ROOT / "infra" / "bus" / "nats-auth.conf").read_text() == compose_config()
