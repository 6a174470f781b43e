"""Job requests are validated with errors that name the field and the reason."""

import pytest
from pydantic import ValidationError

from shared.jobs import PiJob, PrimesJob, parse_job
from shared.settings import get_settings


def test_a_primes_request_parses_to_its_range() -> None:
    job = parse_job({"kernel": "primes", "params": {"start": 10, "stop": 20}})
    assert isinstance(job, PrimesJob)
    assert job.units() == range(10, 20)


def test_a_pi_request_covers_its_samples_with_a_default_seed() -> None:
    job = parse_job({"kernel": "pi", "params": {"samples": 1000}})
    assert isinstance(job, PiJob)
    assert job.params.seed == 0
    assert job.units() == range(0, 1000)


@pytest.mark.parametrize(
    ("request_body", "field", "reason"),
    [
        (
            {"kernel": "primes", "params": {"start": 5, "stop": 5}},
            "params",
            "stop must be greater than start",
        ),
        ({"kernel": "primes", "params": {"start": -1, "stop": 5}}, "start", "greater than or equal to 0"),
        ({"kernel": "primes", "params": {"start": 0}}, "stop", "Field required"),
        ({"kernel": "primes", "params": {"start": 0, "stop": "x"}}, "stop", "valid integer"),
        ({"kernel": "primes", "params": {"start": 0, "stop": 10, "step": 2}}, "step", "Extra inputs"),
        ({"kernel": "primes", "params": {"start": 0, "stop": 10**13}}, "params", "stop must be at most"),
        (
            {"kernel": "primes", "params": {"start": 0, "stop": 10**9}},
            "params",
            "stop - start must be at most",
        ),
        ({"kernel": "pi", "params": {"samples": 0}}, "samples", "greater than or equal to 1"),
        ({"kernel": "pi", "params": {"samples": 10**12}}, "params", "samples must be at most"),
        ({"kernel": "pi", "params": {"samples": 10, "seed": -3}}, "seed", "greater than or equal to 0"),
        (
            {"kernel": "pi", "params": {"samples": 10**6}, "chunk_size": 1},
            "chunk_size",
            "chunk_size too small",
        ),
        ({"kernel": "sort", "params": {}}, "kernel", "does not match any of the expected tags"),
        ({"params": {}}, "kernel", "Unable to extract tag"),
    ],
)
def test_bad_requests_name_the_field_and_the_reason(request_body: dict, field: str, reason: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_job(request_body)
    errors = info.value.errors()
    assert any(reason in e["msg"] for e in errors), errors
    assert any(field in map(str, e["loc"]) or field in e["msg"] for e in errors), errors


def test_limits_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_PI_SAMPLES", "100")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValidationError, match="samples must be at most 100"):
            parse_job({"kernel": "pi", "params": {"samples": 101}})
    finally:
        monkeypatch.delenv("MAX_PI_SAMPLES")
        get_settings.cache_clear()
