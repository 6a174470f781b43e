-- A job LeanWorker took ahead (finish_take.lua) and will not run, because it stops: what the take wrote
-- undone, and the id back at the front of its queue, where it was. Only if the take's execution is
-- still in the started registry (the reaper may have requeued it already): 1 if given back, else 0. Our
-- job's record keeps its begin (begun again by the next take, as any later chunk of a started job).
local composite = A.id .. ':' .. A.execution_id
if redis.call('ZREM', K.started, composite) == 0 then return 0 end
redis.call('DEL', A.execution_prefix .. composite)
redis.call('SREM', K.executions, composite)
redis.call('HSET', K.job, 'status', 'queued')
redis.call('LPUSH', K.queue, A.id)
return 1
