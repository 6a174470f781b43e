"""Every third-party import is declared, pinned, in the requirements file of the place that runs it: a
package that only arrives as another's dependency may change or vanish with that package's next release."""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"shared", "worker", "services", "tests"}
# The RQ suite's subprocess imports the sitecustomize module it is given (tests/worker/queue/).
NOT_PACKAGES = {"sitecustomize"}
API, WORKER, DEV = "services/api/requirements.txt", "worker/requirements.txt", "requirements-dev.txt"
HOST = (API, WORKER, DEV)  # make venv installs the api, worker and dev extras


def requirement_files(module: Path) -> tuple[str, ...]:
    """Where the code in `module` finds its packages: its image's file, or the host's venv."""
    relative = module.relative_to(ROOT).as_posix()
    if relative.startswith("services/api/"):
        return (API,)
    if relative.startswith("worker/"):
        return (WORKER,)
    if relative.startswith("shared/"):
        return (API, WORKER)  # both images install shared/ (the worker's own modules import it too)
    peer = re.match(r"services/peers/(\w+)/", relative)
    if peer:
        return (f"services/peers/{peer[1]}/requirements.txt",)
    return HOST


def pinned(file: str) -> set[str]:
    names = set()
    for line in (ROOT / file).read_text().splitlines():
        requirement = re.match(r"([A-Za-z0-9_.-]+)(\[[^]]*\])?==", line.strip())
        if requirement:
            names.add(normalise(requirement[1]))
    return names


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def third_party(module: Path) -> set[str]:
    """The top-level names of what `module` imports, less the standard library and our packages."""
    tops = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            tops |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops.add(node.module.split(".")[0])
    return tops - FIRST_PARTY - NOT_PACKAGES - set(sys.stdlib_module_names)


def test_every_third_party_import_is_pinned_where_it_runs() -> None:
    distributions = packages_distributions()
    undeclared = []
    for folder in sorted(FIRST_PARTY):
        for module in sorted((ROOT / folder).rglob("*.py")):
            files = requirement_files(module)
            declared = set().union(*(pinned(file) for file in files))
            for top in sorted(third_party(module)):
                # The distribution that provides the import (e.g. yaml: PyYAML); a package the host has not
                # installed (a peer image's) is named as it is imported.
                names = {normalise(d) for d in distributions.get(top, [top])}
                if not names & declared:
                    undeclared.append(f"{module.relative_to(ROOT)}: {top} (in none of {', '.join(files)})")
    assert undeclared == []


def test_the_check_sees_an_undeclared_import(tmp_path: Path) -> None:
    """The check itself: a module importing what no file pins is caught, the standard library is not."""
    module = tmp_path / "probe.py"
    module.write_text("import json\nimport yaml.constructor\nfrom numpy import array\nfrom . import x\n")
    assert third_party(module) == {"yaml", "numpy"}
    assert "pyyaml" in pinned(DEV) and "pyyaml" not in pinned(WORKER)
