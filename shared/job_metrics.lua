-- shared.job_metrics's counts, prepended to the scripts that end a job. `count_ended(metrics, status,
-- ended_at, f)` counts a job ending with `status` at `ended_at`, from the record's fields named by COUNTED
-- (below), in that order, which the caller read in its own HMGET before it ended the job. BOUNDS: the
-- latency buckets' upper bounds (job_metrics.BOUNDS).
local function observe(metrics, name, seconds)
  local le = '+Inf'
  for _, bound in ipairs(BOUNDS) do
    if seconds <= bound then le = tostring(bound) break end
  end
  redis.call('HINCRBY', metrics, name .. '|le=' .. le, 1)
  redis.call('HINCRBYFLOAT', metrics, name .. '|sum', seconds)
end

local COUNTED = {'mode', 'spec', 'created_at', 'started_at'}
local function count_ended(metrics, status, ended_at, f)
  local labels = f[1] .. '|' .. cjson.decode(f[2])['kernel']
  redis.call('HINCRBY', metrics, status .. '|' .. labels, 1)
  if status ~= 'finished' then return end
  local ended = tonumber(ended_at)
  observe(metrics, 'latency|' .. labels, ended - tonumber(f[3]))
  if f[4] then observe(metrics, 'run|' .. labels, ended - tonumber(f[4])) end
end
