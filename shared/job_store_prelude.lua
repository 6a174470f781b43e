-- Prepended to every script of shared.job_store (after job_metrics.lua and job_store_trim.lua): the
-- allowed status changes, the one place a job ends, and the note of an execution. The constants are
-- shared.job_store's and shared.job_status's, bound by name: MAY (MAY[from][to] is true where
-- job_status.TRANSITIONS allows the move), ADMITTED_ENTRIES, ADMITTED_UNITS, ADMITTED_FIELDS, ENDED_IDS,
-- TRIM_BATCH, ENDED_CHANNEL, EXECUTIONS, EXECUTIONS_KEPT, JOB_PREFIX.
local function may(from, to)
  local row = MAY[from]
  return row ~= nil and row[to] == true
end
-- A job ends here only: its status, its count (job_metrics.lua), its admitted share released, its keys
-- given the TTL, its id on ENDED_IDS (and the oldest ended records trimmed), its end noted on the
-- EXECUTIONS stream (no expiry: the proof it ended once its record is trimmed or evicted), published.
local function end_job(record, metrics, status, now, ttl, keep, trim_share)
  redis.call('HSET', record, 'status', status, 'ended_at', now)
  count_ended(record, metrics)
  local ending = redis.call('HMGET', record, 'id', ADMITTED_FIELDS[1], ADMITTED_FIELDS[2], 'count')
  if ending[2] then
    redis.call('DECRBY', ADMITTED_ENTRIES, ending[2])
    redis.call('DECRBY', ADMITTED_UNITS, ending[3])
    redis.call('HDEL', record, ADMITTED_FIELDS[1], ADMITTED_FIELDS[2])
  end
  -- Ended: the record may expire (and be evicted) from now on, the merged set is dead.
  redis.call('DEL', record .. ':merged')
  for _, key in ipairs({record, record .. ':hosts', record .. ':pids'}) do
    redis.call('EXPIRE', key, ttl)
  end
  redis.call('RPUSH', ENDED_IDS, ending[1])
  redis.call('XADD', EXECUTIONS, 'MAXLEN', '~', EXECUTIONS_KEPT, '*',
    'job', ending[1], 'ended', status, 'count', ending[4] or '0')
  local over = redis.call('LLEN', ENDED_IDS) - tonumber(keep)
  local pressed = false
  if tonumber(trim_share) < 1 then
    local memory = redis.call('INFO', 'memory')
    local maxmemory = tonumber(string.match(memory, 'maxmemory:(%d+)'))
    local used = tonumber(string.match(memory, 'used_memory:(%d+)'))
    pressed = maxmemory > 0 and used > maxmemory * tonumber(trim_share)
  end
  if pressed then trim_ended(TRIM_BATCH, ending[1])
  elseif over > 0 then trim_ended(math.min(over, TRIM_BATCH), ending[1]) end
  redis.call('PUBLISH', ENDED_CHANNEL, ending[1])
end
-- A worker's end-of-job step on the EXECUTIONS stream (none without a host): effect 1 merged or ended,
-- 0 refused.
local function executed(record, chunk, host, effect)
  if host == '' then return end
  local attempt = 1 + (tonumber(redis.call('HGET', record, 'retries')) or 0)
  redis.call('XADD', EXECUTIONS, 'MAXLEN', '~', EXECUTIONS_KEPT, '*',
    'job', string.sub(record, #JOB_PREFIX + 1), 'chunk', chunk, 'host', host, 'attempt', attempt,
    'effect', effect)
end
