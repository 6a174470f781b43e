"""Host-side monitoring of the stack: per-container CPU from the Docker engine (`docker stats`)."""
