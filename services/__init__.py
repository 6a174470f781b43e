"""Services of the stack other than the worker: the HTTP API."""
