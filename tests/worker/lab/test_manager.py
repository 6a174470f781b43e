"""Manager proxies and shared memory end with the same contents."""

from worker.lab import manager


def test_manager_and_shared_memory_agree() -> None:
    c = manager.compare(300)
    assert c.clean
    assert c.manager_value == c.shared_value == 600
    assert c.manager_dict == c.shared_array
    assert sum(c.shared_array.values()) == 600
    assert sorted(c.manager_list) == list(range(600))
