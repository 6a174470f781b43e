"""`make env` (services/tools/secrets/ensure-env.sh): Redis's password and the API's token in .env."""

import os
import re
import stat
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "services" / "tools" / "secrets" / "ensure-env.sh"


def run(env_file: Path, **environment: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_PASSWORD", "API_TOKEN")}
    result = subprocess.run(
        ["bash", str(SCRIPT), str(env_file)], env={**clean, **environment}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def secrets_in(env_file: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in env_file.read_text().splitlines())


def test_generates_both_secrets_once_and_keeps_the_other_lines(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PYTHON_IMAGE=stand-in")  # no final newline, as an editor may leave it
    assert run(env_file).splitlines() == [
        f"env: REDIS_PASSWORD written to {env_file}",
        f"env: API_TOKEN written to {env_file}",
    ]
    first = secrets_in(env_file)
    assert set(first) == {"PYTHON_IMAGE", "REDIS_PASSWORD", "API_TOKEN"}
    assert first["PYTHON_IMAGE"] == "stand-in"
    for name in ("REDIS_PASSWORD", "API_TOKEN"):
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", first[name]), name  # 32 random bytes, URL-safe
    assert first["REDIS_PASSWORD"] != first["API_TOKEN"]
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    # Again: nothing to do, nothing changed.
    assert run(env_file) == ""
    assert secrets_in(env_file) == first


def test_a_token_from_the_environment_is_kept_and_a_bad_one_refused(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    run(env_file, API_TOKEN="mine-1.2_3~x")
    assert secrets_in(env_file)["API_TOKEN"] == "mine-1.2_3~x"
    other = tmp_path / "other.env"
    bad = {**os.environ, "API_TOKEN": "a b"}
    result = subprocess.run(["bash", str(SCRIPT), str(other)], env=bad, capture_output=True, text=True)
    assert result.returncode == 1
    assert "API_TOKEN must use only A-Z a-z 0-9 . _ ~ -" in result.stderr
