"""The web front end: server-rendered pages (Jinja2) over the read models, a small JavaScript
module that sends commands through the same JSON API as everyone else and follows the event
stream. No build chain, nothing loaded from a CDN: it works offline."""

from pathlib import Path

STATIC = Path(__file__).parent / "static"


def web_routers() -> list:  # type: ignore[type-arg]
    from cognitest.producers.web import oidc_login, pages_build, pages_core, pages_work

    return [pages_core.router, pages_work.router, pages_build.router, oidc_login.router]
