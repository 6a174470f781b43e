"""The API's contract, as schemathesis holds it: `schemathesis run --checks all` over every phase.

The `schemathesis` CLI (pinned in requirements-dev.txt) against a live API as exposed beyond loopback
(API_BIND=0.0.0.0, so the bearer token is required and `ignored_auth` probes it), on its own Redis
database with one real worker, so that accepted jobs run and end and the stateful phase meets every
state: queued, running, finished, canceled. Its limits are small (the schema states them, read from
these settings), so accepted jobs are cheap. Every check is on; the one exception, stated in
tests/api/schemathesis.toml, is held narrow by tests/api/contract_checks.py.

The figures come from its reports: the JSON run report (cases generated, failures, errors, phases) and
the HAR file (every request it sent and the status it got, so that no 5xx hides anywhere).
"""

import json
import os
import secrets
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.tools.local_stack import api as api_process
from services.tools.local_stack import our_workers, stop

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
CONTRACT_DB = 8  # a database of the session's redis-server that nothing else uses
CONTRACT_QUEUE = "contract"
LIMITS = {
    "MAX_PRIMES_SPAN": "100000",
    "MAX_PRIMES_STOP": "100000",
    "MAX_PI_SAMPLES": "10000",
    "MAX_CHUNKS": "16",
    "MAX_BATCH": "8",
    "MAX_DATASET_BYTES": "4096",
}
# Cases per operation and phase; over the 8 operations and 4 phases that is well over MIN_CASES.
MAX_EXAMPLES = 100
MIN_CASES = 1000
PHASES = ("examples", "coverage", "fuzzing", "stateful")


@pytest.fixture(scope="module")
def exposed_api(redis_url: str) -> Iterator[tuple[str, str]]:
    """(base URL, token): the API as published beyond loopback, one worker, a fresh Redis database."""
    url = redis_url.rsplit("/", 1)[0] + f"/{CONTRACT_DB}"
    db = redis.Redis.from_url(url)
    db.flushdb()
    token = secrets.token_urlsafe(32)
    workers = our_workers(url, CONTRACT_QUEUE, 1, 1, **LIMITS)
    try:
        with api_process(url, CONTRACT_QUEUE, API_BIND="0.0.0.0", API_TOKEN=token, **LIMITS) as base_url:
            yield base_url, token
    finally:
        stop(workers)
        db.flushdb()
        db.close()


def test_schemathesis_accepts_the_whole_contract(exposed_api: tuple[str, str], tmp_path: Path) -> None:
    base_url, token = exposed_api
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        ",".join(PHASES),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "json,har",
        "--report-dir",
        str(tmp_path / "reports"),
        "--no-color",
    ]
    # Run from the test's own directory: schemathesis keeps a cache of what it found in the working one.
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HERE / "contract_checks.py")}
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    output = run.stdout + run.stderr
    [report_file] = (tmp_path / "reports").glob("json-*.json")
    [har_file] = (tmp_path / "reports").glob("har-*.json")
    report = json.loads(report_file.read_text())
    entries = json.loads(har_file.read_text())["log"]["entries"]
    statuses = Counter(entry["response"]["status"] for entry in entries)
    cases = report["test_cases"]
    print(
        f"\nschemathesis: {cases['generated']} cases, {cases['unique_failures']} failures, "
        f"{len(report['errors'])} errors, seed {report['seed']}; "
        f"responses by status: {dict(sorted(statuses.items()))}"
    )

    assert report["failures"] == [] and cases["with_failures"] == 0, output[-6000:]
    assert report["errors"] == [] and cases["errored"] == 0, output[-6000:]
    assert run.returncode == 0, output[-6000:]
    assert cases["generated"] >= MIN_CASES, output[-3000:]
    assert {phase: report["phases"][phase]["status"] for phase in PHASES} == dict.fromkeys(PHASES, "success")
    # Every response it got, not only those a check looked at: no 5xx at all.
    assert sum(statuses.values()) == len(entries) >= cases["generated"]
    assert [status for status in statuses if status >= 500] == [], statuses
    # It did reach what the contract is about: accepted jobs, refused input, conflicts, the token.
    assert {202, 401, 409, 422} <= set(statuses), statuses
