"""make compare: one workload across topologies x modes, on one CPU budget, every cell beside its ceiling.

The pieces, one concept each (a sweep reuses them): `stack` (the compose stack, brought to a topology),
`references` (a round's ceiling and one-process baseline), `cell` (one cell in one round, as a typed
row), `summary` (rounds as a median and range), `rows` (the typed records and the report's JSON),
`rounds` (every round of every cell), `render` (the tables), `files` (JSON and PNG), `__main__` (the CLI).
"""
