"""The test helpers that a test's verdict rests on."""

import signal
import subprocess
import sys

from tests.helpers import sigint_default

# A child that says when Python is up (its SIGINT handler installed or not), then waits to be signalled.
CHILD = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(3600)"]


def start_as_a_background_shell_would(**options: object) -> subprocess.Popen:
    """Start CHILD while our own SIGINT is ignored, as under `cmd &`, which children inherit."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        child = subprocess.Popen(CHILD, stdout=subprocess.PIPE, text=True, **options)  # type: ignore[call-overload]
    finally:
        signal.signal(signal.SIGINT, previous)
    assert child.stdout is not None and child.stdout.readline() == "up\n"
    return child


def test_sigint_default_makes_a_child_interruptible_when_sigint_is_inherited_ignored() -> None:
    child = start_as_a_background_shell_would(preexec_fn=sigint_default)
    child.send_signal(signal.SIGINT)
    # Python's KeyboardInterrupt at the top level ends the process by SIGINT itself.
    assert child.wait() == -signal.SIGINT


def test_without_it_the_child_ignores_sigint() -> None:
    """Why the helper exists: an ignored SIGINT is discarded, so the SIGTERM after it is what ends it."""
    child = start_as_a_background_shell_would()
    child.send_signal(signal.SIGINT)
    child.send_signal(signal.SIGTERM)
    assert child.wait() == -signal.SIGTERM
