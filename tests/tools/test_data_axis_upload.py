"""The data axis's dataset on a real API, workers and redis-server: uploaded from its seed, its jobs'
answers the exact ones the load test expects, and deleted when the run ends, an error included."""

import httpx
import pytest

from services.tools.loadtest.workload import Workload
from services.tools.sweep.dataset import DataSpec, uploaded
from shared.seeded_bytes import seeded_sha256
from tests.helpers import submit, wait_for_job

pytestmark = pytest.mark.integration

SIZE = 3 * 4096 + 100  # four blocks, the last one short


def test_the_dataset_is_uploaded_its_jobs_exact_and_it_is_deleted_after(api: httpx.Client) -> None:
    with uploaded(str(api.base_url), DataSpec(seed=7, size=SIZE)) as dataset:
        assert dataset.id and (dataset.seed, dataset.size) == (7, SIZE)
        view = api.get(f"/datasets/{dataset.id}").json()
        assert (view["bytes"], view["sha256"]) == (SIZE, seeded_sha256(7, SIZE))
        for mode in ("local", "distributed", "hybrid"):
            workload = Workload("bytes", SIZE, 1, 1, mode, 1, dataset=dataset.id, work=1, seed=7)
            done = wait_for_job(api, submit(api, workload.body()))
            expected = workload.expected()
            assert done["status"] == "finished", done
            assert done["result"] == {"count": expected.count, "histogram": expected.histogram}, mode
            assert done["bytes_read"] == SIZE, (mode, done["bytes_read"])  # every byte once
    assert api.get(f"/datasets/{dataset.id}").status_code == 404


def test_the_dataset_is_deleted_when_the_run_fails(api: httpx.Client) -> None:
    with (
        pytest.raises(KeyboardInterrupt),
        uploaded(str(api.base_url), DataSpec(seed=8, size=SIZE)) as dataset,
    ):
        assert api.get(f"/datasets/{dataset.id}").status_code == 200
        raise KeyboardInterrupt  # Ctrl-C mid-run
    assert api.get(f"/datasets/{dataset.id}").status_code == 404
