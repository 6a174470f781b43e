"""The stdlib's other ways to run the ceiling's shares in one container, no queue: GIL-bound threads
(`threads.py`, the counter-example) and a fork `ProcessPoolExecutor` (`process_pool.py`).
`python -m worker.ceiling ... --executor threads|processes` runs them."""
