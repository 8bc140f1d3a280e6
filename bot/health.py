"""Health, readiness and Prometheus metrics: the same three routes in every role's process.

The web chat's app includes them; a bot or dispatcher process serves them alone on
`WERKMAAT_HEALTH_PORT`, so a supervisor and Prometheus see every worker the same way.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from bot.metrics import CONTENT_TYPE, Metrics
from storage.sql import Database


def install_health(app: FastAPI, database: Database, metrics: Metrics) -> None:
    @app.get("/healthz")
    async def health() -> dict[str, str]:
        """Alive: the process answers (a supervisor restarts it when this fails)."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def ready() -> Response:
        """Ready for traffic: the case store answers and its schema is current (a load
        balancer sends nothing here until it is)."""
        problems = await asyncio.to_thread(readiness_problems, database)
        return JSONResponse({"status": "ready" if not problems else "not ready",
                             "problems": problems}, status_code=503 if problems else 200)

    @app.get("/metrics")
    async def metrics_page() -> Response:
        """Prometheus metrics (no personal data; keep it inside the network all the same)."""
        body = await asyncio.to_thread(metrics.exposition)
        return Response(body, media_type=CONTENT_TYPE)


def health_app(database: Database, metrics: Metrics) -> FastAPI:
    app = FastAPI(title="Werkmaat", docs_url=None, redoc_url=None, openapi_url=None)
    install_health(app, database, metrics)
    return app


def readiness_problems(database: Database) -> list[str]:
    try:
        if not database.schema_is_current():
            return ["the case store's schema is not current: run werkmaat db upgrade"]
    except Exception as exc:  # a database that is down, unreachable or refusing
        return [f"the case store does not answer ({type(exc).__name__})"]
    return []
