"""The stack on Docker Swarm (`make swarm-up`, `make swarm-down`): a stack file derived from
`docker compose config`, the Redis password as swarm secrets, the swarm joined and left."""
