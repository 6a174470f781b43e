"""The ways to spend one CPU budget on worker containers: one fat container, many thin ones, or a mix."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Topology:
    name: str
    replicas: int  # worker containers
    cpus: float  # CPU limit of each
    pool: int  # pool processes in each

    def env(self) -> dict[str, str]:
        """The compose variables that select it."""
        return {
            "WORKER_REPLICAS": str(self.replicas),
            "WORKER_CPUS": f"{self.cpus:g}",
            "POOL_PROCESSES": str(self.pool),
        }

    def describe(self) -> str:
        return f"{self.replicas} x {self.cpus:g} CPU, pool {self.pool}"


def topologies(budget: int) -> list[Topology]:
    """fat, thin and hybrid for a budget of `budget` CPUs; hybrid only where it differs from both."""
    fat = Topology("fat", 1, budget, budget)
    thin = Topology("thin", budget, 1, 1)
    half = budget // 2
    hybrid = Topology("hybrid", 2, budget / 2, max(1, half))
    found = [fat, thin]
    if budget >= 4:
        found.append(hybrid)
    return found


def by_name(budget: int, names: list[str]) -> list[Topology]:
    """The named topologies for this budget, in order; ValueError for an unknown or unavailable one."""
    available = {t.name: t for t in topologies(budget)}
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(
            f"topology {', '.join(unknown)} not available with a budget of {budget} CPUs "
            f"(available: {', '.join(available)}; hybrid needs at least 4)"
        )
    return [available[n] for n in names]
