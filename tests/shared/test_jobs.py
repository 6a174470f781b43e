"""Job requests are validated with errors that name the field and the reason."""

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.jobs import JobSpec, PiJob, PrimesJob, job_params, parse_job, unit_range
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
        # Strict integers: no bool, no text, no fraction (shared/fields.py).
        ({"kernel": "pi", "params": {"samples": 10, "seed": False}}, "seed", "valid integer"),
        ({"kernel": "pi", "params": {"samples": "10"}}, "samples", "valid integer"),
        ({"kernel": "pi", "params": {"samples": 10.5}}, "samples", "valid integer"),
        ({"kernel": "pi", "params": {"samples": 10}, "chunk_size": True}, "chunk_size", "valid integer"),
        ({"kernel": "primes", "params": {"start": -1, "stop": 5}}, "start", "greater than or equal to 0"),
        ({"kernel": "primes", "params": {"start": 0}}, "stop", "Field required"),
        ({"kernel": "primes", "params": {"start": 0, "stop": "x"}}, "stop", "valid integer"),
        ({"kernel": "primes", "params": {"start": 0, "stop": 10, "step": 2}}, "step", "Extra inputs"),
        ({"kernel": "primes", "params": {"start": 0, "stop": 10**13}}, "stop", "less than or equal to 10"),
        (
            {"kernel": "primes", "params": {"start": 0, "stop": 10**9}},
            "params",
            "stop - start must be at most",
        ),
        ({"kernel": "pi", "params": {"samples": 0}}, "samples", "greater than or equal to 1"),
        ({"kernel": "pi", "params": {"samples": 10**12}}, "samples", "less than or equal to 100000000"),
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
        with pytest.raises(ValidationError, match="less than or equal to 100"):
            parse_job({"kernel": "pi", "params": {"samples": 101}})
    finally:
        monkeypatch.delenv("MAX_PI_SAMPLES")
        get_settings.cache_clear()


def test_a_whole_float_is_the_integer_the_schema_says_it_is() -> None:
    """JSON Schema 2020-12 (OpenAPI 3.1) counts 5.0 as an integer; schema-driven clients send it."""
    job = parse_job({"kernel": "pi", "params": {"samples": 5.0, "seed": 7.0}, "chunk_size": 2.0})
    assert isinstance(job, PiJob)
    assert (job.params.samples, job.params.seed, job.chunk_size) == (5, 7, 2)
    assert type(job.params.samples) is int


def test_the_schema_states_the_limits_of_the_settings_in_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_PI_SAMPLES", "100")
    monkeypatch.setenv("MAX_PRIMES_STOP", "5000")
    get_settings.cache_clear()
    try:
        schema = TypeAdapter(JobSpec).json_schema()["$defs"]
        assert schema["PiParams"]["properties"]["samples"]["maximum"] == 100
        assert schema["PrimesParams"]["properties"]["stop"]["maximum"] == 5000
        assert schema["PrimesParams"]["properties"]["start"]["maximum"] == 4999
    finally:
        monkeypatch.delenv("MAX_PI_SAMPLES")
        monkeypatch.delenv("MAX_PRIMES_STOP")
        get_settings.cache_clear()


@pytest.mark.parametrize("kernel", ["primes", "pi"])
def test_a_job_of_size_n_has_n_units_and_is_a_valid_request(kernel: str) -> None:
    """The load test's, the baseline's and the ceiling's job (job_params): `size` units, from 0."""
    params = job_params(kernel, 1234)
    assert unit_range(kernel, params) == range(0, 1234)
    assert parse_job({"kernel": kernel, "params": params}).kernel == kernel
