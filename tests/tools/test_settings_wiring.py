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
            if name != "REDIS_URL":
                # Empty when unset, so the default lives in Settings alone.
                assert value == f"${{{name}:-}}", f"{compose_file} {service}: {name}: {value}"


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """What compose passes for an unset variable (an empty string) must not override a default."""
    for name in Settings.model_fields:
        monkeypatch.setenv(name.upper(), "")
    assert Settings() == Settings.model_construct()


def test_the_readme_documents_every_setting() -> None:
    settings_section = (REPO / "README.md").read_text().split("## Settings", 1)[1]
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in settings_section]
    assert not missing, f"README's Settings table lacks {missing}"


def test_the_healthcheck_script_defaults_are_the_settings_defaults() -> None:
    """worker/queue/healthcheck.sh runs without Python: its fallbacks must equal Settings' defaults."""
    script = (REPO / "worker" / "queue" / "healthcheck.sh").read_text()
    defaults = Settings.model_construct()
    assert f"${{READY_DIR:-{defaults.ready_dir}}}" in script
    assert f"${{LIVENESS_TTL:-{defaults.liveness_ttl}}}" in script
