"""The share's code path loads in a subinterpreter: worker/runtimes/interpreters.py has each interpreter
import it (and the kernels) itself, and an isolated interpreter refuses any extension module without
multi-phase init, as pydantic_core's is (through the plan's settings and job models).

Checked in a fresh process, on whatever Python runs the tests: what importing the modules a subinterpreter
imports pulls in must be the project's own modules and the stdlib (every stdlib extension module has
multi-phase init since 3.12). tests/e2e/test_interpreters.py runs them in subinterpreters on 3.14.
"""

import json
import subprocess
import sys

from tests.worker.ceiling_cli import ROOT

# What a subinterpreter of the interpreters runner unpickles: the warm-up's function and the shares'.
IMPORTED_THERE = ("worker.runtimes.interpreters", "worker.shares")

PROBE = """
import json, sys, sysconfig
before = set(sys.modules)
for name in sys.argv[1:]:
    __import__(name)
stdlib = sysconfig.get_paths()["stdlib"]

def in_stdlib(path):
    # A virtualenv's platstdlib holds its site-packages: the base's stdlib only, and no installed package.
    return path.startswith(stdlib) and "site-packages" not in path and "dist-packages" not in path

outside = sorted(
    name for name in set(sys.modules) - before
    if name.split(".")[0] not in ("shared", "worker")
    and getattr(sys.modules[name], "__file__", None)
    and not in_stdlib(sys.modules[name].__file__)
)
print(json.dumps(outside))
"""


def loaded_outside_the_stdlib(*modules: str) -> list[str]:
    """The modules importing `modules` loads, in a fresh process, that are neither ours nor the stdlib's."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *modules], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_the_shares_code_path_imports_only_the_stdlib_and_our_kernels() -> None:
    assert loaded_outside_the_stdlib(*IMPORTED_THERE) == []


def test_the_probe_sees_a_third_party_extension_module_pulled_in() -> None:
    # The plan (pydantic's models and settings) is what the shares must not import at run time.
    found = loaded_outside_the_stdlib("shared.plan")
    assert "pydantic_core._pydantic_core" in found, found
