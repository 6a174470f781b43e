"""A recorded history of a run and its checker: what the clients did (recorder.py), what Redis kept
(stored.py), and whether every accepted job ended exactly once (checker.py, total-queue semantics)."""
