-- LeanWorker's finish of one of our own entries (begun by take.lua): the chunk's merge that the job
-- function left (shared.job_store's merge_chunk, when A.job is set), then the records of a finished job
-- that RQ's tools read: its status, its TTL, the FinishedJobRegistry, the execution cleaned up. No
-- Result (the answer is in our job's record; rq-dashboard reads a job's latest Result only for a
-- failure's traceback), no dependencies set (our entries have none); the worker's counters and state
-- wait for its next heartbeat (LeanWorker.heartbeat) or for it to go idle. Prepended with
-- shared.job_store.LUA_STEPS. Returns the merge's answer (merge_chunk's), or 0 if nothing was merged.
local function finish_ours(K, A)
  local merged = 0
  if A.job ~= '' then merged = merge_chunk(job_keys(A.job), A) end
  local ttl = tonumber(A.result_ttl)
  local composite = A.id .. ':' .. A.execution_id
  redis.call('HSET', K.job, 'status', 'finished', 'ended_at', A.now_text, 'last_heartbeat', A.now_text)
  redis.call('EXPIRE', K.job, ttl)
  redis.call('ZADD', K.finished, tonumber(A.now) + ttl, A.id)
  redis.call('DEL', A.execution_prefix .. composite)
  redis.call('ZREM', K.started, composite)
  redis.call('SREM', K.executions, composite)
  return merged
end
