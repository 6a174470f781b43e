-- shared.job_metrics's counts, prepended to the scripts that end a job. `count_ended(metrics, f)` runs
-- after the record got its final status and `ended_at`, on the record's fields named by COUNTED (below),
-- in that order, which the caller read in its own HMGET. BOUNDS: the latency buckets' upper bounds
-- (job_metrics.BOUNDS).
local function observe(metrics, name, seconds)
  local le = '+Inf'
  for _, bound in ipairs(BOUNDS) do
    if seconds <= bound then le = tostring(bound) break end
  end
  redis.call('HINCRBY', metrics, name .. '|le=' .. le, 1)
  redis.call('HINCRBYFLOAT', metrics, name .. '|sum', seconds)
end

local COUNTED = {'status', 'mode', 'spec', 'created_at', 'started_at', 'ended_at'}
local function count_ended(metrics, f)
  local labels = f[2] .. '|' .. cjson.decode(f[3])['kernel']
  redis.call('HINCRBY', metrics, f[1] .. '|' .. labels, 1)
  if f[1] ~= 'finished' then return end
  local ended = tonumber(f[6])
  observe(metrics, 'latency|' .. labels, ended - tonumber(f[4]))
  if f[5] then observe(metrics, 'run|' .. labels, ended - tonumber(f[5])) end
end
