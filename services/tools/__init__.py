"""Host-side tools (none ships in an image): load test, compare, chaos, bench, CPU monitor, local stack."""
