"""The OpenAPI document of the settings in effect: its limits are the Settings' (shared/fields.py), and
the bearer token is optional in it when the API is on loopback, as it is then (services/api/auth.py)."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.settings import get_settings


def install(app: FastAPI) -> None:
    """Serve this document at /openapi.json (and /docs) instead of FastAPI's own."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it


def document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document; on loopback each secured operation also allows no credentials (`{}`)."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    if not get_settings().api_exposed():
        for operations in schema["paths"].values():
            for operation in operations.values():
                if operation.get("security"):
                    operation["security"] = [{}, *operation["security"]]
    return schema
