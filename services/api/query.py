"""A query parameter given more than once is a 422. Each one the API declares takes one value, and
Starlette would keep the last silently: `?limit=x&limit=5` would pass as 5, the `x` unread."""

from fastapi import Request
from fastapi.exceptions import RequestValidationError


def single_values(request: Request) -> None:
    """Refuse the request if it repeats a query parameter its operation declares (in /openapi.json)."""
    if not request.query_params:
        return
    # `path_format`: the route's path as /openapi.json names it, converters left out (`{job_id}`).
    path = request.app.openapi()["paths"].get(request.scope["route"].path_format, {})
    parameters = path.get(request.method.lower(), {}).get("parameters", [])
    declared = [p["name"] for p in parameters if p["in"] == "query"]
    errors = [
        {
            "type": "query_repeated",
            "loc": ("query", name),
            "msg": f"give {name} once, not {len(values)} times",
            "input": values,
        }
        for name in declared
        if len(values := request.query_params.getlist(name)) > 1
    ]
    if errors:
        raise RequestValidationError(errors)
