"""`python -m cognitest.producers.api`: serve the API (what `cognitest api` and `up` run)."""

from typing import Any

import uvicorn

from cognitest.infra.logging import configure_logging
from cognitest.infra.settings import Settings, get_settings
from cognitest.infra.tracing import setup_tracing
from cognitest.producers.api.app import create_app


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so anyone on the machine (or
    a request relayed by anything local) could pick the client address the per-address limits
    count. Proxy headers are believed only from COGNITEST_HTTP__TRUSTED_PROXIES."""
    proxies = [p.strip() for p in settings.http.trusted_proxies.split(",") if p.strip()]
    return {"host": settings.http.host, "port": settings.http.port, "log_config": None, "access_log": False,
            "timeout_graceful_shutdown": 10, "proxy_headers": bool(proxies),
            # longer than the publish retries of a slow request, so a client reusing its connection
            # after waiting out a 503 does not meet a connection the server is closing
            "timeout_keep_alive": 65,
            "forwarded_allow_ips": proxies or [], "server_header": False}


def main() -> None:
    settings = get_settings()
    configure_logging("api", settings.log_level, settings.log_format)
    setup_tracing(settings.tracing, "api")
    uvicorn.run(create_app(settings), **server_options(settings))


if __name__ == "__main__":
    main()
