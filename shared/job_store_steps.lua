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

-- A chunk as one value of the job's merged hash: "count h0 h1 ...|cpu seconds|host|pid pid ..."
-- (shared.job_store.merged_chunk reads it back, for a running job).
local function packed_chunk(A)
  local parts = {A.count}
  for i = 0, BINS - 1 do parts[i + 2] = A['h' .. i] end
  return table.concat(parts, ' ') .. '|' .. A.cpu_seconds .. '|' .. A.host .. '|' .. table.concat(A.pids, ' ')
end

-- Where chunks ran, as the record's fields appended to `fields`: 'host:<host>' the chunks it ran, and
-- 'pid:<host>:<pid>' 1 for each process that ran one.
local function where_fields(fields, hosts, pids)
  for host, chunks in pairs(hosts) do
    fields[#fields + 1] = 'host:' .. host
    fields[#fields + 1] = chunks
  end
  for pid in pairs(pids) do
    fields[#fields + 1] = 'pid:' .. pid
    fields[#fields + 1] = 1
  end
  return fields
end

-- The merged hash's chunks folded into the record's fields, appended to `fields`: their CPU seconds, where
-- they ran and, with `tally`, their count and histogram summed. Integers are written with '%.0f' (Lua's
-- numbers are doubles: exact to 2^53; tostring would write 1e+15).
local function folded(merged, tally, fields)
  local sums, cpu, hosts, pids = {}, 0, {}, {}
  for i = 1, BINS + 1 do sums[i] = 0 end
  for _, packed in ipairs(redis.call('HVALS', merged)) do
    local numbers, seconds, host, processes = string.match(packed, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
    local i = 1
    for n in string.gmatch(numbers, '%d+') do
      sums[i] = sums[i] + tonumber(n)
      i = i + 1
    end
    cpu = cpu + tonumber(seconds)
    hosts[host] = (hosts[host] or 0) + 1
    for pid in string.gmatch(processes, '%d+') do pids[host .. ':' .. pid] = true end
  end
  fields[#fields + 1] = 'cpu_seconds'
  fields[#fields + 1] = string.format('%.17g', cpu)
  if tally then
    fields[#fields + 1] = 'count'
    fields[#fields + 1] = string.format('%.0f', sums[1])
    for i = 0, BINS - 1 do
      fields[#fields + 1] = 'h' .. i
      fields[#fields + 1] = string.format('%.0f', sums[i + 2])
    end
  end
  return where_fields(fields, hosts, pids)
end

-- The only chunk of its job, as the record's fields: its answer, CPU seconds and where it ran.
local function chunk_fields(A)
  local fields = {'count', A.count, 'cpu_seconds', A.cpu_seconds, 'chunks_done', 1}
  for i = 0, BINS - 1 do
    fields[#fields + 1] = 'h' .. i
    fields[#fields + 1] = A['h' .. i]
  end
  local pids = {}
  for _, pid in ipairs(A.pids) do pids[A.host .. ':' .. pid] = true end
  return where_fields(fields, {[A.host] = 1}, pids)
end

-- merge_chunk: a chunk's partial answer, once: -1 if already merged, -2 if the job may no longer run, -3
-- if the record is gone; else the chunks done, and the last one ends the job. The chunk (answer, CPU
-- seconds, where it ran) goes into the merged hash under its index in one HSETNX (the once-only guard
-- and the write in one command), and the last chunk folds them into the record as it ends the job; a
-- running job's readers fold them as they read (shared.job_store). The only chunk of its job ends it at
-- once, with no merged hash: the job's status is its guard. Its keys get no expiry: work not ended is
-- never evicted (end_job gives the record RESULT_TTL).
local function merge_chunk(K, A)
  local f = redis.call('HMGET', K.record, 'status', 'chunks_total', 'retries', unpack(END_READ))
  if f[1] == false then
    executed(K.record, A.index, A.host, f[3], 0)
    return -3
  end
  if not may(f[1], STARTED) then
    executed(K.record, A.index, A.host, f[3], 0)
    if redis.call('HEXISTS', K.merged, A.index) == 1 then return -1 end
    return -2
  end
  local total = tonumber(f[2])
  local note = execution_note(A.index, A.host, f[3], 1)
  if total == 1 then
    end_job(K.record, K.metrics, FINISHED, A.now, A.ttl, A.keep, A.trim_share, note, chunk_fields(A),
            {unpack(f, 4)})
    return 1
  end
  if redis.call('HSETNX', K.merged, A.index, packed_chunk(A)) == 0 then
    executed(K.record, A.index, A.host, f[3], 0)
    return -1
  end
  local done = redis.call('HINCRBY', K.record, 'chunks_done', 1)
  if done >= total then
    end_job(K.record, K.metrics, FINISHED, A.now, A.ttl, A.keep, A.trim_share, note,
            folded(K.merged, true, {}), {unpack(f, 4)}, K.merged)
  else
    executed(K.record, A.index, A.host, f[3], 1)
  end
  return done
end
