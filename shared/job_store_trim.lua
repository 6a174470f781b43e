-- `trim_ended(n, spare)`: delete the records of the n oldest ended jobs (fewer if ENDED_IDS holds fewer),
-- never `spare`'s; returns how many went. Prepended to the scripts that end a job (shared.job_store), and
-- to admission's (services/api/admission.lua), which trims before it refuses for memory.
-- ENDED_IDS: the list of ended ids, oldest first; JOB_PREFIX: a job's record key before its id.
local function trim_ended(n, spare)
  local trimmed = 0
  for _ = 1, n do
    local oldest = redis.call('LPOP', ENDED_IDS)
    if not oldest then break end
    if oldest == spare then
      redis.call('LPUSH', ENDED_IDS, oldest)
      break
    end
    local base = JOB_PREFIX .. oldest
    redis.call('DEL', base, base .. ':merged')
    trimmed = trimmed + 1
  end
  return trimmed
end
