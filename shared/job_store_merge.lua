-- JobStore.merge_chunk: merge_chunk (job_store_steps.lua) on the keys and arguments it was given.
return merge_chunk(K, A)
