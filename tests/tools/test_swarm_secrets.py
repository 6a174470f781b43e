"""swarm-up's secrets (services/tools/swarm/secrets.py) hold what compose's redis-secret service writes."""

import pytest

from services.tools.swarm import secrets
from services.tools.swarm.stack_file import SECRET_FILES


def test_a_given_password_is_kept_and_checked_as_compose_checks_it() -> None:
    assert secrets.password("s3cret-_.~") == "s3cret-_.~"
    with pytest.raises(ValueError, match="REDIS_PASSWORD"):
        secrets.password("a/b@c")  # REDIS_URL embeds it unescaped


def test_without_one_each_stack_gets_its_own_random_password() -> None:
    first, second = secrets.password(None), secrets.password("")
    assert first != second and len(first) >= 43
    assert secrets.PASSWORD.fullmatch(first) and secrets.PASSWORD.fullmatch(second)


def test_the_secrets_are_the_password_file_and_a_redis_config_requiring_it() -> None:
    files = secrets.contents("pw")
    assert set(files) == set(SECRET_FILES)
    assert files["redis-password"] == b"pw\n" and files["redis.conf"] == b"requirepass pw\n"
