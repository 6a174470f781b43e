-- The take script alone (take.lua defines take): LeanWorker's take of the next job.
return take(K, A)
