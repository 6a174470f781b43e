"""The bearer token (API_TOKEN): required when the API is published beyond loopback, optional on it.

On loopback (API_BIND 127.0.0.1 or ::1, the default) the README's commands work without a token; a token
that is sent must still be the right one. Published beyond loopback, every route but /health (which the
container's healthcheck calls) wants `Authorization: Bearer <API_TOKEN>`, and the API refuses to start
without a token to check. The dashboard's page and static files are open; the data it fetches is not.
"""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.settings import get_settings

bearer = HTTPBearer(
    auto_error=False,
    description="API_TOKEN: required when API_BIND publishes the API beyond loopback, optional on loopback",
)


def require_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    """401 unless the request carries the token, or carries none and the API is on loopback."""
    settings = get_settings()
    if credentials is None:
        if settings.api_exposed():
            raise _unauthorized("this API wants `Authorization: Bearer <API_TOKEN>`")
        return
    expected = settings.api_token
    if expected is not None and not secrets.compare_digest(
        credentials.credentials.encode(), expected.get_secret_value().encode()
    ):
        raise _unauthorized("wrong bearer token")


def check_configuration() -> None:
    """Raise, saying what to do, when the API is published beyond loopback with no token to check."""
    settings = get_settings()
    if settings.api_exposed() and settings.api_token is None:  # an empty API_TOKEN is none
        raise RuntimeError(
            f"API_BIND={settings.api_bind} publishes the API beyond loopback, so it requires a bearer "
            "token: set API_TOKEN (`make env` writes a random one into .env), or bind 127.0.0.1"
        )


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})
