-- The two steps of a chunk's run, as Lua functions on named keys (K) and arguments (A). shared.job_store's
-- own scripts call them, and so do worker.queue.lean's take and finish scripts (job_store.LUA_STEPS),
-- which fold them into RQ's take and finish of the queue entry: a chunk then costs those two round trips
-- in all. Constants: JOB_PREFIX, JOB_KEY_SUFFIXES (a job's keys by name: suffixes of its record's key),
-- METRICS_KEY (job_metrics.KEY), STARTED and FINISHED (job_status), BINS (the histogram's bins).

-- A job's keys by name (job_store.JobKeys), and the metrics hash.
local function job_keys(id)
  local keys = {metrics = METRICS_KEY}
  for name, suffix in pairs(JOB_KEY_SUFFIXES) do keys[name] = JOB_PREFIX .. id .. suffix end
  return keys
end

-- begin_job: record that a worker began (first start wins) and read the job's request, atomically, so
-- that a cancel between the check and the write is never overwritten by "started". Returns {1, spec}
-- when the job may run, {0, status} when it has ended, {-1} when its record is gone. A distributed
-- chunk runs in one process (shared.plan): its pool size is 1 whatever the worker's. A job already
-- begun on this host with the same pool size (its next chunks) writes nothing.
local function begin_job(K, A)
  local f = redis.call('HMGET', K.record, 'status', 'spec', 'mode', 'started_at', 'pool:' .. A.host)
  if f[1] == false then return {-1} end
  if not may(f[1], STARTED) then return {0, f[1]} end
  local pool = tonumber(A.pool_processes)
  if f[3] == 'distributed' then pool = 1 end
  if f[1] == STARTED and tonumber(f[5]) == pool then
    return {1, f[2]}  -- begun already, on this host with this pool: nothing to write
  end
  if f[4] then
    redis.call('HSET', K.record, 'pool:' .. A.host, pool, 'status', STARTED)
  else
    redis.call('HSET', K.record, 'started_at', A.now, 'pool:' .. A.host, pool, 'status', STARTED)
  end
  return {1, f[2]}
end

-- merge_chunk: a chunk's partial answer, once: -1 if already merged, -2 if the job may no longer run, -3
-- if the record is gone; else the chunks done, and the last one ends the job. Zero counts are not sent
-- (a chunk fills few of the histogram's bins). Its keys get no expiry: work not ended is never evicted
-- (end_job gives them RESULT_TTL).
local function merge_chunk(K, A)
  local f = redis.call('HMGET', K.record, 'status', 'chunks_total', 'retries')
  if f[1] == false then
    executed(K.record, A.index, A.host, f[3], 0)
    return -3
  end
  if not may(f[1], STARTED) then
    executed(K.record, A.index, A.host, f[3], 0)
    if redis.call('SISMEMBER', K.merged, A.index) == 1 then return -1 end
    return -2
  end
  if redis.call('SADD', K.merged, A.index) == 0 then
    executed(K.record, A.index, A.host, f[3], 0)
    return -1
  end
  if A.count ~= '0' then redis.call('HINCRBY', K.record, 'count', A.count) end
  for i = 0, BINS - 1 do
    local n = A['h' .. i]
    if n ~= '0' then redis.call('HINCRBY', K.record, 'h' .. i, n) end
  end
  redis.call('HINCRBYFLOAT', K.record, 'cpu_seconds', A.cpu_seconds)
  redis.call('HINCRBY', K.hosts, A.host, 1)
  if #A.pids > 0 then
    local members = {}
    for i, pid in ipairs(A.pids) do members[i] = A.host .. ':' .. pid end
    redis.call('SADD', K.pids, unpack(members))
  end
  local done = redis.call('HINCRBY', K.record, 'chunks_done', 1)
  if done >= tonumber(f[2]) then
    end_job(K.record, K.metrics, FINISHED, A.now, A.ttl, A.keep, A.trim_share,
            execution_note(A.index, A.host, f[3], 1))
  else
    executed(K.record, A.index, A.host, f[3], 1)
  end
  return done
end
