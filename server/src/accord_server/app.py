"""create_app(settings): the only place that wires the API, the job queue and the web app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from huey import Huey

from accord_server import __version__
from accord_server.api import health
from accord_server.api.deps import close_hot_lane
from accord_server.api.errors import install_error_handlers
from accord_server.api.limits import BodyLimit
from accord_server.api.security import DOCS_INIT, DOCS_PAGE, SecurityHeaders
from accord_server.api.v1 import v1_routes
from accord_server.jobs.queue import make_huey, register_job_task
from accord_server.runtime import Runtime
from accord_server.settings import Settings

DEFAULT_WEB_DIR = Path(__file__).resolve().parents[3] / "web" / "dist"


def make_runtime(settings: Settings, huey: Huey | None = None) -> tuple[Runtime, Huey]:
    """A runtime whose jobs go to the configured huey queue."""
    runtime = Runtime(settings=settings)
    huey = huey or make_huey(settings)
    runtime.enqueue_job = register_job_task(huey, runtime)
    return runtime, huey


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options that the settings decide (``serve`` and the test stack use them):
    X-Forwarded-For/-Proto are believed only from ``trusted_proxies``. uvicorn's own default
    believes them from 127.0.0.1, so any process on the host, or a local proxy that passes
    the header through, could name any client address and escape the login limits."""
    trusted = settings.trusted_proxies
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": list(trusted) or None}


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    """The ASGI app for these settings."""
    if runtime is None:
        runtime, _ = make_runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        close_hot_lane(app)
        runtime.close()

    app = FastAPI(
        title="Accord",
        version=__version__,
        description="Accord data labeling platform API. Errors are always "
        '`{"code", "message", "details"}`.',
        lifespan=lifespan,
        routes=v1_routes(),
        docs_url=None,  # served below from this server, not from a CDN
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_middleware(
        BodyLimit, limit=settings.max_json_bytes, upload_limit=settings.max_upload_bytes
    )
    app.add_middleware(SecurityHeaders)  # the outermost: on every answer, errors included

    app.include_router(health.router)

    web_dir = settings.web_dir or DEFAULT_WEB_DIR
    _api_docs(app, web_dir / "docs-assets")
    if (web_dir / "index.html").is_file():
        # The app's hashed bundles under /assets, its page at /. A mount at "/" instead would
        # put every API request through a slower routing path (~2 ms each, measured).
        if (web_dir / "assets").is_dir():
            app.mount("/assets", StaticFiles(directory=web_dir / "assets"), name="web-assets")
        index = web_dir / "index.html"

        @app.get("/", include_in_schema=False)
        def web_index() -> FileResponse:
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
    else:

        @app.get("/", include_in_schema=False)
        def root() -> dict[str, Any]:
            return {
                "name": "Accord",
                "version": __version__,
                "api": "/api/v1",
                "docs": "/docs",
                "openapi": "/openapi.json",
            }

    return app


def _api_docs(app: FastAPI, assets: Path) -> None:
    """Swagger UI at /docs, its files from the web build (no CDN: works offline)."""
    if not (assets / "swagger-ui-bundle.js").is_file():

        @app.get("/docs", include_in_schema=False)
        def no_docs() -> HTMLResponse:
            return HTMLResponse(
                "<!doctype html><title>Accord API</title><p>The API docs page comes with the "
                "web build (<code>make setup</code>). The API itself is described at "
                '<a href="/openapi.json">/openapi.json</a>.</p>',
                status_code=404,
            )

        return
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE, headers={"Cache-Control": "no-cache"})

    @app.get("/docs-init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(DOCS_INIT, media_type="text/javascript")
