-- Admission (services/api/admission.py): check the bounds and run the enqueue's writes, in one step.
-- K.entries, K.units: the counters of the work accepted and not yet ended. A.max_entries, A.max_units:
-- their bounds; A.memory_share: the share of Redis's maxmemory past which nothing is admitted; A.entries,
-- A.units: what this call adds; A.shares: each job's record key and its share (entries, units);
-- A.commands: each staged command as its length, then its words. Returns {1} when admitted (and
-- written); {0, entries, units} (the counters) when a bound refuses, {-1, used, maxmemory} when memory
-- does. Over the memory share, it first trims the oldest ended records (at most ADMIT_TRIM_BATCH a call,
-- job_store_trim.lua): ended records must never hold the API at 429 (shared/job_store.py trims them
-- below the share as jobs end, but with no job ending, as when admission refuses, only this trims them).
-- ADMITTED_FIELDS: the record's fields that keep its share.
local queued_entries = tonumber(redis.call('GET', K.entries) or '0')
local queued_units = tonumber(redis.call('GET', K.units) or '0')
local entries, units = tonumber(A.entries), tonumber(A.units)
if queued_entries + entries > tonumber(A.max_entries) or queued_units + units > tonumber(A.max_units) then
  return {0, queued_entries, queued_units}
end
local function memory()
  local info = redis.call('INFO', 'memory')
  return tonumber(string.match(info, 'used_memory:(%d+)')), tonumber(string.match(info, 'maxmemory:(%d+)'))
end
local used, maxmemory = memory()
if maxmemory > 0 and used > maxmemory * tonumber(A.memory_share) then
  if trim_ended(ADMIT_TRIM_BATCH, '') > 0 then used, maxmemory = memory() end
  if used > maxmemory * tonumber(A.memory_share) then return {-1, used, maxmemory} end
end
local i = 1
while i <= #A.commands do
  local words = tonumber(A.commands[i])
  redis.call(unpack(A.commands, i + 1, i + words))
  i = i + words + 1
end
for _, share in ipairs(A.shares) do
  redis.call('HSET', share.record, ADMITTED_FIELDS[1], share.entries, ADMITTED_FIELDS[2], share.units)
end
redis.call('INCRBY', K.entries, entries)
redis.call('INCRBY', K.units, units)
return {1}
