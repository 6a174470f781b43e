"""Dramatiq on the stack's Redis (database PEER_REDIS_DB): make compare's Dramatiq row."""
