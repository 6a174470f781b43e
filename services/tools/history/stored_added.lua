-- How many entries the EXECUTIONS stream was ever given (XINFO's entries-added; 0 if it does not
-- exist): taken at a run's start and end, the difference is what the run added, whether trimmed since or
-- not (services/tools/history/stored.py).
local added = 0
if redis.call('EXISTS', EXECUTIONS) == 1 then
  local info = redis.call('XINFO', 'STREAM', EXECUTIONS)
  for i = 1, #info, 2 do
    if info[i] == 'entries-added' then added = info[i + 1] end
  end
end
return added
