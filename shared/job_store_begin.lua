-- JobStore.begin: begin_job (job_store_steps.lua) on the keys and arguments it was given.
return begin_job(K, A)
