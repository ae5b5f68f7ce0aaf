"""``/docs``: Swagger UI 5 (it reads OpenAPI 3.1, which this API's description is) served
from assets packaged with the service, so it renders where there is no internet (FastAPI's
default loads them from a CDN).

The assets come from the ``fastapi-swagger`` package, which ships each release of Swagger
UI's own distribution (npm's ``swagger-ui-dist``) as package data: a pip-installed server
has them, and upgrading the viewer is upgrading a pinned dependency.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import fastapi_swagger.resources
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

ASSETS = "/docs/assets"
ASSETS_DIRECTORY = Path(fastapi_swagger.resources.__file__).parent


def install_docs(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=ASSETS_DIRECTORY), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
