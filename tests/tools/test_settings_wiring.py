"""Every setting reaches the containers: both compose files pass each one, without repeating a default."""

from pathlib import Path

import pytest
import yaml

from shared.settings import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("compose_file", "services"),
    [("docker-compose.yml", ("api", "worker")), ("docker-compose.workers.yml", ("worker",))],
)
def test_compose_passes_every_setting_and_leaves_its_default_to_settings(
    compose_file: str, services: tuple[str, ...]
) -> None:
    config = yaml.safe_load((REPO / compose_file).read_text())
    names = {name.upper() for name in Settings.model_fields}
    for service in services:
        environment = config["services"][service]["environment"]
        assert set(environment) == names, f"{compose_file} {service}: {set(environment) ^ names}"
        for name, value in environment.items():
            # Where Redis and its password are: compose's wiring in the stack, not defaults.
            wired = (
                {"REDIS_URL", "REDIS_PASSWORD_FILE"}
                if compose_file == "docker-compose.yml"
                else {"REDIS_URL"}
            )
            if name not in wired:
                # Empty when unset, so the default lives in Settings alone.
                assert value == f"${{{name}:-}}", f"{compose_file} {service}: {name}: {value}"


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """What compose passes for an unset variable (an empty string) must not override a default."""
    for name in Settings.model_fields:
        monkeypatch.setenv(name.upper(), "")
    assert Settings() == Settings.model_construct()


def test_the_settings_page_documents_every_setting() -> None:
    """docs/SETTINGS.md, which the README links to, has a row for every field of Settings."""
    page = (REPO / "docs" / "SETTINGS.md").read_text()
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    missing = [
        name.upper() for name in Settings.model_fields if not any(f"`{name.upper()}`" in r for r in rows)
    ]
    assert not missing, f"docs/SETTINGS.md's table lacks {missing}"


def test_the_healthcheck_script_defaults_are_the_settings_defaults() -> None:
    """worker/queue/healthcheck.sh runs without Python: its fallbacks must equal Settings' defaults."""
    script = (REPO / "worker" / "queue" / "healthcheck.sh").read_text()
    defaults = Settings.model_construct()
    assert f"${{READY_DIR:-{defaults.ready_dir}}}" in script
    assert f"${{LIVENESS_TTL:-{defaults.liveness_ttl}}}" in script


def test_the_password_file_completes_the_redis_url(tmp_path: Path) -> None:
    secret = tmp_path / "redis-password"
    secret.write_text("s3cret-_.~\n")
    settings = Settings(redis_url="redis://redis:6379/0", redis_password_file=str(secret))
    assert settings.redis_connection_url() == "redis://:s3cret-_.~@redis:6379/0"
    # The file's password replaces one in the URL, and a character a URL reserves is escaped.
    secret.write_text("a/b@c")
    settings = Settings(redis_url="redis://:old@redis:6379/0", redis_password_file=str(secret))
    assert settings.redis_connection_url() == "redis://:a%2Fb%40c@redis:6379/0"
    assert Settings(redis_url="redis://:pw@h:1/0").redis_connection_url() == "redis://:pw@h:1/0"


def test_the_public_url_is_where_the_host_reaches_the_api() -> None:
    assert Settings().public_url() == "http://127.0.0.1:8000"
    assert Settings(api_bind="0.0.0.0", api_port=9000).public_url() == "http://127.0.0.1:9000"
    assert Settings(api_bind="10.0.0.5").public_url() == "http://10.0.0.5:8000"
