"""In-node aggregation: pool processes merge their partial Tallies into shared memory under a Lock.

One `Lock` guards a shared count (`Value`) and histogram (`Array`) together, so a reader never sees
a count that disagrees with its histogram. The memory is raw (lock=False): the objects' own
per-object locks would be redundant with ours and twice as slow. Each pool process accumulates a
chunk locally and takes the lock once per chunk: taking it per item costs many times more per item
(`make bench` figure 3 and `make lab` measure both on your machine).

The pool is reused across jobs, so every merge carries the generation (job run) it belongs to: a late
chunk of a canceled or timed-out run can never leak into the next job's answer.
"""

from multiprocessing.context import BaseContext

from shared.tally import BINS, Tally


class SharedTally:
    """A count and histogram in shared memory, created before the pool and inherited by its processes."""

    def __init__(self, ctx: BaseContext) -> None:
        self.lock = ctx.Lock()
        self.count = ctx.Value("q", 0, lock=False)
        self.histogram = ctx.Array("q", BINS, lock=False)
        # Chunks merged so far: lets the parent check that every chunk was counted exactly once.
        self.chunks_merged = ctx.Value("q", 0, lock=False)
        self.generation = ctx.Value("q", 0, lock=False)

    def reset(self, generation: int = 0) -> None:
        """Zero everything before a new run; only merges of `generation` count from now on."""
        with self.lock:
            self.count.value = 0
            self.chunks_merged.value = 0
            self.generation.value = generation
            for i in range(BINS):
                self.histogram[i] = 0

    def merge(self, part: Tally, generation: int = 0) -> bool:
        """Add one chunk's partial Tally atomically; False (and nothing added) if from another run."""
        with self.lock:
            if self.generation.value != generation:
                return False
            self.count.value += part.count
            for i, n in enumerate(part.histogram):
                if n:
                    self.histogram[i] += n
            self.chunks_merged.value += 1
            return True

    def merged(self) -> int:
        """The chunks merged so far, read without the lock (a progress figure, never the answer): one
        aligned 64-bit word, which only grows during a run, so a read sees a count it had."""
        return self.chunks_merged.value

    def snapshot(self) -> tuple[Tally, int]:
        """A consistent copy of the aggregate and the number of chunks merged into it."""
        with self.lock:
            return Tally(self.count.value, list(self.histogram)), self.chunks_merged.value
