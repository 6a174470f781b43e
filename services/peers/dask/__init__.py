"""Dask distributed, a scheduler and workers of one thread per process: make compare's Dask row."""
