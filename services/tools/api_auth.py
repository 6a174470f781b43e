"""The API's bearer token, as the host tools send it: API_TOKEN from the environment, where `make`
puts the one in .env (`make env` generates it). With none set they send no header, which the API
accepts on loopback (services/api/auth.py)."""

import os


def headers() -> dict[str, str]:
    """`Authorization: Bearer <API_TOKEN>` if API_TOKEN is set, else nothing."""
    token = os.environ.get("API_TOKEN", "").strip()
    return {"Authorization": f"Bearer {token}"} if token else {}
