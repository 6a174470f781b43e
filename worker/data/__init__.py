"""How each mode moves a dataset's bytes to the processes that compute on them (`bytes` jobs)."""
