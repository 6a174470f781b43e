"""make compare's plan: which cells run on which stack configuration, for a budget and modes."""

from services.tools.loadtest.spread import show, spread
from services.tools.loadtest.topologies import MODES, plan, topologies


def layout(groups: list) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(g.topology.describe(), [(c.mode, c.note) for c in g.cells]) for g in groups]


def test_two_cpus_every_mode_with_the_peer() -> None:
    assert layout(plan(topologies(2), list(MODES))) == [
        (
            "1 x 2 CPU, pool 2",
            [("local", ""), ("hybrid", ""), ("distributed", "counter-example: 1 consumer, 2 CPUs")],
        ),
        ("1 x 2 CPU, 2 consumers, pool 1", [("distributed", "")]),
        # Hybrid on 1-CPU workers is distributed: not run twice.
        ("2 x 1 CPU, pool 1", [("local", ""), ("distributed", "")]),
        ("2 x 1 CPU, pool 1, stock RQ SimpleWorker", [("distributed", "peer: stock RQ")]),
    ]


def test_four_cpus_add_the_hybrid_topology_with_a_consumer_per_cpu_for_distributed() -> None:
    groups = layout(plan(topologies(4), ["distributed"], peer=False))
    assert groups == [
        ("1 x 4 CPU, pool 4", [("distributed", "counter-example: 1 consumer, 4 CPUs")]),
        ("1 x 4 CPU, 4 consumers, pool 1", [("distributed", "")]),
        ("4 x 1 CPU, pool 1", [("distributed", "")]),
        ("2 x 2 CPU, 2 consumers, pool 1", [("distributed", "")]),
    ]


def test_no_distributed_mode_means_no_peer_and_no_consumers() -> None:
    assert layout(plan(topologies(2), ["local", "hybrid"])) == [
        ("1 x 2 CPU, pool 2", [("local", ""), ("hybrid", "")]),
        ("2 x 1 CPU, pool 1", [("local", "")]),
    ]


def test_every_cell_key_is_unique_and_env_selects_its_configuration() -> None:
    groups = plan(topologies(4), list(MODES))
    keys = [c.key for g in groups for c in g.cells]
    assert len(keys) == len(set(keys))
    peer = groups[-1].topology
    assert peer.env() == {
        "WORKER_REPLICAS": "4",
        "WORKER_CPUS": "1",
        "POOL_PROCESSES": "1",
        "WORKER_CONSUMERS": "1",
        "WORKER_CLASS": "simple",
    }


def test_spread_is_median_and_range_and_shows_a_single_round_without_one() -> None:
    summary = spread([0.9, None, 0.95, 0.91])
    assert summary == {"median": 0.91, "min": 0.9, "max": 0.95, "n": 3}
    assert show(summary, ".0f", 100) == "91 (90–95)"
    assert show(spread([2.5])) == "2.50"
    assert spread([None]) is None and show(None) == "-"
