"""Redis's password as swarm secrets: what compose's one-shot `redis-secret` service writes into its
volume (the password, and a Redis config file requiring it), created on the swarm before the deploy.

As under compose: REDIS_PASSWORD (environment or .env) wins, else a random one; a secret already on the
swarm is kept (swarm secrets cannot change, and the data volume's AOF was written under it). Neither is
ever printed; `docker secret inspect` shows names and dates only.
"""

import re
import secrets

import docker
import docker.errors

from services.tools.stack import STACK_LABEL, stack_filter
from services.tools.swarm.stack_file import SECRET_FILES, secret_name

# What compose's redis-secret accepts (REDIS_URL embeds the password unescaped).
PASSWORD = re.compile(r"[A-Za-z0-9._~-]+")


def password(given: str | None) -> str:
    """REDIS_PASSWORD if set (checked as compose's redis-secret checks it), else ~256 random bits."""
    if not given:
        return secrets.token_urlsafe(32)
    if not PASSWORD.fullmatch(given):
        raise ValueError("REDIS_PASSWORD may hold only A-Z a-z 0-9 . _ ~ - (unset it to get a random one)")
    return given


def contents(redis_password: str) -> dict[str, bytes]:
    """Each secret's bytes, by the file of compose's secret volume it stands for."""
    return {
        "redis-password": f"{redis_password}\n".encode(),
        "redis.conf": f"requirepass {redis_password}\n".encode(),
    }


def ensure(client: docker.DockerClient, stack: str, given: str | None) -> list[str]:
    """Create the stack's secrets unless they exist; the names of those created."""
    existing = {s.name for s in client.secrets.list(filters=stack_filter(stack))}
    names = {file: secret_name(stack, secret) for file, secret in SECRET_FILES.items()}
    if set(names.values()) <= existing:
        return []
    # Both from one password: a half-made pair (an interrupted run) is replaced whole.
    remove(client, stack)
    data = contents(password(given))
    for file, name in names.items():
        # Labelled as `docker stack deploy` labels what it creates: swarm-down removes what carries it.
        client.secrets.create(name=name, data=data[file], labels={STACK_LABEL: stack})
    return sorted(names.values())


def remove(client: docker.DockerClient, stack: str) -> list[str]:
    """Remove the stack's secrets (once no service uses them); the names removed."""
    removed = []
    for secret in client.secrets.list(filters=stack_filter(stack)):
        secret.remove()
        removed.append(secret.name)
    return sorted(removed)
