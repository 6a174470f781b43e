"""make compare's plan: which cells run on which stack configuration, for a budget and modes."""

from services.tools.loadtest.spread import show, spread
from services.tools.loadtest.topologies import EVERY_CORE, MODES, Topology, plan, topologies


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
        "WORKER_CPUSET": "",
        "WORKER_CPU_SHARES": "1024",
        "POOL_PROCESSES": "1",
        "WORKER_CONSUMERS": "1",
        "WORKER_CLASS": "simple",
    }
    # Under contention a container weighs as much as the 1-CPU containers it replaces.
    fat = groups[0].topology
    assert (fat.cpus, fat.env()["WORKER_CPU_SHARES"]) == (4, "4096")


def test_pinned_twins_hold_the_same_budget_on_cores_of_their_own() -> None:
    """PIN=1 on 2 cores: thin pins a worker per core, fat one worker to both cores (every core: no limit)."""
    groups = plan(topologies(2), ["local", "distributed"], peer=True, pin_to=[0, 1])
    assert layout(groups) == [
        ("1 x 2 CPU, pool 2", [("local", ""), ("distributed", "counter-example: 1 consumer, 2 CPUs")]),
        ("1 x 2 CPU, 2 consumers, pool 1", [("distributed", "")]),
        (
            "1 x 2 CPU, cpuset 0,1, pool 2",
            [
                ("local", EVERY_CORE),
                ("distributed", f"counter-example: 1 consumer, 2 CPUs; {EVERY_CORE}"),
            ],
        ),
        ("1 x 2 CPU, cpuset 0,1, 2 consumers, pool 1", [("distributed", EVERY_CORE)]),
        ("2 x 1 CPU, pool 1", [("local", ""), ("distributed", "")]),
        ("2 x 1 CPU, cpuset 0 / 1, pool 1", [("local", ""), ("distributed", "")]),
        # The peer stays on the quota: it is the reference for our thin distributed cell.
        ("2 x 1 CPU, pool 1, stock RQ SimpleWorker", [("distributed", "peer: stock RQ")]),
    ]
    thin = groups[5].topology
    assert (thin.label, thin.cpusets) == ("thin pinned", ("0", "1"))
    # No quota: the cores are the only limit; the cpusets go on each container (compose has one for all).
    assert thin.env()["WORKER_CPUS"] == "0" and thin.env()["WORKER_CPUSET"] == ""
    assert groups[4].topology.env()["WORKER_CPUS"] == "1"
    keys = [c.key for g in groups for c in g.cells]
    assert len(keys) == len(set(keys))


def test_pinning_on_a_bigger_host_leaves_cores_free_and_no_note() -> None:
    fat = topologies(2)[0].pinned_to([0, 1, 2, 3])
    assert fat is not None and fat.cpusets == ("0,1",)
    (group,) = plan([topologies(2)[0]], ["local"], peer=False, pin_to=[0, 1, 2, 3])[1:]
    assert [c.note for c in group.cells] == [""]


def test_what_cannot_be_pinned_is_not() -> None:
    # Half CPUs (a budget of 3 cut in 2) have no cores of their own; 4 CPUs do not fit on 2 cores.
    assert Topology("hybrid", 2, 1.5, 1).pinned_to([0, 1, 2]) is None
    assert topologies(4)[0].pinned_to([0, 1]) is None
    assert len(plan(topologies(4), ["local"], peer=False, pin_to=[0, 1])) == len(topologies(4))


def test_spread_is_median_and_range_and_shows_a_single_round_without_one() -> None:
    summary = spread([0.9, None, 0.95, 0.91])
    assert summary == {"median": 0.91, "min": 0.9, "max": 0.95, "n": 3}
    assert show(summary, ".0f", 100) == "91 (90–95)"
    assert show(spread([2.5])) == "2.50"
    assert spread([None]) is None and show(None) == "-"
