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

-- A chunk's count and histogram as one value of the job's merged hash: "count h0 h1 ...".
local function packed_tally(A)
  local parts = {A.count}
  for i = 0, BINS - 1 do parts[i + 2] = A['h' .. i] end
  return table.concat(parts, ' ')
end

-- The sum of the merged hash's tallies, as the record's fields: {'count', n, 'h0', n0, ...}. Integers
-- written with '%.0f' (Lua's numbers are doubles: exact to 2^53; tostring would write 1e+15).
local function merged_tally(merged)
  local sums = {}
  for i = 1, BINS + 1 do sums[i] = 0 end
  for _, packed in ipairs(redis.call('HVALS', merged)) do
    local i = 1
    for n in string.gmatch(packed, '%d+') do
      sums[i] = sums[i] + tonumber(n)
      i = i + 1
    end
  end
  local fields = {'count', string.format('%.0f', sums[1])}
  for i = 0, BINS - 1 do
    fields[#fields + 1] = 'h' .. i
    fields[#fields + 1] = string.format('%.0f', sums[i + 2])
  end
  return fields
end

-- merge_chunk: a chunk's partial answer, once: -1 if already merged, -2 if the job may no longer run, -3
-- if the record is gone; else the chunks done, and the last one ends the job. The chunk's count and
-- histogram go into the merged hash under its index in one HSETNX (the once-only guard and the write in
-- one command), and the last chunk sums them into the record as the job ends; its CPU seconds, host and
-- pids go to the record at once (a running job shows them). Its keys get no expiry: work not ended is
-- never evicted (end_job gives them RESULT_TTL).
local function merge_chunk(K, A)
  local f = redis.call('HMGET', K.record, 'status', 'chunks_total', 'retries')
  if f[1] == false then
    executed(K.record, A.index, A.host, f[3], 0)
    return -3
  end
  if not may(f[1], STARTED) then
    executed(K.record, A.index, A.host, f[3], 0)
    if redis.call('HEXISTS', K.merged, A.index) == 1 then return -1 end
    return -2
  end
  if redis.call('HSETNX', K.merged, A.index, packed_tally(A)) == 0 then
    executed(K.record, A.index, A.host, f[3], 0)
    return -1
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
            execution_note(A.index, A.host, f[3], 1), merged_tally(K.merged))
  else
    executed(K.record, A.index, A.host, f[3], 1)
  end
  return done
end
