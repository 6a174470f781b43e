"""The API pod's probes, as deploy/k8s renders them, asked of a real API configured as the pod is
(published beyond loopback, with a token), with no token as the kubelet sends none: readiness follows
Redis, liveness does not, so Redis away takes the API out of its Service but restarts no API.
"""

import secrets

import httpx
import pytest
import redis

from services.tools.local_stack import api, redis_server
from tests.deploy.test_k8s import container, env, render
from tests.helpers import require_tool

pytestmark = pytest.mark.integration


def test_readiness_follows_redis_and_liveness_does_not() -> None:
    require_tool("redis-server")
    pod = container(render("base"), "api")
    api_bind = env(pod)["API_BIND"]["value"]
    paths = {
        kind: pod[kind]["httpGet"]["path"] for kind in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    token = secrets.token_hex(16)
    with (
        redis_server() as url,
        api(url, "k8s-probes", API_BIND=api_bind, API_TOKEN=token) as base,
        httpx.Client(base_url=base, timeout=30) as kubelet,
    ):
        assert {kind: kubelet.get(path).status_code for kind, path in paths.items()} == dict.fromkeys(
            paths, 200
        )
        # Published beyond loopback, as in the pod: every other route wants the token.
        assert kubelet.get("/workers").status_code == 401
        redis.Redis.from_url(url).shutdown(nosave=True)
        assert kubelet.get(paths["readinessProbe"]).status_code == 503
        assert kubelet.get(paths["livenessProbe"]).status_code == 200
        assert kubelet.get(paths["startupProbe"]).status_code == 200
