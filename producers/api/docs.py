"""The API's documentation pages, served from packaged assets (Swagger UI and ReDoc from the
`fastapi-offline` wheel; the page's start-up script is our own file), so they work offline and
need no inline script: the strict content security policy holds on them too."""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs-assets"

SWAGGER = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cognitest API</title>
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css"><link rel="icon" href="{ASSETS_URL}/favicon.png"></head>
<body><div id="swagger-ui"></div>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="/ui/static/docs-init.js"></script>
</body></html>"""

REDOC = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cognitest API</title>
<link rel="icon" href="{ASSETS_URL}/favicon.png"></head>
<body><redoc spec-url="/openapi.json"></redoc>
<script src="{ASSETS_URL}/redoc.standalone.js"></script>
</body></html>"""


def install(app: FastAPI) -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return HTMLResponse(SWAGGER)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse(REDOC)
