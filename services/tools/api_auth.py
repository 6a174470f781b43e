"""The API's bearer token, as the host tools send it: API_TOKEN from the one Settings (the environment,
where `make` puts the one in .env; `make env` generates it). With none set they send no header, which the
API accepts on loopback (services/api/auth.py)."""

from services.tools.stack import host_settings


def headers() -> dict[str, str]:
    """`Authorization: Bearer <API_TOKEN>` if API_TOKEN is set, else nothing."""
    secret = host_settings().api_token
    token = secret.get_secret_value().strip() if secret else ""
    return {"Authorization": f"Bearer {token}"} if token else {}
