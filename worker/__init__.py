"""The worker: an RQ SimpleWorker whose jobs are split across a warm multiprocessing Pool."""
