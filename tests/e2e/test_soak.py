"""A short `make soak` against a stack whose Redis starts full of finished records (the state that
bricked it: records kept RESULT_TTL, the default, up to a small maxmemory): nothing restarts or crash-loops,
every 202 ends finished with the exact answer, the old records give way, and the stack is healthy after
with no manual step."""

import json
import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from shared.job_store import ENDED_IDS
from shared.redis_script import LuaScript, lua_file
from shared.settings import Settings
from tests.e2e.conftest import REPO, Stack, running_stack
from tests.e2e.test_security import redis_cli
from tests.helpers import free_port, wait_for

pytestmark = pytest.mark.e2e

MAXMEMORY_MB = 16
SOAK_SECONDS = 60
# Finished records, as ended jobs leave them (soak_fill.lua). Written until Redis holds FILL_SHARE of
# its maxmemory (read between scripts: a script's own garbage counts while it runs): above the trim
# share, where the old stack refused every write.
_FILL = LuaScript(lua_file(__file__, "soak_fill.lua", ENDED_IDS=ENDED_IDS), (), ("first", "count"))
BATCH = 2000
FILL_SHARE = 0.85


def _used_memory(stack: Stack) -> int:
    code, output = redis_cli(stack, "info", "memory")
    assert code == 0, output
    return int(output.split("used_memory:")[1].split()[0])


def test_a_soak_on_a_full_redis_bricks_nothing_and_every_202_ends_exact(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "API_PORT": str(free_port()),
        "REDIS_PASSWORD": "",
        "REDIS_MAXMEMORY": f"{MAXMEMORY_MB}mb",
        # A short backlog, so that the drain after the load is short too.
        "MAX_QUEUED_ENTRIES": "300",
    }
    with running_stack(docker_client, f"cpu-contrast-e2e-soak-{os.getpid()}", env) as stack:
        maxmemory = MAXMEMORY_MB * 1024 * 1024
        filled = 0
        while _used_memory(stack) < maxmemory * FILL_SHARE:
            words = _FILL.eval_args({}, {"first": str(filled + 1), "count": str(BATCH)})
            code, output = redis_cli(stack, "eval", *map(str, words))
            assert code == 0, output
            filled += BATCH
        result = subprocess.run(
            [sys.executable, "-m", "services.tools.soak", "--duration", str(SOAK_SECONDS)]
            + ["--sample-seconds", "2", "--drain-timeout", "600", "--reports", str(tmp_path)],
            cwd=REPO,
            env={**env, "COMPOSE_PROJECT_NAME": stack.project},
            capture_output=True,
            text=True,
            timeout=SOAK_SECONDS + 900,
        )
        print(result.stdout, result.stderr)
        (report_file,) = tmp_path.glob("soak-*.json")
        assert (tmp_path / report_file.with_suffix(".png").name).stat().st_size > 0
        report = json.loads(report_file.read_text())
        verdict = report["verdict"]
        assert verdict["accepted"] >= 100, verdict
        assert verdict["exact"] == verdict["accepted"], verdict
        assert report["restarted"] == []
        used = [s["redis"]["used_memory"] for s in report["samples"]]
        # The bound was there all along: Redis started above the trim share and stayed under maxmemory.
        assert used[0] >= Settings().ended_trim_memory_share * maxmemory
        assert max(used) <= maxmemory
        assert result.returncode == 0
        # The oldest finished records gave way to the new ones.
        assert redis_cli(stack, "exists", "cpuc:job:old1") == (0, "0\n")
        # Healthy with no manual step: every container running, never restarted, healthy.
        for service in ("redis", "api", "worker"):
            for container in stack.containers(service):
                container.reload()
                assert container.attrs["RestartCount"] == 0, container.name
                assert container.status == "running", container.name
        wait_for(
            lambda: (
                all(
                    c.reload() or c.attrs["State"]["Health"]["Status"] == "healthy"
                    for service in ("redis", "api", "worker")
                    for c in stack.containers(service)
                )
                or None
            ),
            60,
            "every container healthy",
        )
        health = stack.api.get("/health").json()
        assert health == {"status": "ok", "redis": "ok", "workers": 2, "workers_ready": 2}
