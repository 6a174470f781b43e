"""Every Lua script lives in a .lua file beside its module (shared/redis_script.py), none in Python."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CODE = ("shared", "services", "worker")


def test_no_python_module_writes_lua() -> None:
    modules = [path for folder in CODE for path in sorted((REPO / folder).rglob("*.py"))]
    assert len(modules) > 100  # the whole code was read
    assert [str(path.relative_to(REPO)) for path in modules if "redis.call(" in path.read_text()] == []
