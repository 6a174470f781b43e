-- Queue entries accepted and not yet ended (ADMITTED_ENTRIES, services/api/admission.py): 0 once drained.
return redis.call('GET', ADMITTED_ENTRIES) or 0
