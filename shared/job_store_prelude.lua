-- Prepended to every script of shared.job_store (after job_metrics.lua and job_store_trim.lua): the
-- allowed status changes, the one place a job ends, and the note of an execution. The constants are
-- shared.job_store's and shared.job_status's, bound by name: MAY (MAY[from][to] is true where
-- job_status.TRANSITIONS allows the move), ADMITTED_ENTRIES, ADMITTED_UNITS, ADMITTED_FIELDS, ENDED_IDS,
-- TRIM_BATCH, ENDED_CHANNEL, EXECUTIONS, EXECUTIONS_KEPT, JOB_PREFIX.
local function may(from, to)
  local row = MAY[from]
  return row ~= nil and row[to] == true
end
-- A worker's end-of-job step, as fields of an EXECUTIONS entry (nil without a host): the chunk ('all' for
-- a whole job), its host, the attempt (from the record's `retries`, which the caller read in its own
-- HMGET) and effect 1 merged or ended, 0 refused.
local function execution_note(chunk, host, retries, effect)
  if host == '' then return nil end
  return {'chunk', chunk, 'host', host, 'attempt', 1 + (tonumber(retries) or 0), 'effect', effect}
end
-- That step alone on the EXECUTIONS stream (a step that ends the job is noted in end_job's entry).
local function executed(record, chunk, host, retries, effect)
  local note = execution_note(chunk, host, retries, effect)
  if note == nil then return end
  redis.call('XADD', EXECUTIONS, 'MAXLEN', '~', EXECUTIONS_KEPT, '*',
    'job', string.sub(record, #JOB_PREFIX + 1), unpack(note))
end
-- What end_job reads of the record, in this order: each caller reads it in its own HMGET, with the
-- fields it needs itself, before the job ends (no second read of the record).
local END_READ = {'id', ADMITTED_FIELDS[1], ADMITTED_FIELDS[2], 'count', unpack(COUNTED)}
-- A job ends here only: its status, its count (job_metrics.lua), its admitted share released, its record
-- given the TTL, its id on ENDED_IDS (and the oldest ended records trimmed), its end noted on the
-- EXECUTIONS stream (no expiry: the proof it ended once its record is trimmed or evicted) in one entry
-- with `note`, the step that ended it (execution_note; nil for none), published. `fields` (name, value,
-- ...; nil for none) are set with the status: the answer, where it ran. `read`: the record's END_READ
-- fields, read by the caller. `merged`: the job's merged hash, dead once it ended (nil: it has none).
local function end_job(record, metrics, status, now, ttl, keep, trim_share, note, fields, read, merged)
  fields = fields or {}
  redis.call('HSET', record, 'status', status, 'ended_at', now, unpack(fields))
  count_ended(metrics, status, now, {unpack(read, 5)})
  if read[2] then
    redis.call('DECRBY', ADMITTED_ENTRIES, read[2])
    redis.call('DECRBY', ADMITTED_UNITS, read[3])
    redis.call('HDEL', record, ADMITTED_FIELDS[1], ADMITTED_FIELDS[2])
  end
  -- Ended: the record may expire (and be evicted) from now on.
  if merged then redis.call('DEL', merged) end
  redis.call('EXPIRE', record, ttl)
  local count = read[4] or '0'
  for i = 1, #fields, 2 do
    if fields[i] == 'count' then count = fields[i + 1] end
  end
  local over = redis.call('RPUSH', ENDED_IDS, read[1]) - tonumber(keep)
  local entry = {'job', read[1], 'ended', status, 'count', count}
  for _, field in ipairs(note or {}) do entry[#entry + 1] = field end
  redis.call('XADD', EXECUTIONS, 'MAXLEN', '~', EXECUTIONS_KEPT, '*', unpack(entry))
  local pressed = false
  if tonumber(trim_share) < 1 then
    local memory = redis.call('INFO', 'memory')
    local maxmemory = tonumber(string.match(memory, 'maxmemory:(%d+)'))
    local used = tonumber(string.match(memory, 'used_memory:(%d+)'))
    pressed = maxmemory > 0 and used > maxmemory * tonumber(trim_share)
  end
  if pressed then trim_ended(TRIM_BATCH, read[1])
  elseif over > 0 then trim_ended(math.min(over, TRIM_BATCH), read[1]) end
  redis.call('PUBLISH', ENDED_CHANNEL, read[1])
end
