"""A query parameter given twice is a 422 naming it, on each operation that declares one; once, it is read."""

import httpx
import pytest

from tests.helpers import submit, wait_for_job

pytestmark = pytest.mark.integration
JOB = {"kernel": "primes", "params": {"start": 0, "stop": 1000}}


def test_each_declared_query_parameter_given_twice_is_422(api: httpx.Client) -> None:
    job_id = submit(api, JOB)
    assert wait_for_job(api, job_id)["status"] == "finished"
    spec = api.get("/openapi.json").raise_for_status().json()
    declared = {
        (path, param["name"])
        for path, operations in spec["paths"].items()
        for param in operations.get("get", {}).get("parameters", [])
        if param["in"] == "query"
    }
    assert declared == {("/jobs/{job_id}", "wait"), ("/workers/series", "since"), ("/dashboard", "limit")}
    for path, name in sorted(declared):
        url = path.format(job_id=job_id)
        once = api.get(url, params={name: "1"})
        assert once.status_code == 200, (url, once.text)
        # Two valid values, or a bad one before a valid one (Starlette alone would keep the last).
        for values in (["1", "2"], ["x", "1"]):
            twice = api.get(url, params=[(name, v) for v in values])
            assert twice.status_code == 422, (url, values, twice.text)
            assert twice.json()["detail"] == [
                {
                    "type": "query_repeated",
                    "loc": ["query", name],
                    "msg": f"give {name} once, not 2 times",
                    "input": values,
                }
            ]
    # A repeated parameter the operation does not declare is ignored, like a single one.
    assert api.get("/dashboard", params=[("other", "1"), ("other", "2")]).status_code == 200
