"""The multiprocessing lab: small real experiments, one concept per module (`python -m worker.lab`).

Each experiment module exposes the mechanism as a plain function (the tests call it with small sizes)
and a `run(sizes)` that measures it and returns a `Result`. Nothing heavy is imported here: spawn and
forkserver children import this package to find their targets, and should not pay for rich.
"""
