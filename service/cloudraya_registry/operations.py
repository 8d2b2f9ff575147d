"""Endpoints for whoever runs the service: liveness, readiness and Prometheus metrics.

``/healthz`` answers as long as the process serves (restart it when it does not);
``/readyz`` also asks the metadata database and the blob store, so a load balancer sends no
traffic to a replica that cannot reach them; ``/metrics`` is the Prometheus text format. None
of them needs a token, and none names a registry or shows a secret.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel
from sqlalchemy import text

from cloudraya_registry.executors import in_thread
from cloudraya_registry.metrics import CONTENT_TYPE
from cloudraya_registry.state import ServiceState

log = logging.getLogger("cloudraya_registry.operations")

READY_CHECK_TIMEOUT_SECONDS = 5.0
PATHS = ("/healthz", "/readyz", "/metrics")  # in the OpenAPI document beside /api/v1


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, str]  # dependency -> "ok" or why not


def _database(state: ServiceState) -> None:
    with state.db.connect() as connection:
        connection.execute(text("SELECT 1"))


def _blob_store(state: ServiceState) -> None:
    state.blob_store.ping()


_DEPENDENCIES = {"database": _database, "storage": _blob_store}


async def _check(state: ServiceState, name: str) -> str:
    try:
        await asyncio.wait_for(in_thread(_DEPENDENCIES[name], state), READY_CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        log.warning(f"readiness: {name} did not answer in {READY_CHECK_TIMEOUT_SECONDS:.0f}s")
        return f"no answer within {READY_CHECK_TIMEOUT_SECONDS:.0f}s"
    except Exception as error:
        # The class only: driver messages may carry connection details.
        log.warning(f"readiness: {name} unreachable: {type(error).__name__}")
        return f"unreachable ({type(error).__name__})"
    return "ok"


def mount(app: FastAPI, state: ServiceState) -> None:
    @app.get("/healthz", response_model=Health, tags=["operations"], summary="Liveness")
    def healthz() -> Health:
        """The process is up and serving requests."""
        return Health(status="ok")

    @app.get(
        "/readyz",
        response_model=Readiness,
        tags=["operations"],
        summary="Readiness",
        responses={503: {"model": Readiness, "description": "a dependency is unreachable"}},
    )
    async def readyz() -> JSONResponse:
        """The database and the blob store answer; 503 names the one that does not."""
        names = list(_DEPENDENCIES)
        results = await asyncio.gather(*(_check(state, name) for name in names))
        checks = dict(zip(names, results, strict=True))
        ready = all(result == "ok" for result in results)
        body = Readiness(status="ready" if ready else "unavailable", checks=checks)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
    )
    def metrics() -> PlainTextResponse:
        """Counters, gauges and histograms in the Prometheus text exposition format."""
        return PlainTextResponse(state.metrics.exposition(state), media_type=CONTENT_TYPE)
