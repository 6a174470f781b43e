"""Celery, prefork, on the stack's Redis (database PEER_REDIS_DB): make compare's Celery row."""
