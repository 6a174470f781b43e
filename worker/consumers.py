"""WORKER_CONSUMERS > 1: `python -m worker` supervises that many consumer processes, each a full worker.

With one RQ worker, a container of several CPUs takes the chunk jobs of a distributed job one at a time.
Each consumer is `python -m worker` again, marked by CONSUMER_ENV, so it runs as a worker does alone: its
own warm pool (POOL_PROCESSES), heartbeat, reaper and RQ worker under its own name. The supervisor

- forwards SIGTERM and SIGINT to every consumer: RQ's warm shutdown, a busy consumer finishes its job;
- waits for them blocked in sigwaitinfo() (SIGCHLD, SIGTERM, SIGINT blocked and taken synchronously, so
  no handler can race the bookkeeping): no CPU while they work;
- stops the others and exits 1 when a consumer ends without being asked to, so that the container's
  restart policy restarts the whole container; exits 0 once all stopped cleanly after a signal.

Consumers run in their own process groups: a terminal's Ctrl-C, sent to its whole foreground group,
reaches each of them once (through here), not twice (RQ takes a second signal as a cold shutdown).
"""

import logging
import os
import signal
import sys

log = logging.getLogger("worker.consumers")

# In a consumer's environment (its index): it runs as a worker, never as a supervisor.
CONSUMER_ENV = "WORKER_CONSUMER_INDEX"
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def is_consumer() -> bool:
    """Whether this process was started by a supervisor."""
    return CONSUMER_ENV in os.environ


def supervise(count: int) -> int:
    """Start `count` consumers and wait until they have all ended; the supervisor's exit status."""
    watched = STOP_SIGNALS | {signal.SIGCHLD}
    # Blocked before the first consumer starts: a signal or a death from now on waits for sigwaitinfo.
    # Default dispositions first: POSIX may discard a blocked signal that is ignored (SIGINT, when a
    # background shell started us) instead of keeping it pending; Linux keeps it, others need not.
    for signum in watched:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    live: dict[int, int] = {}  # pid -> consumer index, until reaped
    stopping = failed = False
    for index in range(count):
        try:
            pid = os.posix_spawn(
                sys.executable,
                [sys.executable, "-m", "worker"],
                {**os.environ, CONSUMER_ENV: str(index)},
                setpgroup=0,
                setsigmask=(),  # the consumer gets signals as usual ...
                setsigdef=STOP_SIGNALS,  # ... with their default handling, whatever this process inherited
            )
        except OSError as exc:
            log.error("consumer %d not started: %s", index, exc)
            stopping = failed = True
            _send(live, signal.SIGTERM)
            break
        live[pid] = index
        log.info("consumer %d: pid %d", index, pid)
    while live:
        info = signal.sigwaitinfo(watched)
        if info.si_signo in STOP_SIGNALS:
            log.info("%s: stopping %d consumers", signal.Signals(info.si_signo).name, len(live))
            stopping = True
            _send(live, info.si_signo)
            continue
        for pid, code in _reap():
            index = live.pop(pid, None)
            if index is None:
                continue
            # A consumer stopped by the signal we sent, before RQ took over its handling, stopped cleanly.
            if stopping and (code == 0 or -code in STOP_SIGNALS):
                log.info("consumer %d (pid %d) stopped: %d", index, pid, code)
                continue
            log.error("consumer %d (pid %d) ended unexpectedly: exit status %d", index, pid, code)
            failed = True
            if not stopping:
                stopping = True
                _send(live, signal.SIGTERM)
    return 1 if failed else 0


def _send(live: dict[int, int], signum: int) -> None:
    """Signal every consumer not yet reaped (one that ended meanwhile is a zombie: the signal is a no-op)."""
    for pid in live:
        os.kill(pid, signum)


def _reap() -> list[tuple[int, int]]:
    """(pid, exit code: negative for a signal) of each ended child; one SIGCHLD may stand for several."""
    ended = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.append((pid, os.waitstatus_to_exitcode(status)))
