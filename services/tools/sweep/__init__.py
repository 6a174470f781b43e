"""`make sweep`: how small a task can get before the queue loses to the Pool, on the real stack."""
