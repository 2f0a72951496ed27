"""`python -m cognitest.producers.api`: serve the API (what `cognitest api` and `up` run)."""

import uvicorn

from cognitest.infra.logging import configure_logging
from cognitest.infra.settings import get_settings
from cognitest.infra.tracing import setup_tracing
from cognitest.producers.api.app import create_app


def main() -> None:
    settings = get_settings()
    configure_logging("api", settings.log_level, settings.log_format)
    setup_tracing(settings.tracing, "api")
    uvicorn.run(create_app(settings), host=settings.http.host, port=settings.http.port, log_config=None,
                access_log=False, timeout_graceful_shutdown=10)


if __name__ == "__main__":
    main()
